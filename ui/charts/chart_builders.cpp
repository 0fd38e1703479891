#include "ui/charts/chart_builders.h"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QXYSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "shellscope/analysis/frontier.h"
#include "shellscope/spectral/profile.h"
#include "ui/charts/colormap.h"

namespace shellscope::ui {

namespace {

const QString kLambdaTitle = QString::fromUtf8("eigenvalue λ (shell centre)");
const QString kEnergyTitle = QString::fromUtf8("shell energy E<sub>α</sub>");

struct Extent {
  double xLow = INFINITY, xHigh = 0, yLow = INFINITY, yHigh = 0;
  void add(double x, double y) {
    if (!(x > 0) || !(y > 0) || !std::isfinite(x) || !std::isfinite(y)) return;
    xLow = std::min(xLow, x);
    xHigh = std::max(xHigh, x);
    yLow = std::min(yLow, y);
    yHigh = std::max(yHigh, y);
  }
};

QPen pen(const QColor& color, double width, Qt::PenStyle style = Qt::SolidLine) {
  QPen p(color);
  p.setWidthF(width);
  p.setStyle(style);
  return p;
}

/// Adds `series` to the chart as part of entry `entry`; only named series get a legend marker.
void add(QChart* chart, QAbstractSeries* series, int entry, bool inLegend) {
  series->setProperty("entry", entry);
  chart->addSeries(series);
  if (!inLegend) {
    for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
  }
}

/// A curve log10 E = f(log10 λ) sampled on [xLow, xHigh] (in decades).
QLineSeries* curve(const QString& name, const QPen& linePen, const std::function<double(double)>& f, double xLow,
                   double xHigh, const ProfileEntry& e, Extent& extent) {
  auto* series = new QLineSeries;
  series->setName(name);
  series->setPen(linePen);
  QList<QPointF> points;
  constexpr int kSamples = 240;
  for (int i = 0; i <= kSamples && xHigh > xLow; ++i) {
    const double x = xLow + (xHigh - xLow) * i / kSamples, y = f(x);
    if (!std::isfinite(y)) continue;
    const QPointF p(std::pow(10.0, x + e.shiftDecades), std::pow(10.0, y + e.amplitudeDecades));
    points.append(p);
    extent.add(p.x(), p.y());
  }
  series->replace(points);
  return series;
}

}  // namespace

QChart* newStyledChart(const QString& title, const ChartStyle& style) {
  auto* chart = new QChart;
  chart->setTheme(style.dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  chart->setTitle(title);
  QFont font = chart->titleFont();
  font.setPointSize(style.fontPointSize + 2);
  font.setBold(true);
  chart->setTitleFont(font);
  chart->setBackgroundRoundness(0);
  chart->legend()->setVisible(style.legend);
  chart->legend()->setAlignment(style.legendAlignment);
  QFont legendFont = chart->legend()->font();
  legendFont.setPointSize(style.fontPointSize);
  chart->legend()->setFont(legendFont);
  return chart;
}

void addChartNote(QChart* chart, const QString& note) {
  const QString title = chart->title();
  chart->setTitle(title + (title.isEmpty() ? QString() : QStringLiteral("<br>")) +
                  QStringLiteral("<span style='font-size:small; font-weight:normal'>(%1)</span>").arg(note.toHtmlEscaped()));
}

int dropUndrawablePoints(QChart* chart, bool logX, bool logY) {
  auto drawable = [&](const QPointF& p) {
    return std::isfinite(p.x()) && std::isfinite(p.y()) && (!logX || p.x() > 0) && (!logY || p.y() > 0);
  };
  int removed = 0;
  auto filter = [&](QXYSeries* series) {
    const QList<QPointF> points = series->points();
    QList<QPointF> kept;
    for (const QPointF& p : points) {
      if (drawable(p)) kept.append(p);
    }
    if (kept.size() != points.size()) {
      removed += static_cast<int>(points.size() - kept.size());
      series->replace(kept);
    }
  };
  for (QAbstractSeries* s : chart->series()) {
    if (auto* area = qobject_cast<QAreaSeries*>(s)) {
      QLineSeries* upper = area->upperSeries();
      QLineSeries* lower = area->lowerSeries();
      if (!upper) continue;
      if (!lower || lower->count() != upper->count()) {
        filter(upper);
        if (lower) filter(lower);
        continue;
      }
      const QList<QPointF> up = upper->points(), low = lower->points();
      QList<QPointF> keptUp, keptLow;
      for (qsizetype i = 0; i < up.size(); ++i) {
        if (drawable(up[i]) && drawable(low[i])) {
          keptUp.append(up[i]);
          keptLow.append(low[i]);
        }
      }
      if (keptUp.size() != up.size()) {
        removed += static_cast<int>(up.size() - keptUp.size());
        upper->replace(keptUp);
        lower->replace(keptLow);
      }
    } else if (auto* xy = qobject_cast<QXYSeries*>(s)) {
      filter(xy);
    }
  }
  chart->setProperty("undrawnPoints", chart->property("undrawnPoints").toInt() + removed);
  return removed;
}

void attachLogAxes(QChart* chart, const QString& xTitle, const QString& yTitle, double xLow, double xHigh, double yLow,
                   double yHigh, const ChartStyle& style, bool logY) {
  if (const int removed = dropUndrawablePoints(chart, true, logY); removed > 0) {
    addChartNote(chart, QStringLiteral("%1 point(s) with non-finite or non-positive values not shown").arg(removed));
  }
  // Ranges from the data that is left when the ones given cannot be used.
  const bool xUsable = std::isfinite(xLow) && std::isfinite(xHigh) && xLow > 0 && xHigh >= xLow;
  const bool yUsable = std::isfinite(yLow) && std::isfinite(yHigh) && (!logY || yLow > 0) && yHigh >= yLow;
  if (!xUsable || !yUsable) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (QAbstractSeries* s : chart->series()) {
      QList<QPointF> points;
      if (auto* area = qobject_cast<QAreaSeries*>(s)) {
        if (area->upperSeries()) points += area->upperSeries()->points();
        if (area->lowerSeries()) points += area->lowerSeries()->points();
      } else if (auto* xy = qobject_cast<QXYSeries*>(s)) {
        points = xy->points();
      }
      for (const QPointF& p : points) {
        x0 = std::min(x0, p.x());
        x1 = std::max(x1, p.x());
        y0 = std::min(y0, p.y());
        y1 = std::max(y1, p.y());
      }
    }
    if (!xUsable) {
      xLow = std::isfinite(x0) ? x0 : 1.0;
      xHigh = std::isfinite(x1) ? x1 : 10.0;
    }
    if (!yUsable) {
      yLow = std::isfinite(y0) ? y0 : 1.0;
      yHigh = std::isfinite(y1) ? y1 : 10.0;
    }
  }
  // Both ends rounded out to whole decades: log axes read best that way.
  auto makeAxis = [&](const QString& title, double low, double high) {
    auto* axis = new QLogValueAxis;
    axis->setBase(10.0);
    axis->setTitleText(title);
    axis->setLabelFormat("%g");
    axis->setMinorTickCount(-1);
    if (low > 0 && high > low) {
      axis->setRange(std::pow(10.0, std::floor(std::log10(low))), std::pow(10.0, std::ceil(std::log10(high))));
    }
    QFont font = axis->labelsFont();
    font.setPointSize(style.fontPointSize);
    axis->setLabelsFont(font);
    font.setPointSize(style.fontPointSize + 1);
    axis->setTitleFont(font);
    QPen grid = axis->minorGridLinePen();
    grid.setColor(style.dark ? QColor(70, 70, 70) : QColor(235, 235, 235));
    axis->setMinorGridLinePen(grid);
    return axis;
  };
  QLogValueAxis* x = makeAxis(xTitle, xLow, xHigh);
  QLogValueAxis* y = makeAxis(yTitle, yLow, yHigh);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
}

void applyRanges(QChart* chart, const AxisRanges& ranges) {
  if (!ranges.valid()) return;
  if (QAbstractAxis* x = chart->axes(Qt::Horizontal).value(0)) x->setRange(ranges.xMin, ranges.xMax);
  if (QAbstractAxis* y = chart->axes(Qt::Vertical).value(0)) y->setRange(ranges.yMin, ranges.yMax);
}

double drawnEnergyAt(const ProfileEntry& e, double lambda) {
  if (!e.run || !(lambda > 0)) return NAN;
  const int shell = e.run->window.locate(lambda * std::pow(10.0, -e.shiftDecades));
  if (shell < 0 || shell >= e.run->shellCount()) return NAN;
  return e.run->shellEnergy(shell) * std::pow(10.0, e.amplitudeDecades);
}

QChart* layeredProfileChart(const std::vector<ProfileEntry>& entries, const ProfileLayers& layers, const QString& title,
                            const ChartStyle& style, const AxisRanges& ranges) {
  QChart* chart = newStyledChart(title, style);
  Extent extent;
  const bool single = entries.size() == 1;
  const double thin = std::max(1.0, style.lineWidth * 0.6);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ProfileEntry& e = entries[i];
    const int id = static_cast<int>(i);
    const analysis::RunAnalysis* a = e.analysis;
    const double sx = std::pow(10.0, e.shiftDecades), sy = std::pow(10.0, e.amplitudeDecades);
    const std::vector<ProfilePoint> points = profilePoints(*e.run);
    bool legendUsed = false;
    if (layers.band && a && a->statistics.bootstrapLow.size() == e.run->shellCount()) {
      auto* upper = new QLineSeries;
      auto* lower = new QLineSeries;
      QList<QPointF> hi, lo;
      for (const ProfilePoint& p : points) {
        const double low = a->statistics.bootstrapLow(p.shell), high = a->statistics.bootstrapHigh(p.shell);
        if (!(low > 0)) continue;
        hi.append(QPointF(p.lambdaCentre * sx, high * sy));
        lo.append(QPointF(p.lambdaCentre * sx, low * sy));
        extent.add(p.lambdaCentre * sx, low * sy);
      }
      upper->replace(hi);
      lower->replace(lo);
      auto* band = new QAreaSeries(upper, lower);
      band->setName(single ? QStringLiteral("95% bootstrap band") : e.label + QStringLiteral(" band"));
      QColor fill = single ? (style.dark ? QColor(255, 255, 255) : QColor(0, 0, 0)) : e.color;
      fill.setAlpha(single ? 30 : 45);
      band->setColor(fill);
      band->setBorderColor(Qt::transparent);
      add(chart, band, id, single);
    }
    if (layers.quadrature && e.run->hasQuadratureBounds()) {
      // Hatched, with an outline, so that it cannot be taken for the bootstrap band. A lower
      // bound of 0 is drawn a few decades below the shell (the quadrature bounds nothing there).
      auto* upper = new QLineSeries;
      auto* lower = new QLineSeries;
      QList<QPointF> hi, lo;
      for (const ProfilePoint& p : points) {
        const double high = e.run->shellEnergyUpper(p.shell);
        const double low = std::max(e.run->shellEnergyLower(p.shell), 1e-3 * p.energy);
        hi.append(QPointF(p.lambdaCentre * sx, high * sy));
        lo.append(QPointF(p.lambdaCentre * sx, low * sy));
        extent.add(p.lambdaCentre * sx, high * sy);
      }
      upper->replace(hi);
      lower->replace(lo);
      auto* bounds = new QAreaSeries(upper, lower);
      bounds->setName(single ? QStringLiteral("quadrature bounds (Gauss-Radau)") : e.label + QStringLiteral(" quadrature bounds"));
      const QColor c = single ? categoricalColor(3) : e.color;
      QColor fill = c;
      fill.setAlpha(170);
      bounds->setBrush(QBrush(fill, Qt::BDiagPattern));
      QColor border = c;
      border.setAlpha(160);
      bounds->setPen(pen(border, 1.0, Qt::DotLine));
      add(chart, bounds, id, single);
      fill.setAlpha(90);
      for (QLegendMarker* marker : chart->legend()->markers(bounds)) marker->setBrush(fill);  // not the sparse hatch
    }
    if (layers.minimum && a && a->statistics.batchMinimum.size() == e.run->shellCount()) {
      auto* minimum = new QScatterSeries;
      minimum->setName(single ? QStringLiteral("minimum over batches") : e.label + QStringLiteral(" minimum"));
      minimum->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
      const QColor c = single ? QColor(150, 150, 150) : e.color.lighter(130);
      minimum->setColor(c);
      minimum->setBorderColor(c);
      minimum->setMarkerSize(5);
      QList<QPointF> list;
      for (const ProfilePoint& p : points) {
        const double m = a->statistics.batchMinimum(p.shell);
        if (m > 0) {
          list.append(QPointF(p.lambdaCentre * sx, m * sy));
          extent.add(p.lambdaCentre * sx, m * sy);
        }
      }
      minimum->replace(list);
      add(chart, minimum, id, single);
    }
    if (layers.raw) {
      auto* raw = new QLineSeries;
      raw->setName(single ? QString::fromUtf8("mean E<sub>α</sub> (%1)").arg(e.label) : e.label);
      raw->setPen(pen(single ? (style.dark ? Qt::white : Qt::black) : e.color, single ? thin : style.lineWidth));
      raw->setPointsVisible(single);
      QList<QPointF> list;
      for (const ProfilePoint& p : points) {
        list.append(QPointF(p.lambdaCentre * sx, p.energy * sy));
        extent.add(p.lambdaCentre * sx, p.energy * sy);
      }
      raw->replace(list);
      add(chart, raw, id, true);
      legendUsed = true;
    }
    if (layers.smoothShells && e.run->smoothShellEnergy.size() == e.run->shellCount()) {
      auto* smooth = new QLineSeries;
      smooth->setName(single ? QStringLiteral("smooth shells") : e.label + QStringLiteral(" smooth shells"));
      const QColor c = single ? categoricalColor(4) : e.color;
      smooth->setPen(pen(c, thin, Qt::DashLine));
      QList<QPointF> list;
      for (Eigen::Index j = 0; j < e.run->shellCount(); ++j) {
        const double energy = e.run->smoothShellEnergy(j);
        if (!(energy > 0)) continue;
        const double lambda = e.run->window.centre(static_cast<int>(j)) * sx;
        list.append(QPointF(lambda, energy * sy));
        extent.add(lambda, energy * sy);
      }
      smooth->replace(list);
      add(chart, smooth, id, single);
    }
    if (layers.unconverged && layers.raw) {
      const std::vector<bool> unresolved = e.run->unconvergedShells();
      QList<QPointF> list;
      for (const ProfilePoint& p : points) {
        if (!unresolved.empty() && unresolved[static_cast<std::size_t>(p.shell)]) {
          list.append(QPointF(p.lambdaCentre * sx, p.energy * sy));
        }
      }
      if (!list.isEmpty()) {
        auto* rings = new QScatterSeries;
        rings->setName(single ? QStringLiteral("unconverged (bounds wider than E)") : e.label + QStringLiteral(" unconverged"));
        rings->setMarkerShape(QScatterSeries::MarkerShapeCircle);
        rings->setMarkerSize(13);
        rings->setColor(Qt::transparent);
        rings->setBorderColor(QColor(211, 47, 47));
        QPen ring = rings->pen();
        ring.setWidthF(2.0);
        ring.setColor(QColor(211, 47, 47));
        rings->setPen(ring);
        rings->replace(list);
        add(chart, rings, id, true);
        for (QLegendMarker* marker : chart->legend()->markers(rings)) marker->setBrush(QColor(211, 47, 47));
      }
    }
    if (points.empty()) continue;
    const double xLow = std::log10(points.front().lambdaCentre), xHigh = std::log10(points.back().lambdaCentre);
    if (layers.smoothed) {
      const auto smoother = analysis::LogLogSmoother::ofProfile(e.run->window, e.run->shellEnergy,
                                                                a ? 0.25 : 0.25);
      const QColor c = single ? QColor(128, 128, 128) : e.color;
      add(chart, curve(single ? QStringLiteral("smoothed") : e.label + (legendUsed ? QStringLiteral(" smoothed") : QString()),
                       pen(c, style.lineWidth, legendUsed && !single ? Qt::DashLine : Qt::SolidLine),
                       [&](double x) { return smoother(x); }, xLow, xHigh, e, extent),
          id, single || !legendUsed);
      legendUsed = true;
    }
    if (a && layers.piecewise && a->piecewise.fit.ok()) {
      const QColor c = single ? categoricalColor(1) : e.color;
      const double lo = std::log10(a->piecewise.lambdaMin), hi = std::log10(a->piecewise.lambdaMax);
      add(chart, curve(single ? QStringLiteral("piecewise fit") : e.label + QStringLiteral(" piecewise"), pen(c, style.lineWidth),
                       [&](double x) { return a->piecewise.evaluate(x); }, lo, hi, e, extent),
          id, single);
      if (layers.components) {
        const double blend = std::log10(a->piecewise.blendLambda);
        add(chart, curve(QStringLiteral("power law (low side)"), pen(c, thin, Qt::DashLine),
                         [&](double x) { return a->piecewise.lowSide(x); }, lo, blend + 0.5, e, extent),
            id, single);
        add(chart, curve(QString::fromUtf8("exp(−κλ) (high side)"), pen(c, thin, Qt::DotLine),
                         [&](double x) { return a->piecewise.highSide(x); }, blend - 0.5, hi, e, extent),
            id, single);
      }
    }
    if (a && layers.theory && a->theory.fit.ok()) {
      const QColor c = single ? categoricalColor(0) : e.color;
      add(chart, curve(single ? QString::fromUtf8("theory C λ<sup>p+1</sup> e<sup>−κλ</sup>") : e.label + QStringLiteral(" theory"),
                       pen(c, single ? style.lineWidth : thin, single ? Qt::SolidLine : Qt::DashDotLine),
                       [&](double x) { return a->theory.evaluate(x); }, std::log10(a->theory.lambdaMin),
                       std::log10(a->theory.lambdaMax), e, extent),
          id, single);
    }
  }
  // Frontier markers last, on top.
  if (layers.frontier) {
    const double yTop = extent.yHigh, yBottom = std::max(extent.yLow, extent.yHigh * 1e-8);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const ProfileEntry& e = entries[i];
      if (!e.analysis || !e.analysis->frontier.status.ok()) continue;
      const double lambda = e.analysis->frontier.lambda * std::pow(10.0, e.shiftDecades);
      if (single) {
        auto* line = new QLineSeries;
        line->setName(QString::fromUtf8("frontier λ* = %1").arg(e.analysis->frontier.lambda, 0, 'g', 3));
        line->setPen(pen(categoricalColor(2), style.lineWidth, Qt::DashDotLine));
        line->replace({QPointF(lambda, yBottom), QPointF(lambda, yTop)});
        add(chart, line, static_cast<int>(i), true);
      } else {
        auto* marker = new QScatterSeries;
        marker->setName(e.label + QString::fromUtf8(" λ*"));
        marker->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        marker->setMarkerSize(9);
        marker->setColor(e.color);
        marker->setBorderColor(style.dark ? Qt::white : Qt::black);
        marker->append(lambda, e.analysis->frontier.peakEnergy * std::pow(10.0, e.amplitudeDecades));
        add(chart, marker, static_cast<int>(i), false);
      }
    }
  }
  int undrawable = 0;
  for (const ProfileEntry& e : entries) undrawable += undrawableShellCount(*e.run);
  if (undrawable > 0) {
    addChartNote(chart, QStringLiteral("%1 shell(s) with non-finite or negative energy not shown").arg(undrawable));
  }
  if (ranges.valid()) {
    attachLogAxes(chart, kLambdaTitle, kEnergyTitle, ranges.xMin, ranges.xMax, ranges.yMin, ranges.yMax, style);
  } else {
    attachLogAxes(chart, kLambdaTitle, kEnergyTitle, extent.xLow, extent.xHigh, std::max(extent.yLow, extent.yHigh * 1e-9),
                  extent.yHigh, style);
  }
  return chart;
}

QString compactCount(std::int64_t count) {
  const double n = static_cast<double>(count);
  const auto scaled = [](double value, const char* unit) {
    return QString::number(value, 'f', value < 10 ? 1 : 0) + unit;
  };
  if (n >= 1e9) return scaled(n / 1e9, "B");
  if (n >= 1e6) return scaled(n / 1e6, "M");
  if (n >= 1e3) return scaled(n / 1e3, "k");
  return QString::number(count);
}

QString modelSizeLabel(const Run& run) {
  return QString("%1 (%2)").arg(QString::fromStdString(run.meta.modelName), compactCount(run.meta.nParams));
}

std::vector<const Run*> runsOfModel(const Session& session, const std::string& model) {
  std::vector<const Run*> runs;
  for (const Run& run : session.runs) {
    if (run.meta.modelName == model) runs.push_back(&run);
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
  return runs;
}

std::vector<std::string> modelsBySize(const Session& session) {
  std::map<std::string, std::int64_t> size;
  for (const Run& run : session.runs) size[run.meta.modelName] = run.meta.nParams;
  std::vector<std::string> models;
  for (const auto& [name, params] : size) models.push_back(name);
  std::stable_sort(models.begin(), models.end(), [&](const auto& a, const auto& b) { return size[a] < size[b]; });
  return models;
}

QString stepLabel(std::int64_t step) { return step >= 0 ? QString("step %1").arg(step) : QString("step ?"); }

QChart* profileChart(const std::vector<const Run*>& runs, const QString& title, const ChartStyle& style) {
  std::vector<ProfileEntry> entries;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const double t = runs.size() > 1 ? static_cast<double>(i) / static_cast<double>(runs.size() - 1) : 0.0;
    entries.push_back({runs[i], nullptr, sequentialColor(0.92 * t), stepLabel(runs[i]->meta.step)});
  }
  ProfileLayers layers;
  layers.frontier = false;
  return layeredProfileChart(entries, layers, title, style);
}

QChart* analysisChart(const Run& run, const analysis::RunAnalysis& a, const ChartStyle& style) {
  ProfileLayers all;
  all.smoothed = all.band = all.quadrature = all.minimum = all.piecewise = all.theory = all.components = true;
  const QString title = QString("%1 %2: profile and fits").arg(QString::fromStdString(run.meta.modelName), stepLabel(run.meta.step));
  return layeredProfileChart({{&run, &a, Qt::black, stepLabel(run.meta.step)}}, all, title, style);
}

QChart* frontierChart(const Session& session, const ChartStyle& style) {
  QChart* chart = newStyledChart(QString::fromUtf8("Resolution frontier λ* across training"), style);
  Extent extent;
  int index = 0;
  for (const std::string& model : modelsBySize(session)) {
    auto* line = new QLineSeries;
    line->setName(QString::fromStdString(model));
    line->setPen(pen(categoricalColor(index), style.lineWidth));
    line->setPointsVisible(true);
    QList<QPointF> points;
    for (const Run* run : runsOfModel(session, model)) {
      const double lambda = peakLambda(*run);
      if (run->meta.step <= 0 || !std::isfinite(lambda)) continue;  // log axis: step 0 left out
      points.append(QPointF(static_cast<double>(run->meta.step), lambda));
      extent.add(static_cast<double>(run->meta.step), lambda);
    }
    line->replace(points);
    chart->addSeries(line);
    ++index;
  }
  attachLogAxes(chart, "training step", QString::fromUtf8("frontier λ* (peak shell)"), extent.xLow, extent.xHigh,
                extent.yLow / 1.5, extent.yHigh * 1.5, style);
  return chart;
}

QChart* overlayChart(const Session& session, std::int64_t step, const ChartStyle& style) {
  std::vector<ProfileEntry> entries;
  int index = 0;
  for (const std::string& model : modelsBySize(session)) {
    for (const Run* run : runsOfModel(session, model)) {
      if (run->meta.step == step) {
        entries.push_back({run, nullptr, categoricalColor(index),
                           modelSizeLabel(*run)});
        break;
      }
    }
    ++index;
  }
  ProfileLayers layers;
  layers.frontier = false;
  return layeredProfileChart(entries, layers, QString("Model sizes at step %1").arg(step), style);
}

}  // namespace shellscope::ui

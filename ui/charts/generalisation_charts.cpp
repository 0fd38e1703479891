#include "ui/charts/generalisation_charts.h"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QStackedBarSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "shellscope/base/csv.h"
#include "ui/charts/chart_axes.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/colormap.h"
#include "ui/charts/heatmap.h"

namespace shellscope::ui {

namespace {

QString number(double v, int digits = 3) { return std::isfinite(v) ? QString::number(v, 'g', digits) : QString::fromUtf8("—"); }

double entry(const Eigen::VectorXd& v, int b) { return b >= 0 && b < v.size() ? v[b] : NAN; }

bool valid(const LabRun& run) {
  return run.hasHeldOut() && !run.checkpoints.empty() && run.binCount() > 0 &&
         run.checkpoints.front().heldOutRate.size() == run.binCount();
}

int clampCheckpoint(const LabRun& run, int k) { return std::clamp(k, 0, std::max(0, static_cast<int>(run.checkpoints.size()) - 1)); }

/// "lab-0001 · mlp" (short: every panel says it) and with the points and the noise.
QString runName(const LabRun& run) {
  return QString::fromUtf8("%1 · %2").arg(QString::fromStdString(run.id), QString::fromStdString(run.modelName));
}
QString runDescription(const LabRun& run) {
  QString text = QString::fromUtf8("%1 · %2, n = %3, n′ = %4")
                     .arg(QString::fromStdString(run.id), QString::fromStdString(run.modelName))
                     .arg(run.settings.points)
                     .arg(run.settings.heldOutPoints);
  if (run.settings.labelNoise > 0) text += QString::fromUtf8(", noise σ = %1").arg(number(run.settings.labelNoise));
  return text;
}

/// The standard errors of checkpoint k's R (empty when there are none).
const Eigen::VectorXd* errorsAt(const RateErrors* errors, int k) {
  return errors && k >= 0 && k < static_cast<int>(errors->size()) && (*errors)[k].size() > 0 ? &(*errors)[k] : nullptr;
}

/// "step 1440, τ = 72" (a note; the view's spin box gives the index); τ only where known.
QString stepText(const LabRun& run, int k) {
  const LabCheckpoint& c = run.checkpoints[k];
  const QString step = c.step < 0 ? QStringLiteral("step unknown") : QStringLiteral("step %1").arg(c.step);
  return std::isfinite(c.tau) ? step + QString::fromUtf8(", τ = %1").arg(number(c.tau, 4)) : step;
}
QString checkpointText(const LabRun& run, int k) { return QStringLiteral("checkpoint %1: ").arg(k) + stepText(run, k); }

/// Fewer labels on a log axis spanning many decades (Qt labels every power of its base): base
/// 10^s with s such that at most `labels` powers fall inside; minor ticks off then.
void thinLogAxis(QAbstractAxis* axis, int labels) {
  auto* log = qobject_cast<QLogValueAxis*>(axis);
  if (!log || !(log->min() > 0) || !(log->max() > log->min())) return;
  const double decades = std::log10(log->max() / log->min());
  const int step = static_cast<int>(std::ceil(decades / labels));
  if (step <= 1) return;
  const double low = std::pow(10.0, step * std::floor(std::log10(log->min()) / step));
  const double high = std::pow(10.0, step * std::ceil(std::log10(log->max()) / step));
  log->setBase(std::pow(10.0, step));
  log->setMinorTickCount(0);
  log->setRange(low * (1 - 1e-9), high * (1 + 1e-9));  // as logAxis: both end decades labelled
}

QString timeTitle(bool tau) { return tau ? QString::fromUtf8("τ (accumulated step size)") : QStringLiteral("training step"); }

/// The warm colour of a rate that raises L', the cool one of a rate that lowers it (the heatmap's ends).
QColor raisingColor() { return divergingColor(0.72); }
QColor loweringColor() { return divergingColor(-0.72); }

/// A new chart titled `title`, saying so when `run` has no held-out points to draw.
QChart* newGeneralisationChart(const QString& title, const LabRun& run, const ChartStyle& style) {
  QChart* chart = newStyledChart(title, style);
  if (!valid(run)) addChartNote(chart, QStringLiteral("the lab run has no held-out points"));
  return chart;
}

/// A vertical line at x over the y range of `chart`'s left axis, in `pen`, out of the legend.
void addVerticalMarker(QChart* chart, QAbstractAxis* x, QAbstractAxis* y, double at, const QPen& pen) {
  double low = 0, high = 1;
  if (!axisRange(y, &low, &high)) return;
  auto* marker = new QLineSeries;
  marker->setPen(pen);
  marker->append(at, low);
  marker->append(at, high);
  chart->addSeries(marker);
  hideFromLegend(chart, marker);
  marker->attachAxis(x);
  marker->attachAxis(y);
}

/// λ range of a bin: underflow from 0, overflow to infinity.
std::pair<double, double> lambdaRange(const LabRun& run, int bin) {
  const double low = bin <= 0 ? 0.0 : run.window.edge(bin - 1);
  const double high = bin > run.window.shellCount ? INFINITY : run.window.edge(bin);
  return {low, high};
}

}  // namespace

QString generalisationPanelKey(GeneralisationPanel panel) {
  switch (panel) {
    case GeneralisationPanel::Profiles: return QStringLiteral("profiles");
    case GeneralisationPanel::Rates: return QStringLiteral("rates");
    case GeneralisationPanel::Heatmap: return QStringLiteral("heatmap");
    case GeneralisationPanel::Losses: return QStringLiteral("losses");
    case GeneralisationPanel::All: break;
  }
  return QStringLiteral("all");
}

bool parseGeneralisationPanel(const QString& key, GeneralisationPanel* panel) {
  for (GeneralisationPanel p : {GeneralisationPanel::All, GeneralisationPanel::Profiles, GeneralisationPanel::Rates,
                                GeneralisationPanel::Heatmap, GeneralisationPanel::Losses}) {
    if (generalisationPanelKey(p) == key) {
      *panel = p;
      return true;
    }
  }
  return false;
}

LabBinRange generalisationBins(const LabRun& run) {
  const int bins = run.binCount();
  int first = bins, last = -1;
  auto note = [&](const Eigen::VectorXd& v) {
    for (int b = 0; b < std::min<int>(bins, static_cast<int>(v.size())); ++b) {
      if (v[b] != 0 && std::isfinite(v[b])) {
        first = std::min(first, b);
        last = std::max(last, b);
      }
    }
  };
  for (const LabCheckpoint& c : run.checkpoints) {
    note(c.energy);
    note(c.heldOutEnergy);
    note(c.heldOutRate);
    note(c.trainingRate);
  }
  if (last < first) return {0, bins - 1};
  return {first, last};
}

int defaultGeneralisationCheckpoint(const LabRun& run) {
  const int last = std::max(0, static_cast<int>(run.checkpoints.size()) - 1);
  if (!valid(run)) return last;
  // The longest run of adjacent rising intervals [from, to]; its middle checkpoint.
  const int intervals = std::min(static_cast<int>(run.intervals.size()), last);
  int bestFrom = -1, bestLength = 0;
  for (int from = 0; from < intervals;) {
    if (!(run.intervals[from].heldOutLossRate > 0)) {
      ++from;
      continue;
    }
    int to = from;
    while (to + 1 < intervals && run.intervals[to + 1].heldOutLossRate > 0) ++to;
    if (to - from + 1 > bestLength) {
      bestFrom = from;
      bestLength = to - from + 1;
    }
    from = to + 1;
  }
  return bestFrom < 0 ? last : bestFrom + bestLength / 2;
}

GeneralisationAxis defaultGeneralisationAxis(const LabRun& run) {
  GeneralisationAxis axis;
  std::vector<double> magnitudes;
  for (const LabCheckpoint& c : run.checkpoints) {
    for (Eigen::Index b = 0; b < c.heldOutRate.size(); ++b) {
      if (std::isfinite(c.heldOutRate[b]) && c.heldOutRate[b] != 0) magnitudes.push_back(std::abs(c.heldOutRate[b]));
    }
  }
  if (!magnitudes.empty()) {
    std::nth_element(magnitudes.begin(), magnitudes.begin() + magnitudes.size() / 2, magnitudes.end());
    const double median = magnitudes[magnitudes.size() / 2];
    axis.logColor = *std::max_element(magnitudes.begin(), magnitudes.end()) > 100 * median;
  }
  return axis;
}

QStringList riseWindowLines(const LabRun& run) {
  if (!run.hasHeldOut()) return {QStringLiteral("the lab run has no held-out points"), QString()};
  const HeldOutRiseWindow w = heldOutRiseWindow(run);
  if (!w.rises()) return {QString::fromUtf8("L′ does not rise between checkpoints: no window"), QString()};
  const QString times = QString::fromUtf8("L′ rises over steps %1–%2, in %3 of %4 intervals")
                            .arg(w.firstStep)
                            .arg(w.lastStep)
                            .arg(w.risingIntervals)
                            .arg(run.intervals.size());
  if (w.binLow < 0) return {times + QString::fromUtf8(", but no training shell's R is positive there"), QString()};
  QString shells;
  if (!(w.lambdaLow > 0) && std::isinf(w.lambdaHigh)) {
    shells = QString::fromUtf8("all shells");
  } else if (!(w.lambdaLow > 0)) {
    shells = QString::fromUtf8("shells λ < %1").arg(number(w.lambdaHigh));
  } else if (std::isinf(w.lambdaHigh)) {
    shells = QString::fromUtf8("shells λ ≥ %1").arg(number(w.lambdaLow));
  } else {
    shells = QString::fromUtf8("shells λ %1–%2").arg(number(w.lambdaLow), number(w.lambdaHigh));
  }
  return {times, QString::fromUtf8("%1 hold %2% of the positive R").arg(shells, QString::number(std::floor(100 * w.positiveShare)))};
}

QString riseWindowText(const LabRun& run) {
  const QStringList lines = riseWindowLines(run);
  return lines[1].isEmpty() ? lines[0] : lines[0] + QStringLiteral("; ") + lines[1];
}

double checkpointTime(const LabRun& run, int k, bool tau) {
  const LabCheckpoint& c = run.checkpoints[k];
  return tau ? c.tau : static_cast<double>(c.step);
}

std::vector<double> generalisationTimeEdges(const LabRun& run, bool tau) {
  const int count = static_cast<int>(run.checkpoints.size());
  std::vector<double> edges;
  if (count == 0) return edges;
  if (count == 1) {
    const double t = checkpointTime(run, 0, tau);
    return {t - 0.5, t + 0.5};
  }
  edges.push_back(checkpointTime(run, 0, tau));
  for (int k = 1; k < count; ++k) edges.push_back(0.5 * (checkpointTime(run, k - 1, tau) + checkpointTime(run, k, tau)));
  edges.push_back(checkpointTime(run, count - 1, tau));
  return edges;
}

QChart* generalisationProfileChart(const LabRun& run, int checkpoint, const ChartStyle& style) {
  QChart* chart = newGeneralisationChart(QString::fromUtf8("Training and held-out profiles"), run, style);
  if (!valid(run)) return chart;
  chart->legend()->setAlignment(Qt::AlignBottom);
  const int k = clampCheckpoint(run, checkpoint);
  const LabCheckpoint& c = run.checkpoints[k];
  const LabBinRange bins = generalisationBins(run);
  struct Profile {
    QString name;
    const Eigen::VectorXd* energy;
    QColor color;
    Qt::PenStyle pen;
  };
  const Profile profiles[] = {
      {QString::fromUtf8("training E<sub>b</sub> (n = %1)").arg(run.settings.points), &c.energy, categoricalColor(0), Qt::SolidLine},
      {QString::fromUtf8("held-out E′<sub>b</sub> (n′ = %1)").arg(run.settings.heldOutPoints), &c.heldOutEnergy,
       categoricalColor(1), Qt::DashLine}};
  for (const Profile& p : profiles) {
    auto* line = new QLineSeries;
    line->setName(p.name);
    line->setPen(linePen(p.color, style.lineWidth, p.pen));
    line->setPointsVisible(true);  // one series a profile: the note counts each empty shell once
    // The shells of the window only: underflow and overflow have no λ to stand at (a note says what they hold).
    for (int b = std::max(1, bins.first); b <= std::min(run.window.shellCount, bins.last); ++b) {
      line->append(run.window.centre(b - 1), entry(*p.energy, b));
    }
    chart->addSeries(line);
  }
  addChartNote(chart, runDescription(run));
  addChartNote(chart, stepText(run, k) + QString::fromUtf8(" · L = %1, L′ = %2").arg(number(c.loss), number(c.heldOutLoss)));
  const int over = run.binCount() - 1;
  const double outside[] = {entry(c.energy, 0), entry(c.energy, over), entry(c.heldOutEnergy, 0), entry(c.heldOutEnergy, over)};
  if (std::any_of(std::begin(outside), std::end(outside), [](double v) { return v != 0 && std::isfinite(v); })) {
    addChartNote(chart, QString::fromUtf8("under/overflow: E %1 / %2, E′ %3 / %4")
                            .arg(number(outside[0], 2), number(outside[1], 2), number(outside[2], 2), number(outside[3], 2)));
  }
  addChartNote(chart, QString::fromUtf8("E′: e′ in J′J′ᵀ/n′'s own eigenbasis"));
  // Last: how many shells hold no energy (not drawn on log axes), said here in fewer words than
  // attachLogAxes's note (which then finds nothing left to drop): the GUI's panel is narrow.
  if (const int undrawn = dropUndrawablePoints(chart, true, true); undrawn > 0) {
    addChartNote(chart, QString::fromUtf8("%1 point(s) ≤ 0 or non-finite not shown").arg(undrawn));
  }
  attachLogAxes(chart, QString::fromUtf8("shell λ (training operator's window)"), QString::fromUtf8("shell energy"), NAN, NAN,
                NAN, NAN, style);
  thinLogAxis(chart->axes(Qt::Horizontal).value(0), 4);
  thinLogAxis(chart->axes(Qt::Vertical).value(0), 6);
  return chart;
}

QChart* generalisationRateChart(const LabRun& run, int checkpoint, const ChartStyle& style, const RateErrors* errors) {
  QChart* chart = newGeneralisationChart(QString::fromUtf8("Held-out loss rate R<sub>b</sub> per training shell"), run, style);
  if (!valid(run)) return chart;
  chart->legend()->setAlignment(Qt::AlignBottom);
  const int k = clampCheckpoint(run, checkpoint);
  const LabCheckpoint& c = run.checkpoints[k];
  const LabBinRange bins = generalisationBins(run);
  // Stacked: each shell's R_b is in exactly one of the two sets, so one bar stands at each shell.
  auto* bars = new QStackedBarSeries;
  bars->setBarWidth(0.8);
  // Legend labels are rich text: "<" written as an entity.
  auto* up = new QBarSet(QString::fromUtf8("R<sub>b</sub> &gt; 0: raises L′"));
  auto* down = new QBarSet(QString::fromUtf8("&lt; 0: lowers it"));
  up->setColor(raisingColor());
  up->setBorderColor(raisingColor().darker(130));
  down->setColor(loweringColor());
  down->setBorderColor(loweringColor().darker(130));
  auto* training = new QLineSeries;
  training->setName(QString::fromUtf8("training (≤ 0)"));
  const QColor ink = style.dark ? QColor(215, 215, 215) : QColor(50, 50, 50);
  training->setPen(linePen(ink, style.lineWidth * 0.6));
  auto* trainingPoints = new QScatterSeries;
  trainingPoints->setColor(ink);
  trainingPoints->setBorderColor(ink);
  trainingPoints->setMarkerSize(5);
  // One legend entry hides the line and its points together.
  training->setProperty("entry", 1);
  trainingPoints->setProperty("entry", 1);
  // ±2 standard errors over batch pairs (session runs), one flat step per shell.
  const Eigen::VectorXd* se = errorsAt(errors, k);
  auto* bandUpper = new QLineSeries;
  auto* bandLower = new QLineSeries;
  double largest = 0;
  for (int b = bins.first; b <= bins.last; ++b) {
    const double r = entry(c.heldOutRate, b), t = entry(c.trainingRate, b);
    const double e = se ? entry(*se, b) : NAN;
    if (std::isfinite(r) && std::isfinite(e)) {
      for (double dx : {-0.45, 0.45}) {
        bandUpper->append(b - bins.first + dx, r + 2 * e);
        bandLower->append(b - bins.first + dx, r - 2 * e);
      }
      largest = std::max(largest, std::abs(r) + 2 * e);
    }
    up->append(r > 0 ? r : 0.0);
    down->append(r < 0 ? r : 0.0);
    if (std::isfinite(r)) largest = std::max(largest, std::abs(r));
    if (std::isfinite(t)) {
      training->append(b - bins.first, t);
      trainingPoints->append(b - bins.first, t);
      largest = std::max(largest, std::abs(t));
    }
  }
  bars->append(up);
  bars->append(down);
  chart->addSeries(bars);
  if (bandUpper->count() > 0) {
    auto* band = new QAreaSeries(bandUpper, bandLower);
    band->setName(QString::fromUtf8("±2 SE"));
    band->setColor(style.dark ? QColor(230, 230, 230, 70) : QColor(60, 60, 60, 60));
    band->setBorderColor(style.dark ? QColor(230, 230, 230, 150) : QColor(60, 60, 60, 140));
    chart->addSeries(band);
  } else {
    delete bandUpper;
    delete bandLower;
  }
  // The training loss's own split where it is known (lab runs; session runs do not have it).
  if (training->count() > 0) {
    chart->addSeries(training);
    chart->addSeries(trainingPoints);
    hideFromLegend(chart, trainingPoints);
  } else {
    delete training;
    delete trainingPoints;
  }
  if (!(largest > 0)) largest = 1;
  QCategoryAxis* x = labBinAxis(run.window, bins, QString::fromUtf8("training shell: λ"), style);
  // Symmetric about zero: a bar's sign reads from where it stands.
  QValueAxis* y = linearAxis(QString::fromUtf8("rate (loss per unit τ)"), -1.08 * largest, 1.08 * largest, style);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  addChartNote(chart, runName(run) + QString::fromUtf8(" · ") + stepText(run, k));
  addChartNote(chart, QString::fromUtf8("Σ R = dL′/dτ = %1 (direct: %2)").arg(number(c.heldOutRate.sum()), number(c.heldOutRateDirect)));
  if (c.trainingRate.array().isFinite().any()) {
    addChartNote(chart, QString::fromUtf8("training's Σ = dL/dτ = %1").arg(number(c.trainingRate.sum())));
  }
  if (se) addChartNote(chart, QString::fromUtf8("band: ±2 standard errors over batch pairs"));
  return chart;
}

QChart* generalisationHeatmapChart(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, const ChartStyle& style) {
  QChart* chart = newGeneralisationChart(QString::fromUtf8("R<sub>b</sub> over training"), run, style);
  const bool tau = axis.tau;
  if (!valid(run)) return chart;
  const int k = clampCheckpoint(run, checkpoint);
  const LabBinRange bins = generalisationBins(run);
  const int columns = static_cast<int>(run.checkpoints.size());
  HeatmapGrid grid;
  grid.xEdges = generalisationTimeEdges(run, tau);
  for (int i = 0; i <= bins.count(); ++i) grid.yEdges.push_back(i - 0.5);
  grid.values.resize(bins.count(), columns);
  for (int c = 0; c < columns; ++c) {
    for (int b = bins.first; b <= bins.last; ++b) grid.values(b - bins.first, c) = entry(run.checkpoints[c].heldOutRate, b);
  }
  grid.colorBarTitle = QString::fromUtf8("R (L′ per unit τ)%1").arg(axis.logColor ? QStringLiteral(", signed log") : QString());
  grid.logColor = axis.logColor;
  QValueAxis* x = linearAxis(timeTitle(tau), grid.xEdges.front(), grid.xEdges.back(), style);
  QCategoryAxis* y = labBinAxis(run.window, bins, QString::fromUtf8("training shell: λ"), style);
  attachHeatmap(chart, std::move(grid), x, y, style);
  // The rise window: its steps by its shells, outlined.
  const HeldOutRiseWindow w = heldOutRiseWindow(run);
  if (w.rises() && w.binLow >= 0) {
    const double x0 = tau ? w.tauFirst : w.firstStep, x1 = tau ? w.tauLast : w.lastStep;
    const double y0 = std::max(w.binLow, bins.first) - bins.first - 0.5, y1 = std::min(w.binHigh, bins.last) - bins.first + 0.5;
    auto* box = new QLineSeries;
    box->setPen(linePen(style.dark ? Qt::white : Qt::black, 1.6, Qt::DashLine));
    for (const QPointF& p : {QPointF(x0, y0), QPointF(x1, y0), QPointF(x1, y1), QPointF(x0, y1), QPointF(x0, y0)}) box->append(p);
    chart->addSeries(box);
    box->attachAxis(x);
    box->attachAxis(y);
  }
  addVerticalMarker(chart, x, y, checkpointTime(run, k, tau), linePen(QColor(120, 120, 120), 1.2, Qt::DotLine));
  addChartNote(chart, QString::fromUtf8("red: raises L′ · blue: lowers it"));
  if (w.rises() && w.binLow >= 0) {
    addChartNote(chart, QString::fromUtf8("dashed: steps %1–%2, λ %3–%4")
                            .arg(w.firstStep)
                            .arg(w.lastStep)
                            .arg(number(w.lambdaLow, 2), std::isinf(w.lambdaHigh) ? QString::fromUtf8("∞") : number(w.lambdaHigh, 2)));
  } else {
    addChartNote(chart, riseWindowLines(run).front());
  }
  addChartNote(chart, QString::fromUtf8("dotted: %1").arg(stepText(run, k)));
  return chart;
}

QChart* generalisationLossChart(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, const ChartStyle& style) {
  const bool tau = axis.tau;
  QChart* chart = newGeneralisationChart(QString::fromUtf8("Training and held-out loss"), run, style);
  if (!valid(run)) return chart;
  chart->legend()->setAlignment(Qt::AlignBottom);
  const int k = clampCheckpoint(run, checkpoint);
  const int count = static_cast<int>(run.checkpoints.size());
  auto* training = new QLineSeries;
  training->setName(QString::fromUtf8("training loss L"));
  training->setPen(linePen(categoricalColor(0), style.lineWidth));
  training->setPointsVisible(count < 40);  // few checkpoints (one run: a single point) read as points
  auto* held = new QLineSeries;
  held->setName(QString::fromUtf8("held-out loss L′"));
  held->setPen(linePen(categoricalColor(1), style.lineWidth));
  held->setPointsVisible(count < 40);
  double low = INFINITY, high = -INFINITY;
  bool positive = true;
  for (int c = 0; c < count; ++c) {
    const LabCheckpoint& p = run.checkpoints[c];
    const double t = checkpointTime(run, c, tau);
    for (auto [series, v] : {std::pair{training, p.loss}, std::pair{held, p.heldOutLoss}}) {
      if (!std::isfinite(v)) continue;
      series->append(t, v);
      positive &= v > 0;
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  if (!std::isfinite(low)) low = 0, high = 1;
  const QString title = QString::fromUtf8("loss (%1)").arg(QString::fromStdString(lab::toString(run.settings.objective)));
  QAbstractAxis* y = nullptr;
  if (positive) {
    y = logAxis(title, low, high, style);
  } else {
    const double pad = 0.05 * (high - low);
    y = linearAxis(title, std::min(0.0, low - pad), high + pad, style);
  }
  const double t0 = checkpointTime(run, 0, tau), t1 = checkpointTime(run, count - 1, tau);
  QValueAxis* x = t1 > t0 ? linearAxis(timeTitle(tau), t0, t1, style) : linearAxis(timeTitle(tau), t0 - 0.5, t0 + 0.5, style);
  double yMin = 0, yMax = 1;
  axisRange(y, &yMin, &yMax);
  // The intervals where L' rises, shaded (runs of adjacent rising intervals as one band).
  bool named = false;
  for (int c = 0; c + 1 < count && c < static_cast<int>(run.intervals.size());) {
    if (!(run.intervals[c].heldOutLossRate > 0)) {
      ++c;
      continue;
    }
    int end = c;
    while (end + 1 < static_cast<int>(run.intervals.size()) && run.intervals[end + 1].heldOutLossRate > 0) ++end;
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    const double a = checkpointTime(run, c, tau), b = checkpointTime(run, end + 1, tau);
    upper->append(a, yMax);
    upper->append(b, yMax);
    lower->append(a, yMin);
    lower->append(b, yMin);
    auto* band = new QAreaSeries(upper, lower);
    QColor shade = raisingColor();
    shade.setAlpha(style.dark ? 70 : 45);
    band->setBrush(shade);
    band->setPen(Qt::NoPen);
    band->setName(QString::fromUtf8("L′ rises"));
    chart->addSeries(band);
    if (named) hideFromLegend(chart, band);
    named = true;
    c = end + 1;
  }
  chart->addSeries(training);
  chart->addSeries(held);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  addVerticalMarker(chart, x, y, checkpointTime(run, k, tau), linePen(QColor(120, 120, 120), 1.2, Qt::DotLine));
  const auto lowest = std::min_element(run.checkpoints.begin(), run.checkpoints.end(),
                                       [](const LabCheckpoint& a, const LabCheckpoint& b) { return a.heldOutLoss < b.heldOutLoss; });
  const int lowestIndex = static_cast<int>(lowest - run.checkpoints.begin());
  addChartNote(chart, runName(run) + QString::fromUtf8(" · L′ lowest %1 at %2")
                                         .arg(number(lowest->heldOutLoss), stepText(run, lowestIndex).section(QLatin1Char(','), 0, 0)));
  const HeldOutRiseWindow w = heldOutRiseWindow(run);
  addChartNote(chart, w.rises() ? QString::fromUtf8("shaded: L′ rises (%1 of %2 intervals)").arg(w.risingIntervals).arg(run.intervals.size())
                                : QString::fromUtf8("L′ does not rise between checkpoints"));
  addChartNote(chart, QString::fromUtf8("dotted: %1").arg(stepText(run, k)));
  return chart;
}

QChart* generalisationFigure(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, GeneralisationPanel panel,
                             const ChartStyle& style, const RateErrors* errors) {
  switch (panel) {
    case GeneralisationPanel::Profiles: return generalisationProfileChart(run, checkpoint, style);
    case GeneralisationPanel::Rates: return generalisationRateChart(run, checkpoint, style, errors);
    case GeneralisationPanel::Heatmap: return generalisationHeatmapChart(run, checkpoint, axis, style);
    case GeneralisationPanel::Losses: return generalisationLossChart(run, checkpoint, axis, style);
    case GeneralisationPanel::All: break;
  }
  auto* grid = new ChartGrid(2);
  grid->setTheme(style.dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  grid->setTitle(QString());
  grid->addChart(generalisationProfileChart(run, checkpoint, style));
  grid->addChart(generalisationRateChart(run, checkpoint, style, errors));
  grid->addChart(generalisationHeatmapChart(run, checkpoint, axis, style));
  grid->addChart(generalisationLossChart(run, checkpoint, axis, style));
  return grid;
}

QString generalisationProfileHover(const LabRun& run, int checkpoint, const QPointF& value) {
  if (!valid(run) || !(value.x() > 0)) return {};
  const int k = clampCheckpoint(run, checkpoint);
  const LabBinRange bins = generalisationBins(run);
  const int bin = run.window.locate(value.x()) + 1;
  if (bin < std::max(1, bins.first) || bin > std::min(run.window.shellCount, bins.last)) return {};
  const LabCheckpoint& c = run.checkpoints[k];
  return QString::fromUtf8("<b>%1</b><br>training E = %2<br>held-out E′ = %3<br>R = %4 (L′ per unit τ)<br>%5")
      .arg(labBinLabel(run.window, bin), number(entry(c.energy, bin), 4), number(entry(c.heldOutEnergy, bin), 4),
           number(entry(c.heldOutRate, bin), 4), checkpointText(run, k));
}

QString generalisationRateHover(const LabRun& run, int checkpoint, const QPointF& value, const RateErrors* errors) {
  if (!valid(run)) return {};
  const int k = clampCheckpoint(run, checkpoint);
  const LabBinRange bins = generalisationBins(run);
  const int bin = bins.first + static_cast<int>(std::lround(value.x()));
  if (bin < bins.first || bin > bins.last) return {};
  const LabCheckpoint& c = run.checkpoints[k];
  const double r = entry(c.heldOutRate, bin);
  const Eigen::VectorXd* se = errorsAt(errors, k);
  const QString value2 = se ? QString::fromUtf8("%1 ± %2 (2 SE)").arg(number(r, 4), number(2 * entry(*se, bin), 2)) : number(r, 4);
  return QString::fromUtf8("<b>%1</b><br>R = <b>%2</b> (%3)<br>training: dL/dτ = %4<br>E = %5, E′ = %6<br>%7")
      .arg(labBinLabel(run.window, bin), value2,
           r > 0 ? QString::fromUtf8("raises L′") : r < 0 ? QString::fromUtf8("lowers L′") : QStringLiteral("zero"),
           number(entry(c.trainingRate, bin), 4), number(entry(c.energy, bin), 4), number(entry(c.heldOutEnergy, bin), 4),
           checkpointText(run, k));
}

QString generalisationHeatmapHover(const LabRun& run, bool tau, const QPointF& value) {
  if (!valid(run)) return {};
  const LabBinRange bins = generalisationBins(run);
  HeatmapGrid cells;
  cells.xEdges = generalisationTimeEdges(run, tau);
  for (int i = 0; i <= bins.count(); ++i) cells.yEdges.push_back(i - 0.5);
  cells.values = Eigen::MatrixXd::Zero(bins.count(), static_cast<Eigen::Index>(run.checkpoints.size()));
  const auto [row, column] = cells.cellAt(value.x(), value.y());
  if (row < 0) return {};
  const int bin = bins.first + row;
  const LabCheckpoint& c = run.checkpoints[column];
  return QString::fromUtf8("R = <b>%1</b> (L′ per unit τ)<br>%2<br>training: dL/dτ = %3<br>%4")
      .arg(number(entry(c.heldOutRate, bin), 4), labBinLabel(run.window, bin), number(entry(c.trainingRate, bin), 4),
           checkpointText(run, column));
}

QString generalisationLossHover(const LabRun& run, bool tau, const QPointF& value) {
  if (!valid(run)) return {};
  const int count = static_cast<int>(run.checkpoints.size());
  int nearest = 0;
  for (int k = 1; k < count; ++k) {
    if (std::abs(checkpointTime(run, k, tau) - value.x()) < std::abs(checkpointTime(run, nearest, tau) - value.x())) nearest = k;
  }
  const LabCheckpoint& c = run.checkpoints[nearest];
  QString text = QString::fromUtf8("%1<br>L = <b>%2</b>, L′ = <b>%3</b><br>Σ R = dL′/dτ = %4")
                     .arg(checkpointText(run, nearest), number(c.loss, 4), number(c.heldOutLoss, 4), number(c.heldOutRate.sum(), 4));
  for (int k = 0; k + 1 < count && k < static_cast<int>(run.intervals.size()); ++k) {
    const double a = checkpointTime(run, k, tau), b = checkpointTime(run, k + 1, tau);
    if (value.x() >= a && value.x() <= b) {
      const LabInterval& in = run.intervals[k];
      text += QString::fromUtf8("<br>steps %1–%2: ΔL′/Δτ = %3 (%4), mean Σ R = %5")
                  .arg(run.checkpoints[k].step)
                  .arg(run.checkpoints[k + 1].step)
                  .arg(number(in.heldOutLossRate, 4), in.heldOutLossRate > 0 ? QString::fromUtf8("rising") : QString::fromUtf8("falling"),
                       number(in.heldOutRateMean, 4));
      break;
    }
  }
  return text;
}

QString generalisationCsv(const LabRun& run, int checkpoint, const RateErrors* errors) {
  if (!valid(run)) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.header({"panel", "lab_run", "checkpoint", "step", "tau", "bin", "lambda_low", "lambda_high", "quantity", "value"});
  const int k = clampCheckpoint(run, checkpoint);
  const LabBinRange bins = generalisationBins(run);
  auto row = [&](const char* panel, int c, int bin, const char* quantity, double value) {
    csv.text(panel).text(run.id).integer(c).integer(run.checkpoints[c].step);
    std::isfinite(run.checkpoints[c].tau) ? csv.number(run.checkpoints[c].tau) : csv.empty();  // session runs: no τ
    if (bin >= 0) {
      const auto [low, high] = lambdaRange(run, bin);
      csv.integer(bin).number(low).number(high);
    } else {
      csv.empty().empty().empty();
    }
    csv.text(quantity).number(value).endRow();
  };
  const LabCheckpoint& c = run.checkpoints[k];
  for (int b = bins.first; b <= bins.last; ++b) {
    row("profiles", k, b, "E", entry(c.energy, b));
    row("profiles", k, b, "held_out_E", entry(c.heldOutEnergy, b));
  }
  for (int b = bins.first; b <= bins.last; ++b) {
    row("rates", k, b, "held_out_R", entry(c.heldOutRate, b));
    row("rates", k, b, "training_R", entry(c.trainingRate, b));
    if (const Eigen::VectorXd* se = errorsAt(errors, k)) row("rates", k, b, "held_out_R_standard_error", entry(*se, b));
  }
  for (int i = 0; i < static_cast<int>(run.checkpoints.size()); ++i) {
    for (int b = bins.first; b <= bins.last; ++b) row("heatmap", i, b, "held_out_R", entry(run.checkpoints[i].heldOutRate, b));
  }
  for (int i = 0; i < static_cast<int>(run.checkpoints.size()); ++i) {
    row("losses", i, -1, "loss", run.checkpoints[i].loss);
    row("losses", i, -1, "held_out_loss", run.checkpoints[i].heldOutLoss);
  }
  const HeldOutRiseWindow w = heldOutRiseWindow(run);
  auto windowRow = [&](const char* quantity, double value) {
    csv.text("window").text(run.id).empty().empty().empty().empty().empty().empty().text(quantity).number(value).endRow();
  };
  windowRow("rising_intervals", w.risingIntervals);
  if (w.rises()) {
    windowRow("first_step", w.firstStep);
    windowRow("last_step", w.lastStep);
    windowRow("tau_first", w.tauFirst);
    windowRow("tau_last", w.tauLast);
    windowRow("lambda_low", w.lambdaLow);
    windowRow("lambda_high", w.lambdaHigh);
    windowRow("positive_share", w.positiveShare);
  }
  return QString::fromStdString(text.str());
}

std::vector<std::string> modelsWithHeldOut(const Session& session) {
  std::vector<std::string> models;
  for (const Run& run : session.runs) {
    if (!run.heldOut.empty() && std::find(models.begin(), models.end(), run.meta.modelName) == models.end()) {
      models.push_back(run.meta.modelName);
    }
  }
  std::sort(models.begin(), models.end());
  return models;
}

std::string heldOutSeriesId(const std::string& model, analysis::HeldOutObjective objective) {
  return objective == analysis::HeldOutObjective::CrossEntropy ? model + " (cross-entropy)" : model;
}

bool modelHasHeldOutSplit(const Session& session, const std::string& model, analysis::HeldOutObjective objective) {
  return std::any_of(session.runs.begin(), session.runs.end(), [&](const Run& run) {
    return run.meta.modelName == model && analysis::hasHeldOutSplit(run, objective);
  });
}

HeldOutSeries heldOutSeries(const Session& session, const std::string& model, analysis::HeldOutObjective objective) {
  HeldOutSeries series;
  series.objective = objective;
  const bool crossEntropy = objective == analysis::HeldOutObjective::CrossEntropy;
  std::vector<const Run*> runs;
  for (const Run& run : session.runs) {
    if (analysis::hasHeldOutSplit(run, objective) && run.meta.modelName == model &&
        run.heldOut.shellRate.size() == run.window.shellCount) {
      runs.push_back(&run);
    }
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
  // Runs of one shells-per-decade (the first's) on the union of their windows.
  if (runs.empty()) return series;
  const int perDecade = runs.front()->window.shellsPerDecade;
  runs.erase(std::remove_if(runs.begin(), runs.end(), [&](const Run* r) { return r->window.shellsPerDecade != perDecade; }), runs.end());
  int firstEdge = runs.front()->window.firstEdgeIndex, lastEdge = firstEdge + runs.front()->window.shellCount;
  for (const Run* r : runs) {
    firstEdge = std::min(firstEdge, r->window.firstEdgeIndex);
    lastEdge = std::max(lastEdge, r->window.firstEdgeIndex + r->window.shellCount);
  }
  LabRun& out = series.run;
  out.id = heldOutSeriesId(model, objective);
  out.modelName = "session runs";
  out.observable = runs.front()->meta.observable;
  out.window.shellsPerDecade = perDecade;
  out.window.firstEdgeIndex = firstEdge;
  out.window.shellCount = lastEdge - firstEdge;
  out.settings.model = model;
  out.settings.objective = crossEntropy ? lab::Objective::CrossEntropy : lab::Objective::MseOfError;
  out.settings.points = runs.front()->nTokens.empty() ? 0 : static_cast<int>(runs.front()->nTokens.front());
  out.settings.heldOutPoints = runs.front()->heldOut.nTokens.empty() ? 1 : std::max<int>(1, static_cast<int>(runs.front()->heldOut.nTokens.front()));
  out.settings.labelNoise = 0;
  out.heldOutSource = runs.front()->meta.heldOutDataSource;
  out.parameterCount = runs.front()->meta.nParams;
  const int bins = out.binCount();
  auto mean = [](const Eigen::VectorXd& v) { return v.size() ? v.mean() : NAN; };
  // Standard error of a mean over the rows (batch pairs): NaN with fewer than two.
  auto standardError = [](const Eigen::VectorXd& v) {
    const Eigen::Index n = v.size();
    if (n < 2) return static_cast<double>(NAN);
    const double m = v.mean();
    return std::sqrt((v.array() - m).square().sum() / (n - 1) / n);
  };
  for (const Run* r : runs) {
    const HeldOutSpectra& h = r->heldOut;
    const HeldOutSpectra::CrossEntropy& ce = h.crossEntropy;
    // The objective's rates: from e (mse flow) or from 1 (cross-entropy flow).
    const Eigen::VectorXd& shellRate = crossEntropy ? ce.shellRate : h.shellRate;
    const Eigen::MatrixXd& shellRateBatches = crossEntropy ? ce.shellRateBatches : h.shellRateBatches;
    const int offset = r->window.firstEdgeIndex - firstEdge;  // shell j of the run is global bin 1 + offset + j
    LabCheckpoint c;
    c.step = static_cast<int>(r->meta.step);
    c.tau = NAN;  // no learning rates known: time in steps
    c.energy = Eigen::VectorXd::Zero(bins);
    c.heldOutEnergy = Eigen::VectorXd::Zero(bins);
    c.heldOutRate = Eigen::VectorXd::Zero(bins);
    c.trainingRate = Eigen::VectorXd::Constant(bins, crossEntropy ? 0.0 : NAN);
    Eigen::VectorXd se = Eigen::VectorXd::Constant(bins, NAN);
    for (int j = 0; j < r->window.shellCount; ++j) {
      c.energy[1 + offset + j] = r->shellEnergy[j];
      c.heldOutEnergy[1 + offset + j] = h.shellEnergy.size() > j ? h.shellEnergy[j] : NAN;
      c.heldOutRate[1 + offset + j] = shellRate[j];
      if (shellRateBatches.cols() > j) se[1 + offset + j] = standardError(shellRateBatches.col(j));
      if (crossEntropy) c.trainingRate[1 + offset + j] = ce.trainingRate[j];
    }
    c.energy[0] = mean(r->underflow);
    c.energy[bins - 1] = mean(r->overflow);
    c.heldOutEnergy[0] = mean(h.underflow);
    c.heldOutEnergy[bins - 1] = mean(h.overflow);
    const Eigen::VectorXd& rateUnderflow = crossEntropy ? ce.rateUnderflow : h.rateUnderflow;
    const Eigen::VectorXd& rateOverflow = crossEntropy ? ce.rateOverflow : h.rateOverflow;
    c.heldOutRate[0] = mean(rateUnderflow);
    c.heldOutRate[bins - 1] = mean(rateOverflow);
    if (crossEntropy) {
      c.trainingRate[0] = mean(ce.trainingRateUnderflow);
      c.trainingRate[bins - 1] = mean(ce.trainingRateOverflow);
    }
    se[0] = standardError(rateUnderflow);
    se[bins - 1] = standardError(rateOverflow);
    c.loss = crossEntropy ? mean(r->loss) : 0.5 * mean(r->errorNorm2);
    c.meanSquaredError = mean(r->errorNorm2);
    c.heldOutLoss = crossEntropy ? mean(h.loss) : 0.5 * mean(h.errorNorm2);
    c.heldOutMeanSquaredError = mean(h.errorNorm2);
    c.heldOutRateDirect = mean(crossEntropy ? ce.rateDirect : h.rateDirect);
    out.checkpoints.push_back(std::move(c));
    series.runIds.push_back(r->id);
    series.rateStandardError.push_back(std::move(se));
  }
  for (std::size_t k = 0; k + 1 < out.checkpoints.size(); ++k) {
    const LabCheckpoint& a = out.checkpoints[k];
    const LabCheckpoint& b = out.checkpoints[k + 1];
    LabInterval in;
    in.dtau = b.step > a.step ? static_cast<double>(b.step - a.step) : 1.0;  // per step
    in.heldOutLossRate = (b.heldOutLoss - a.heldOutLoss) / in.dtau;
    in.heldOutRateMean = 0.5 * (a.heldOutRate.sum() + b.heldOutRate.sum());
    out.intervals.push_back(std::move(in));
  }
  out.settings.steps = out.checkpoints.back().step;
  return series;
}

}  // namespace shellscope::ui

#include "ui/charts/lab_charts.h"

#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "shellscope/base/csv.h"
#include "ui/charts/chart_axes.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/colormap.h"
#include "ui/charts/heatmap.h"

namespace shellscope::ui {

namespace {

QString number(double v, int digits = 3) { return QString::number(v, 'g', digits); }

/// 10^k as "1", "10" or "10⁻⁵" (short enough for a narrow panel's axis).
QString decadeLabel(int k) {
  if (k == 0) return QStringLiteral("1");
  if (k == 1) return QStringLiteral("10");
  static const char* const superscripts[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  QString text = QStringLiteral("10");
  if (k < 0) text += QString::fromUtf8("⁻");
  for (QChar c : QString::number(std::abs(k))) text += QString::fromUtf8(superscripts[c.digitValue()]);
  return text;
}

/// Bin positions first..last as 0..count-1, labelled at the λ of the decade edges between them
/// (every edge when fewer than two decades fall inside).
QCategoryAxis* binAxis(const ShellWindow& window, const LabBinRange& bins, const QString& title, const ChartStyle& style) {
  auto* axis = new QCategoryAxis;
  styleAxis(axis, title, style);
  axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  axis->setStartValue(-0.5);
  // Edge b (window.edge(b), b = 0..S) lies between bins b and b + 1.
  std::vector<int> edges;
  for (int b = std::max(0, bins.first - 1); b <= std::min(window.shellCount, bins.last); ++b) {
    const double at = b - bins.first + 0.5;
    if (at >= -0.5 && at <= bins.count() - 0.5) edges.push_back(b);
  }
  std::vector<int> decades;
  for (int b : edges) {
    if ((window.firstEdgeIndex + b) % window.shellsPerDecade == 0) decades.push_back(b);
  }
  if (decades.size() >= 2) {
    for (int b : decades) axis->append(decadeLabel((window.firstEdgeIndex + b) / window.shellsPerDecade), b - bins.first + 0.5);
  } else {
    for (int b : edges) axis->append(number(window.edge(b)), b - bins.first + 0.5);
  }
  axis->setRange(-0.5, bins.count() - 0.5);
  axis->setGridLineVisible(true);
  return axis;
}

int clampInterval(const LabRun& run, int interval) {
  return std::clamp(interval, 0, std::max(0, static_cast<int>(run.intervals.size()) - 1));
}

QString intervalText(const LabRun& run, int k) {
  const LabCheckpoint& a = run.checkpoints[k];
  const LabCheckpoint& b = run.checkpoints[k + 1];
  return QString::fromUtf8("interval %1 (steps %2–%3, τ %4–%5)").arg(k).arg(a.step).arg(b.step).arg(number(a.tau, 4), number(b.tau, 4));
}

QString runName(const LabRun& run) {
  return QString::fromUtf8("%1 · %2, α = %3").arg(QString::fromStdString(run.id), QString::fromStdString(run.modelName),
                                                  number(run.settings.outputScale));
}

/// The five terms of the balance of one bin, in the order drawn.
struct BalanceTerms {
  double rate, dissipation, flux, crossing, residual;
};
BalanceTerms balanceTerms(const LabInterval& in, int bin) {
  return {in.energyChange[bin] / in.dtau, -2 * in.dissipationMean[bin], 2 * in.netFlux[bin], in.crossing[bin] / in.dtau,
          in.residual[bin]};
}
const char* const kBalanceKeys[] = {"dE_dtau", "minus_2_Dbar", "2_net_flux", "crossing_per_dtau", "residual"};
QStringList balanceNames() {
  return {QString::fromUtf8("ΔE/Δτ"), QString::fromUtf8("−2D̄"), QString::fromUtf8("2ΣF̄"),
          QString::fromUtf8("crossing/Δτ"), QString::fromUtf8("residual R")};
}

bool valid(const LabRun& run) { return !run.intervals.empty() && run.binCount() > 0; }

/// A new chart titled `title`, saying so when `run` has no intervals to draw.
QChart* newLabChart(const QString& title, const LabRun& run, const ChartStyle& style) {
  QChart* chart = newStyledChart(title, style);
  if (!valid(run)) addChartNote(chart, QStringLiteral("the run has no intervals"));
  return chart;
}

/// Sweep groups: runs of one model, objective and scaling, by output scale.
std::map<std::string, std::vector<int>> sweepGroups(const std::vector<LabRun>& runs) {
  std::map<std::string, std::vector<int>> groups;
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    const LabRun& r = runs[i];
    if (r.intervals.empty() || !(r.settings.outputScale > 0)) continue;
    std::string key = r.modelName;
    // The objective only where one model was trained on both.
    const bool both = std::any_of(runs.begin(), runs.end(), [&](const LabRun& o) {
      return o.modelName == r.modelName && o.settings.objective != r.settings.objective;
    });
    if (both) key += ", " + lab::toString(r.settings.objective);
    if (r.settings.scaleOn == ScaleOn::Logits) key += ", α on logits";
    groups[key].push_back(i);
  }
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(),
              [&](int a, int b) { return runs[a].settings.outputScale < runs[b].settings.outputScale; });
  }
  return groups;
}

}  // namespace

LabBinRange shownBins(const LabRun& run) {
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
  for (const LabCheckpoint& c : run.checkpoints) note(c.energy);
  for (const LabInterval& in : run.intervals) {
    note(in.dissipationMean);
    note(in.netFlux);
  }
  if (last < first) return {0, bins - 1};
  return {first, last};
}

QString labBinLabel(const ShellWindow& window, int bin) {
  if (bin <= 0) return QString::fromUtf8("underflow (λ < %1)").arg(number(window.edge(0)));
  if (bin > window.shellCount) return QString::fromUtf8("overflow (λ ≥ %1)").arg(number(window.edge(window.shellCount)));
  return QStringLiteral("[%1, %2)").arg(number(window.edge(bin - 1)), number(window.edge(bin)));
}

QCategoryAxis* labBinAxis(const ShellWindow& window, const LabBinRange& bins, const QString& title, const ChartStyle& style) {
  return binAxis(window, bins, title, style);
}

QString labPanelKey(LabPanel panel) {
  switch (panel) {
    case LabPanel::Flux: return QStringLiteral("flux");
    case LabPanel::Balance: return QStringLiteral("balance");
    case LabPanel::Ratio: return QStringLiteral("ratio");
    case LabPanel::Sweep: return QStringLiteral("sweep");
    case LabPanel::All: break;
  }
  return QStringLiteral("all");
}

bool parseLabPanel(const QString& key, LabPanel* panel) {
  for (LabPanel p : {LabPanel::All, LabPanel::Flux, LabPanel::Balance, LabPanel::Ratio, LabPanel::Sweep}) {
    if (labPanelKey(p) == key) {
      *panel = p;
      return true;
    }
  }
  return false;
}

QChart* labFluxChart(const LabRun& run, int interval, const ChartStyle& style) {
  QChart* chart = newLabChart(QString::fromUtf8("Flux F̄<sub>β→α</sub> between shells"), run, style);
  if (!valid(run)) return chart;
  const int k = clampInterval(run, interval);
  const LabBinRange bins = shownBins(run);
  HeatmapGrid grid;
  for (int i = 0; i <= bins.count(); ++i) {
    grid.xEdges.push_back(i - 0.5);
    grid.yEdges.push_back(i - 0.5);
  }
  grid.values = run.intervals[k].flux.block(bins.first, bins.first, bins.count(), bins.count());
  grid.colorBarTitle = QString::fromUtf8("F̄ (e² per unit τ)");
  addChartNote(chart, runName(run));
  addChartNote(chart, intervalText(run, k));
  addChartNote(chart, QString::fromUtf8("red: β → α · blue: α → β (antisymmetric)"));
  attachHeatmap(chart, std::move(grid), binAxis(run.window, bins, QString::fromUtf8("from shell β: λ"), style),
                binAxis(run.window, bins, QString::fromUtf8("into shell α: λ"), style), style);
  return chart;
}

QChart* labBalanceChart(const LabRun& run, int interval, const ChartStyle& style) {
  QChart* chart = newLabChart(QString::fromUtf8("Shell balance of the interval"), run, style);
  if (!valid(run)) return chart;
  chart->legend()->setAlignment(Qt::AlignBottom);
  const int k = clampInterval(run, interval);
  const LabInterval& in = run.intervals[k];
  const LabBinRange bins = shownBins(run);
  auto* series = new QBarSeries;
  series->setBarWidth(0.9);
  const QStringList names = balanceNames();
  // ΔE/Δτ dark, the terms it is made of in Okabe-Ito colours, the residual grey.
  const QColor colors[] = {style.dark ? QColor(230, 230, 230) : QColor(40, 40, 40), categoricalColor(0),
                           categoricalColor(1), categoricalColor(2), QColor(150, 150, 150)};
  double low = 0, high = 0;
  for (int t = 0; t < 5; ++t) {
    auto* set = new QBarSet(names[t]);
    set->setColor(colors[t]);
    set->setBorderColor(colors[t]);
    for (int b = bins.first; b <= bins.last; ++b) {
      const BalanceTerms terms = balanceTerms(in, b);
      const double v = (&terms.rate)[t];
      set->append(std::isfinite(v) ? v : 0.0);
      if (std::isfinite(v)) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
    }
    series->append(set);
  }
  chart->addSeries(series);
  QCategoryAxis* x = binAxis(run.window, bins, QString::fromUtf8("shell: λ"), style);
  const double pad = 0.05 * (high - low);
  QValueAxis* y = linearAxis(QString::fromUtf8("rate (e² per unit τ)"), low - pad, high + pad, style);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  addChartNote(chart, runName(run) + QString::fromUtf8(" · relative residual %1").arg(number(in.relativeResidual, 2)));
  addChartNote(chart, intervalText(run, k));
  addChartNote(chart, QString::fromUtf8("ΔE/Δτ = −2D̄ + 2ΣF̄ + crossing/Δτ + R"));
  return chart;
}

QChart* labRatioChart(const LabRun& run, int interval, const ChartStyle& style) {
  QChart* chart = newLabChart(QString::fromUtf8("Transport / dissipation over τ"), run, style);
  if (!valid(run)) return chart;
  chart->legend()->setAlignment(Qt::AlignBottom);
  const int k = clampInterval(run, interval);
  // Each interval its own segment over [τ_k, τ_{k+1}]: the ratio belongs to the interval, not an instant.
  auto* steps = new QLineSeries;
  steps->setName(QStringLiteral("each interval"));
  steps->setPen(linePen(categoricalColor(0), style.lineWidth * 0.75));
  double low = INFINITY, high = 0;
  bool positive = true;
  for (std::size_t i = 0; i < run.intervals.size(); ++i) {
    const double r = run.intervals[i].transportToDissipation;
    if (!std::isfinite(r)) continue;
    steps->append(run.checkpoints[i].tau, r);
    steps->append(run.checkpoints[i + 1].tau, r);
    positive &= r > 0;
    low = std::min(low, r);
    high = std::max(high, r);
  }
  auto* chosen = new QLineSeries;
  chosen->setName(QStringLiteral("interval %1").arg(k));
  chosen->setPen(linePen(categoricalColor(1), style.lineWidth * 2.0));
  const double rk = run.intervals[k].transportToDissipation;
  if (std::isfinite(rk)) {
    chosen->append(run.checkpoints[k].tau, rk);
    chosen->append(run.checkpoints[k + 1].tau, rk);
  }
  const double whole = run.runTransportToDissipation();
  auto* overall = new QLineSeries;
  overall->setName(QString::fromUtf8("over the run: %1").arg(number(whole)));
  overall->setPen(linePen(style.dark ? QColor(200, 200, 200) : QColor(60, 60, 60), style.lineWidth * 0.75, Qt::DashLine));
  const double tau0 = run.checkpoints.front().tau, tau1 = run.checkpoints.back().tau;
  if (std::isfinite(whole)) {
    overall->append(tau0, whole);
    overall->append(tau1, whole);
  }
  for (QAbstractSeries* s : {static_cast<QAbstractSeries*>(steps), static_cast<QAbstractSeries*>(overall),
                             static_cast<QAbstractSeries*>(chosen)}) {
    chart->addSeries(s);
  }
  // Where the chosen interval is, across the whole height (a short segment alone is easy to miss).
  auto* marker = new QLineSeries;
  marker->setPen(linePen(categoricalColor(1), style.lineWidth * 0.5, Qt::DotLine));
  const double mid = 0.5 * (run.checkpoints[k].tau + run.checkpoints[k + 1].tau);
  QValueAxis* x = linearAxis(QString::fromUtf8("τ (accumulated step size)"), tau0, tau1, style);
  QAbstractAxis* y = nullptr;
  if (positive && high > 0) {
    y = logAxis(QString::fromUtf8("Σ|F̄| / Σ|D̄|"), low, high, style);
  } else {
    y = linearAxis(QString::fromUtf8("Σ|F̄| / Σ|D̄|"), std::min(0.0, std::isfinite(low) ? low : 0.0), high, style);
  }
  double yMin = 0, yMax = 1;
  axisRange(y, &yMin, &yMax);
  marker->append(mid, yMin);
  marker->append(mid, yMax);
  chart->addSeries(marker);
  hideFromLegend(chart, marker);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  addChartNote(chart, runName(run));
  addChartNote(chart, QString::fromUtf8("Σ|F̄| over shell pairs / Σ|D̄| · → 0 in the lazy limit"));
  return chart;
}

QChart* labSweepChart(const std::vector<LabRun>& runs, int chosen, const ChartStyle& style) {
  QChart* chart = newStyledChart(QString::fromUtf8("Lazy → rich: the α sweep"), style);
  chart->legend()->setAlignment(Qt::AlignBottom);
  const auto groups = sweepGroups(runs);
  double aLow = INFINITY, aHigh = 0, rLow = INFINITY, rHigh = 0;
  bool positive = true;
  int g = 0;
  std::vector<QAbstractSeries*> all;
  for (const auto& [key, members] : groups) {
    auto* line = new QLineSeries;
    auto* points = new QScatterSeries;
    const QColor color = categoricalColor(g++);
    line->setPen(linePen(color, style.lineWidth * 0.75));
    points->setName(QString::fromStdString(key));
    points->setColor(color);
    points->setBorderColor(color);
    points->setMarkerSize(9);
    for (int i : members) {
      const double a = runs[i].settings.outputScale, r = runs[i].runTransportToDissipation();
      if (!std::isfinite(r)) continue;
      line->append(a, r);
      points->append(a, r);
      positive &= r > 0;
      aLow = std::min(aLow, a);
      aHigh = std::max(aHigh, a);
      rLow = std::min(rLow, r);
      rHigh = std::max(rHigh, r);
    }
    chart->addSeries(line);
    hideFromLegend(chart, line);
    chart->addSeries(points);
    all.push_back(line);
    all.push_back(points);
  }
  if (chosen >= 0 && chosen < static_cast<int>(runs.size()) && std::isfinite(runs[chosen].runTransportToDissipation()) &&
      runs[chosen].settings.outputScale > 0) {
    auto* ring = new QScatterSeries;
    ring->setName(QString::fromStdString(runs[chosen].id));
    ring->setMarkerSize(17);
    ring->setColor(Qt::transparent);
    ring->setBorderColor(style.dark ? Qt::white : Qt::black);
    ring->setPen(linePen(style.dark ? Qt::white : Qt::black, 1.5));
    ring->append(runs[chosen].settings.outputScale, runs[chosen].runTransportToDissipation());
    chart->addSeries(ring);
    hideFromLegend(chart, ring);
    all.push_back(ring);
    // A 1/α guide through the chosen run (lazy training: M moves by O(1/α)).
    const double a0 = runs[chosen].settings.outputScale, r0 = runs[chosen].runTransportToDissipation();
    if (r0 > 0 && aHigh > aLow) {
      auto* guide = new QLineSeries;
      guide->setName(QString::fromUtf8("∝ 1/α"));
      guide->setPen(linePen(QColor(150, 150, 150), style.lineWidth * 0.6, Qt::DashLine));
      guide->append(aLow, r0 * a0 / aLow);
      guide->append(aHigh, r0 * a0 / aHigh);
      rLow = std::min(rLow, r0 * a0 / aHigh);
      rHigh = std::max(rHigh, r0 * a0 / aLow);
      chart->addSeries(guide);
      all.push_back(guide);
    }
  }
  if (!std::isfinite(aLow)) {
    addChartNote(chart, QStringLiteral("no lab run with a transport ratio"));
    aLow = 0.1;
    aHigh = 10;
    rLow = 0.1;
    rHigh = 1;
  }
  QLogValueAxis* x = logAxis(QString::fromUtf8("output scale α (lazy →)"), aLow / 1.5, aHigh * 1.5, style);
  QAbstractAxis* y = positive ? static_cast<QAbstractAxis*>(logAxis(QString::fromUtf8("Σ|F̄| / Σ|D̄| over the run"), rLow, rHigh, style))
                              : linearAxis(QString::fromUtf8("Σ|F̄| / Σ|D̄| over the run"), std::min(0.0, rLow), rHigh, style);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : all) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  addChartNote(chart, QString::fromUtf8("one point per lab run · f → α (f − f₀) + f₀, step η/α²"));
  if (chosen >= 0 && chosen < static_cast<int>(runs.size())) {
    addChartNote(chart, QString::fromUtf8("ringed: %1").arg(QString::fromStdString(runs[chosen].id)));
  }
  return chart;
}

QChart* labFigure(const std::vector<LabRun>& runs, int chosen, int interval, LabPanel panel, const ChartStyle& style) {
  if (chosen < 0 || chosen >= static_cast<int>(runs.size())) return nullptr;
  const LabRun& run = runs[chosen];
  switch (panel) {
    case LabPanel::Flux: return labFluxChart(run, interval, style);
    case LabPanel::Balance: return labBalanceChart(run, interval, style);
    case LabPanel::Ratio: return labRatioChart(run, interval, style);
    case LabPanel::Sweep: return labSweepChart(runs, chosen, style);
    case LabPanel::All: break;
  }
  auto* grid = new ChartGrid(2);
  grid->setTheme(style.dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  grid->setTitle(QString());
  grid->addChart(labFluxChart(run, interval, style));
  grid->addChart(labBalanceChart(run, interval, style));
  grid->addChart(labRatioChart(run, interval, style));
  grid->addChart(labSweepChart(runs, chosen, style));
  return grid;
}

QString labFluxHover(const LabRun& run, int interval, const QPointF& value) {
  if (!valid(run)) return {};
  const int k = clampInterval(run, interval);
  const LabBinRange bins = shownBins(run);
  const int from = bins.first + static_cast<int>(std::lround(value.x())), into = bins.first + static_cast<int>(std::lround(value.y()));
  if (from < bins.first || from > bins.last || into < bins.first || into > bins.last) return {};
  const double f = run.intervals[k].flux(into, from);
  return QString::fromUtf8("F̄<sub>β→α</sub> = <b>%1</b> (e² per unit τ)<br>from β: %2<br>into α: %3<br>%4")
      .arg(number(f, 4), labBinLabel(run.window, from), labBinLabel(run.window, into), intervalText(run, k));
}

QString labBalanceHover(const LabRun& run, int interval, const QPointF& value) {
  if (!valid(run)) return {};
  const int k = clampInterval(run, interval);
  const LabBinRange bins = shownBins(run);
  const int bin = bins.first + static_cast<int>(std::lround(value.x()));
  if (bin < bins.first || bin > bins.last) return {};
  const LabInterval& in = run.intervals[k];
  const BalanceTerms t = balanceTerms(in, bin);
  const QStringList names = balanceNames();
  QString text = QString::fromUtf8("<b>%1</b><br>").arg(labBinLabel(run.window, bin));
  for (int i = 0; i < 5; ++i) text += QStringLiteral("%1 = %2<br>").arg(names[i], number((&t.rate)[i], 4));
  text += QString::fromUtf8("E = %1 → %2<br>%3")
              .arg(number(run.checkpoints[k].energy[bin], 4), number(run.checkpoints[k + 1].energy[bin], 4), intervalText(run, k));
  return text;
}

QString labRatioHover(const LabRun& run, const QPointF& value) {
  for (std::size_t i = 0; i < run.intervals.size(); ++i) {
    if (value.x() >= run.checkpoints[i].tau && value.x() <= run.checkpoints[i + 1].tau) {
      const LabInterval& in = run.intervals[i];
      return QString::fromUtf8("%1<br>transport / dissipation = <b>%2</b><br>relative residual %3, largest rotation %4 rad")
          .arg(intervalText(run, static_cast<int>(i)), number(in.transportToDissipation, 4), number(in.relativeResidual, 2),
               number(in.largestRotation, 2));
    }
  }
  return {};
}

QString labSweepHover(const std::vector<LabRun>& runs, const QChart* chart, const QPointF& pixel) {
  if (!chart || chart->series().isEmpty()) return {};
  double best = 12.0 * 12.0;
  int found = -1;
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    const double a = runs[i].settings.outputScale, r = runs[i].runTransportToDissipation();
    if (!(a > 0) || !std::isfinite(r)) continue;
    const QPointF at = const_cast<QChart*>(chart)->mapToPosition(QPointF(a, r), chart->series().first());
    const double d = QPointF::dotProduct(at - pixel, at - pixel);
    if (d < best) {
      best = d;
      found = i;
    }
  }
  if (found < 0) return {};
  const LabRun& r = runs[found];
  return QString::fromUtf8("<b>%1</b>: %2, %3<br>α = %4 (on %5), step η/α² = %6<br>transport / dissipation = <b>%7</b><br>"
                           "median relative residual %8")
      .arg(QString::fromStdString(r.id), QString::fromStdString(r.modelName), QString::fromStdString(lab::toString(r.settings.objective)),
           number(r.settings.outputScale), QString::fromStdString(toString(r.settings.scaleOn)), number(r.settings.stepSize()),
           number(r.runTransportToDissipation(), 4), number(r.medianRelativeResidual(), 2));
}

QString labCsv(const std::vector<LabRun>& runs, int chosen, int interval) {
  if (chosen < 0 || chosen >= static_cast<int>(runs.size())) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.header({"panel", "lab_run", "interval", "tau_from", "tau_to", "bin", "from_bin", "lambda_low", "lambda_high", "output_scale",
              "quantity", "value"});
  const LabRun& run = runs[chosen];
  const std::string id = run.id;
  // λ range of a bin: underflow from 0, overflow to infinity.
  auto lambdaRange = [&](int bin) -> std::pair<double, double> {
    const double low = bin <= 0 ? 0.0 : run.window.edge(bin - 1);
    const double high = bin > run.window.shellCount ? INFINITY : run.window.edge(bin);
    return {low, high};
  };
  if (valid(run)) {
    const int k = clampInterval(run, interval);
    const LabInterval& in = run.intervals[k];
    const LabBinRange bins = shownBins(run);
    const double t0 = run.checkpoints[k].tau, t1 = run.checkpoints[k + 1].tau;
    for (int a = bins.first; a <= bins.last; ++a) {
      for (int b = bins.first; b <= bins.last; ++b) {
        const auto [low, high] = lambdaRange(a);
        csv.text("flux").text(id).integer(k).number(t0).number(t1).integer(a).integer(b).number(low).number(high).empty();
        csv.text("F_from_bin_into_bin").number(in.flux(a, b)).endRow();
      }
    }
    for (int b = bins.first; b <= bins.last; ++b) {
      const BalanceTerms terms = balanceTerms(in, b);
      const auto [low, high] = lambdaRange(b);
      for (int t = 0; t < 5; ++t) {
        csv.text("balance").text(id).integer(k).number(t0).number(t1).integer(b).empty().number(low).number(high).empty();
        csv.text(kBalanceKeys[t]).number((&terms.rate)[t]).endRow();
      }
    }
    for (std::size_t i = 0; i < run.intervals.size(); ++i) {
      csv.text("ratio").text(id).integer(static_cast<std::int64_t>(i)).number(run.checkpoints[i].tau).number(run.checkpoints[i + 1].tau);
      csv.empty().empty().empty().empty().empty().text("transport_to_dissipation").number(run.intervals[i].transportToDissipation).endRow();
    }
  }
  for (const LabRun& r : runs) {
    if (r.intervals.empty()) continue;
    csv.text("sweep").text(r.id).empty().number(r.checkpoints.front().tau).number(r.checkpoints.back().tau).empty().empty().empty().empty();
    csv.number(r.settings.outputScale).text("run_transport_to_dissipation").number(r.runTransportToDissipation()).endRow();
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui

#include "ui/views/profile_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

#include "shellscope/analysis/frontier.h"
#include "shellscope/spectral/profile.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"
#include "ui/views/profile_csv.h"

namespace shellscope::ui {

ProfileView::ProfileView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent), document_(document), view_(new InteractiveChartView), stack_(new QStackedWidget) {
  auto* bar = new QHBoxLayout;
  bar->setContentsMargins(6, 4, 6, 0);
  const std::vector<std::tuple<QString, bool ProfileLayers::*, QString>> layers{
      {tr("&Raw"), &ProfileLayers::raw, tr("Mean shell energy over batches")},
      {tr("S&moothed"), &ProfileLayers::smoothed, tr("Gaussian kernel smoothing in log-log space")},
      {tr("&Band"), &ProfileLayers::band, tr("95% bootstrap interval of the mean over batches")},
      {tr("&Quadrature"), &ProfileLayers::quadrature,
       tr("Gauss-Radau bounds on each shell energy from the Lanczos run itself: the quadrature error, not the noise")},
      {tr("&Unconverged"), &ProfileLayers::unconverged,
       tr("Ring shells whose quadrature bounds are wider than their energy: more Lanczos steps (or adaptive m) needed")},
      {tr("Smooth s&hells"), &ProfileLayers::smoothShells,
       tr("Energies in smooth windows one shell wide (a partition of unity in log λ), accurate at small m")},
      {tr("Mi&nimum"), &ProfileLayers::minimum, tr("Smallest energy of each shell over batches")},
      {tr("&Frontier"), &ProfileLayers::frontier, tr("The resolution frontier λ*: the maximum of a local fit around the peak")},
      {tr("&Piecewise fit"), &ProfileLayers::piecewise, tr("Power law blended into exp(−κλ)")},
      {tr("&Theory fit"), &ProfileLayers::theory, tr("C λ^(p+1) exp(−κλ)")},
      {tr("&Components"), &ProfileLayers::components, tr("The two sides of the piecewise fit")},
  };
  const ProfileLayers defaults;
  const char* names[] = {"raw", "smoothed", "band", "quadrature", "unconverged", "smoothShells",
                         "minimum", "frontier", "piecewise", "theory", "components"};
  static_assert(std::size(names) == 11);
  int index = 0;
  for (const auto& [label, member, tip] : layers) {
    auto* box = new QCheckBox(label);
    box->setObjectName(QStringLiteral("layer.%1").arg(QLatin1String(names[index++])));  // view states (page_state.h)
    box->setToolTip(tip);
    box->setChecked(defaults.*member);
    connect(box, &QCheckBox::toggled, this, &ProfileView::scheduleRebuild);
    bar->addWidget(box);
    layerBoxes_.emplace_back(box, member);
  }
  bar->addStretch();
  // The difference view: a base checkpoint of the checked runs' model, ΔE or the ratio.
  base_ = new QComboBox;
  base_->setObjectName(QStringLiteral("differenceBase"));
  base_->setToolTip(tr("Show what changed since this checkpoint: ΔE_α = E_α − E_α(base) of every other checked run of "
                       "its model, with 95% bootstrap bands paired over the same batches"));
  base_->addItem(tr("none (profiles)"), QString());
  quantity_ = new QComboBox;
  quantity_->setObjectName(QStringLiteral("differenceQuantity"));
  quantity_->setToolTip(tr("ΔE on a linear axis, or the ratio E/E(base) on a log axis"));
  quantity_->addItem(QString::fromUtf8("ΔE"), static_cast<int>(DifferenceQuantity::Delta));
  quantity_->addItem(tr("ratio"), static_cast<int>(DifferenceQuantity::Ratio));
  auto* baseLabel = new QLabel(tr("&Difference from:"));
  baseLabel->setBuddy(base_);
  bar->addWidget(baseLabel);
  bar->addWidget(base_);
  bar->addWidget(quantity_);
  connect(base_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ProfileView::scheduleRebuild);
  connect(quantity_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ProfileView::scheduleRebuild);
  auto* reset = new QPushButton(tr("Reset zoom"));
  reset->setToolTip(tr("Show the whole profile (0 or Home in the chart)"));
  connect(reset, &QPushButton::clicked, view_, &InteractiveChartView::resetZoom);
  bar->addWidget(reset);

  auto* empty = new QLabel(tr("Check runs in the session tree to show their shell profiles here."));
  empty->setAlignment(Qt::AlignCenter);
  empty->setEnabled(false);
  stack_->addWidget(empty);
  stack_->addWidget(view_);
  view_->setKeepZoomOnReplace(true);
  view_->setHoverText([this](const QPointF& value, const QPointF&) { return hoverText(value); });
  view_->linkCursor(document_->cursors(), CursorAxis::Lambda);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(stack_, 1);

  // Several changes in one turn of the event loop (a session opened and analysed) rebuild once.
  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &ProfileView::rebuildNow);
  connect(document_, &SessionDocument::checkedChanged, this, [this] {
    refreshBaseChoices();
    scheduleRebuild();
  });
  connect(document_, &SessionDocument::analysisChanged, this, &ProfileView::scheduleRebuild);
  connect(document_, &SessionDocument::sessionReset, this, [this] {
    view_->setChartOwned(nullptr);  // a new session starts unzoomed
    refreshBaseChoices();
    scheduleRebuild();
  });
  refreshBaseChoices();
  rebuildNow();
}

ProfileLayers ProfileView::layers() const {
  ProfileLayers layers;
  for (const auto& [box, member] : layerBoxes_) layers.*member = box->isChecked();
  return layers;
}

void ProfileView::setLayers(const ProfileLayers& layers) {
  for (const auto& [box, member] : layerBoxes_) box->setChecked(layers.*member);
}

void ProfileView::setDarkTheme(bool dark) {
  dark_ = dark;
  scheduleRebuild();
}

void ProfileView::scheduleRebuild() { rebuild_.start(); }

std::vector<ProfileEntry> ProfileView::entries() const {
  const std::vector<const Run*> runs = document_->checkedRuns();
  std::set<std::string> models;
  for (const Run* run : runs) models.insert(run->meta.modelName);
  std::vector<ProfileEntry> entries;
  for (const Run* run : runs) {
    const QString step = run->meta.step >= 0 ? tr("step %1").arg(run->meta.step) : QString::fromStdString(run->id);
    const QString label = models.size() > 1 ? QString::fromStdString(run->meta.modelName) + QString::fromUtf8(" · ") + step : step;
    entries.push_back({run, document_->analysisOf(run->id), document_->colorOf(*run), label});
  }
  return entries;
}

QString ProfileView::title() const {
  const std::vector<const Run*> runs = document_->checkedRuns();
  if (runs.empty()) return {};
  std::set<std::string> models;
  for (const Run* run : runs) models.insert(run->meta.modelName);
  if (models.size() > 1) return tr("Shell energy profiles");
  const QString model = QString::fromStdString(*models.begin());
  if (runs.size() == 1) return tr("%1 at step %2").arg(model).arg(runs.front()->meta.step);
  return tr("%1: %2 checkpoints").arg(model).arg(runs.size());
}

void ProfileView::refreshBaseChoices() {
  const QString previous = base_->currentData().toString();
  const QSignalBlocker block(base_);
  while (base_->count() > 1) base_->removeItem(1);
  std::set<std::string> models;
  for (const Run* run : document_->checkedRuns()) models.insert(run->meta.modelName);
  if (models.size() == 1) {
    std::vector<const Run*> runs;
    for (const Run& run : document_->session().runs) {
      if (run.meta.modelName == *models.begin()) runs.push_back(&run);
    }
    std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
    for (const Run* run : runs) {
      const QString step = run->meta.step >= 0 ? tr("step %1").arg(run->meta.step) : QString();
      base_->addItem(QStringLiteral("%1 (%2)").arg(step, QString::fromStdString(run->id)), QString::fromStdString(run->id));
    }
  }
  const int again = base_->findData(previous);
  base_->setCurrentIndex(again > 0 ? again : 0);
  base_->setEnabled(base_->count() > 1);
  quantity_->setEnabled(base_->currentIndex() > 0);
}

std::string ProfileView::baseRun() const { return base_->currentData().toString().toStdString(); }

bool ProfileView::setBaseRun(const std::string& runId) {
  const int index = runId.empty() ? 0 : base_->findData(QString::fromStdString(runId));
  if (index < 0) return false;
  base_->setCurrentIndex(index);
  return true;
}

DifferenceQuantity ProfileView::differenceQuantity() const {
  return static_cast<DifferenceQuantity>(quantity_->currentData().toInt());
}

void ProfileView::setDifferenceQuantity(DifferenceQuantity quantity) {
  quantity_->setCurrentIndex(quantity_->findData(static_cast<int>(quantity)));
}

std::vector<DifferenceEntry> ProfileView::computeDifferences() const {
  std::vector<DifferenceEntry> out;
  const std::string baseId = baseRun();
  const Run* base = baseId.empty() ? nullptr : document_->session().findRun(baseId);
  if (!base) return out;
  for (const ProfileEntry& e : entries()) {
    if (e.run->id == baseId || e.run->meta.modelName != base->meta.modelName) continue;
    try {
      out.push_back({analysis::checkpointDifference(*e.run, *base, document_->analysisOptions()), e.color, e.label});
    } catch (const std::invalid_argument&) {
      // other shells per decade or no common shell: left out (the title counts them)
    }
  }
  return out;
}

QString ProfileView::differenceTitle() const {
  const Run* base = document_->session().findRun(baseRun());
  const QString what = differenceQuantity() == DifferenceQuantity::Ratio ? tr("Energy ratio") : QString::fromUtf8("ΔE");
  return tr("%1 since %2 step %3").arg(what, QString::fromStdString(base->meta.modelName)).arg(base->meta.step);
}

void ProfileView::rebuildNow() {
  rebuild_.stop();
  quantity_->setEnabled(base_->currentIndex() > 0);
  // The paired bootstraps run here, once per change; hover, cursors, export and CSV read the result.
  differences_ = baseRun().empty() ? std::vector<DifferenceEntry>{} : computeDifferences();
  if (!baseRun().empty()) {
    const std::vector<DifferenceEntry>& diffs = differences_;
    ChartStyle style;
    style.dark = dark_;
    QChart* chart = differenceChart(diffs, differenceQuantity(), differenceTitle(), style);
    if (diffs.empty()) addChartNote(chart, tr("check other runs of this model to see their difference from the base"));
    view_->setChartOwned(chart);
    stack_->setCurrentIndex(1);
    return;
  }
  const std::vector<ProfileEntry> list = entries();
  if (list.empty()) {
    view_->setChartOwned(nullptr);
    stack_->setCurrentIndex(0);
    return;
  }
  ChartStyle style;
  style.dark = dark_;
  style.legend = list.size() <= 24;  // beyond that the colour map says more than a legend
  view_->setChartOwned(layeredProfileChart(list, layers(), title(), style));
  stack_->setCurrentIndex(1);
}

QChart* ProfileView::exportChart(const ChartStyle& style) const {
  if (!baseRun().empty()) return differenceChart(differences_, differenceQuantity(), differenceTitle(), style);
  const std::vector<ProfileEntry> list = entries();
  if (list.empty()) return nullptr;
  return layeredProfileChart(list, layers(), title(), style, view_->isZoomed() ? view_->currentRanges() : AxisRanges{});
}

QString ProfileView::shownDataCsv() const {
  if (!baseRun().empty()) return differenceCsv(differences_, differenceQuantity());
  return profileCsv(entries());
}

std::vector<CursorReading> ProfileView::cursorReadings() const {
  const std::vector<double>& pins = document_->cursors()->pinned(CursorAxis::Lambda);
  std::vector<CursorReading> out;
  if (pins.empty()) return out;
  if (!baseRun().empty()) {
    const bool ratio = differenceQuantity() == DifferenceQuantity::Ratio;
    for (const DifferenceEntry& e : differences_) {
      CursorReading r{e.label, ratio ? tr("E/E(base)") : QString::fromUtf8("ΔE"), {}};
      for (double lambda : pins) {
        const int shell = e.difference.window.locate(lambda);
        const bool inside = shell >= 0 && shell < e.difference.window.shellCount;
        r.values.push_back(!inside ? NAN : ratio ? e.difference.ratio(shell) : e.difference.delta(shell));
      }
      out.push_back(std::move(r));
    }
    return out;
  }
  for (const ProfileEntry& e : entries()) {
    CursorReading r{QString::fromStdString(e.run->meta.modelName) + ' ' + e.label, QStringLiteral("E"), {}};
    for (double lambda : pins) r.values.push_back(drawnEnergyAt(e, lambda));
    out.push_back(std::move(r));
  }
  return out;
}

QString ProfileView::hoverText(const QPointF& value) const {
  if (!baseRun().empty()) {
    // The difference view: the nearest drawn value in the hovered shell.
    const bool ratio = differenceQuantity() == DifferenceQuantity::Ratio;
    const DifferenceEntry* best = nullptr;
    int bestShell = -1;
    double bestDistance = INFINITY;
    for (const DifferenceEntry& e : differences_) {
      const analysis::CheckpointDifference& d = e.difference;
      const int shell = d.window.locate(value.x());
      if (shell < 0 || shell >= d.window.shellCount) continue;
      const double v = ratio ? d.ratio(shell) : d.delta(shell);
      if (!std::isfinite(v)) continue;
      const double distance = ratio && v > 0 && value.y() > 0 ? std::abs(std::log10(v / value.y())) : std::abs(v - value.y());
      if (distance < bestDistance) {
        bestDistance = distance;
        best = &e;
        bestShell = shell;
      }
    }
    if (!best) return {};
    const analysis::CheckpointDifference& d = best->difference;
    return QString::fromUtf8("<b>%1</b> − %2<br>shell λ ∈ [%3, %4)<br>ΔE = %5 [%6, %7]<br>ratio = %8 [%9, %10]<br>%11")
        .arg(QString::fromStdString(d.runId), QString::fromStdString(d.baseRunId))
        .arg(d.window.edge(bestShell), 0, 'g', 3)
        .arg(d.window.edge(bestShell + 1), 0, 'g', 3)
        .arg(d.delta(bestShell), 0, 'g', 4)
        .arg(d.deltaLow(bestShell), 0, 'g', 3)
        .arg(d.deltaHigh(bestShell), 0, 'g', 3)
        .arg(d.ratio(bestShell), 0, 'g', 4)
        .arg(d.ratioLow(bestShell), 0, 'g', 3)
        .arg(d.ratioHigh(bestShell), 0, 'g', 3)
        .arg(d.paired ? tr("paired over the same %1 batches").arg(d.batches) : tr("unpaired (different batches)"));
  }
  if (!(value.x() > 0) || !(value.y() > 0)) return {};
  const double logY = std::log10(value.y());
  const ProfileEntry* best = nullptr;
  int bestShell = -1;
  double bestDistance = INFINITY;
  const std::vector<ProfileEntry> list = entries();
  for (const ProfileEntry& e : list) {
    const int shell = e.run->window.locate(value.x());
    if (shell < 0 || shell >= e.run->shellCount()) continue;
    const double energy = e.run->shellEnergy(shell);
    if (!(energy > 0)) continue;
    const double distance = std::abs(std::log10(energy) - logY);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = &e;
      bestShell = shell;
    }
  }
  if (!best || bestDistance > 1.5) return {};  // far from every profile: no tooltip
  const Run& run = *best->run;
  double spread = 0;
  for (const ProfilePoint& p : profilePoints(run)) {
    if (p.shell == bestShell) spread = p.spread;
  }
  QString text = QString("<b>%1</b> (%2)<br>shell %3: λ ∈ [%4, %5)<br>E<sub>α</sub> = %6<br>spread over %7 batches: ±%8")
                     .arg(QString::fromStdString(run.meta.modelName), best->label)
                     .arg(bestShell)
                     .arg(run.window.edge(bestShell), 0, 'g', 3)
                     .arg(run.window.edge(bestShell + 1), 0, 'g', 3)
                     .arg(run.shellEnergy(bestShell), 0, 'g', 4)
                     .arg(run.batchCount())
                     .arg(spread, 0, 'g', 3);
  if (best->analysis && best->analysis->statistics.bootstrapLow.size() == run.shellCount()) {
    text += QString("<br>95% band: [%1, %2]")
                .arg(best->analysis->statistics.bootstrapLow(bestShell), 0, 'g', 3)
                .arg(best->analysis->statistics.bootstrapHigh(bestShell), 0, 'g', 3);
  }
  if (run.hasQuadratureBounds()) {
    const std::vector<bool> unresolved = run.unconvergedShells();
    text += QString("<br>quadrature bounds: [%1, %2]%3")
                .arg(run.shellEnergyLower(bestShell), 0, 'g', 3)
                .arg(run.shellEnergyUpper(bestShell), 0, 'g', 3)
                .arg(unresolved[static_cast<std::size_t>(bestShell)] ? tr(" <b>unconverged</b>") : QString());
  }
  if (run.smoothShellEnergy.size() == run.shellCount()) {
    text += QString("<br>smooth shell: %1").arg(run.smoothShellEnergy(bestShell), 0, 'g', 4);
  }
  return text;
}

}  // namespace shellscope::ui

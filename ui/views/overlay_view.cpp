#include "ui/views/overlay_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <QtCharts/QChart>
#include <algorithm>
#include <cmath>
#include <set>

#include "ui/background_pool.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"
#include "ui/views/profile_csv.h"

namespace shellscope::ui {

namespace {

const Run* runAt(const std::vector<const Run*>& runs, std::int64_t step) {
  for (const Run* run : runs) {
    if (run->meta.step == step) return run;
  }
  return nullptr;
}

QString plusMinus(double value, double error) {
  if (!std::isfinite(value)) return QString::fromUtf8("—");
  return QString::fromUtf8("%1 ± %2").arg(value, 0, 'f', 3).arg(error, 0, 'f', 3);
}

}  // namespace

OverlayView::OverlayView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      view_(new InteractiveChartView),
      stack_(new QStackedWidget),
      models_(new QListWidget),
      step_(new QComboBox),
      align_(new QCheckBox(tr("&Align to the smallest model"))),
      smoothed_(new QCheckBox(tr("S&moothed"))),
      table_(new QTableWidget(0, 6)),
      note_(new QLabel) {
  // Named for view states (page_state.h).
  models_->setObjectName("models");
  step_->setObjectName("step");
  align_->setObjectName("align");
  smoothed_->setObjectName("smoothed");
  step_->setToolTip(tr("The checkpoint step each model is drawn at (only steps every model has are listed)"));
  smoothed_->setToolTip(tr("Draw each model's smoothed profile instead of its shell energies"));
  models_->setMaximumWidth(180);
  models_->setToolTip(tr("The models to overlay"));
  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel(tr("Models:")));
  controls->addWidget(models_, 1);
  controls->addWidget(new QLabel(tr("Step:")));
  controls->addWidget(step_);
  align_->setToolTip(tr("Shift each model's profile by its fitted peak displacement and amplitude shift"));
  controls->addWidget(align_);
  controls->addWidget(smoothed_);
  note_->setWordWrap(true);
  note_->setMaximumWidth(180);
  controls->addWidget(note_);

  table_->setHorizontalHeaderLabels({tr("Model"), tr("Parameters"), QString::fromUtf8("λ*"), QString::fromUtf8("Δlog₁₀ λ (peak)"),
                                     QString::fromUtf8("Δlog₁₀ E (amplitude)"), tr("RMS")});
  table_->horizontalHeaderItem(5)->setToolTip(tr("RMS residual of the aligned bulks (decades of E)"));
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setMaximumHeight(130);
  table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // columns fit; the last one stretches

  auto* chartAndTable = new QSplitter(Qt::Vertical);
  chartAndTable->addWidget(view_);
  chartAndTable->addWidget(table_);
  chartAndTable->setStretchFactor(0, 4);
  auto* empty = new QLabel(tr("Overlays need runs of the chosen models at a common step."));
  empty->setAlignment(Qt::AlignCenter);
  empty->setEnabled(false);
  stack_->addWidget(empty);
  stack_->addWidget(chartAndTable);
  view_->setKeepZoomOnReplace(true);
  view_->linkCursor(document_->cursors(), CursorAxis::Lambda);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addLayout(controls);
  layout->addWidget(stack_, 1);

  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &OverlayView::rebuild);
  connect(models_, &QListWidget::itemChanged, this, [this] {
    refreshSteps();
    requestAlignment();
  });
  connect(step_, &QComboBox::currentIndexChanged, this, [this] { requestAlignment(); });
  connect(align_, &QCheckBox::toggled, this, [this] { rebuild_.start(); });
  connect(smoothed_, &QCheckBox::toggled, this, [this] { rebuild_.start(); });
  connect(document_, &SessionDocument::sessionReset, this, [this] {
    view_->setChartOwned(nullptr);
    refreshModels();
  });
  connect(document_, &SessionDocument::runsAdded, this, &OverlayView::refreshModels);
  connect(document_, &SessionDocument::analysisChanged, this, [this] { rebuild_.start(); });
  refreshModels();
}

OverlayView::~OverlayView() { view_->setChartOwned(nullptr); }

void OverlayView::refreshModels() {
  std::set<std::string> before;
  for (int i = 0; i < models_->count(); ++i) {
    if (models_->item(i)->checkState() == Qt::Checked) before.insert(models_->item(i)->text().toStdString());
  }
  const bool fresh = models_->count() == 0;
  {
    QSignalBlocker block(models_);
    models_->clear();
    for (const std::string& model : document_->models()) {
      auto* item = new QListWidgetItem(QString::fromStdString(model), models_);
      item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
      item->setCheckState(fresh || before.count(model) ? Qt::Checked : Qt::Unchecked);
      QPixmap swatch(12, 12);
      swatch.fill(document_->colorOfModel(model));
      item->setIcon(QIcon(swatch));
    }
  }
  refreshSteps();
  requestAlignment();
}

void OverlayView::refreshSteps() {
  const std::vector<std::string> models = checkedModels();
  std::map<std::int64_t, int> count;
  for (const std::string& model : models) {
    for (const Run* run : document_->runsOf(model)) ++count[run->meta.step];
  }
  const std::int64_t previous = step();
  QSignalBlocker block(step_);
  step_->clear();
  std::int64_t lastCommon = -1;
  for (const auto& [step, n] : count) {
    const bool common = n == static_cast<int>(models.size());
    step_->addItem(common ? tr("%1 (all models)").arg(step) : tr("%1 (%2 of %3 models)").arg(step).arg(n).arg(models.size()),
                   QVariant::fromValue<qlonglong>(step));
    if (common) lastCommon = step;
  }
  int index = step_->findData(QVariant::fromValue<qlonglong>(previous));
  if (index < 0) index = step_->findData(QVariant::fromValue<qlonglong>(lastCommon));
  step_->setCurrentIndex(index >= 0 ? index : step_->count() - 1);
}

std::vector<std::string> OverlayView::checkedModels() const {
  std::vector<std::string> models;
  for (int i = 0; i < models_->count(); ++i) {
    if (models_->item(i)->checkState() == Qt::Checked) models.push_back(models_->item(i)->text().toStdString());
  }
  return models;
}

void OverlayView::setModelsChecked(const std::vector<std::string>& models) {
  {
    QSignalBlocker block(models_);
    for (int i = 0; i < models_->count(); ++i) {
      const bool on = std::find(models.begin(), models.end(), models_->item(i)->text().toStdString()) != models.end();
      models_->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
  }
  refreshSteps();
  requestAlignment();
}

std::int64_t OverlayView::step() const { return step_->count() ? step_->currentData().toLongLong() : -1; }

void OverlayView::setStep(std::int64_t step) {
  const int index = step_->findData(QVariant::fromValue<qlonglong>(step));
  if (index >= 0) step_->setCurrentIndex(index);
}

void OverlayView::setAligned(bool aligned) { align_->setChecked(aligned); }

void OverlayView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild_.start();
}

void OverlayView::requestAlignment() {
  const int generation = ++generation_;
  alignments_.clear();
  const std::vector<std::string> models = checkedModels();
  const std::int64_t at = step();
  // Copies for the background thread: the session may change while it works.
  std::vector<Run> runs;
  for (const std::string& model : models) {
    if (const Run* run = runAt(document_->runsOf(model), at)) runs.push_back(*run);
  }
  rebuild_.start();
  if (runs.size() < 2) {
    aligning_ = false;
    Q_EMIT alignmentsReady();
    return;
  }
  aligning_ = true;
  note_->setText(tr("Aligning…"));
  // One watcher per request; a superseded result is dropped. The task works on copies only, so it
  // may outlive this view.
  auto* watcher = new QFutureWatcher<std::vector<analysis::Alignment>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
    watcher->deleteLater();
    if (generation != generation_) return;
    alignments_ = watcher->result();
    aligning_ = false;
    rebuild_.start();
    Q_EMIT alignmentsReady();
  });
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [runs = std::move(runs), options = document_->analysisOptions()] {
    std::vector<analysis::Alignment> result;
    for (std::size_t i = 1; i < runs.size(); ++i) result.push_back(analysis::alignProfiles(runs[0], runs[i], options));
    return result;
  }));
}

std::vector<ProfileEntry> OverlayView::entries() const {
  std::vector<ProfileEntry> entries;
  const std::int64_t at = step();
  for (const std::string& model : checkedModels()) {
    const Run* run = runAt(document_->runsOf(model), at);
    if (!run) continue;
    ProfileEntry e{run, document_->analysisOf(run->id), document_->colorOfModel(model), modelSizeLabel(*run)};
    if (align_->isChecked()) {
      for (const analysis::Alignment& a : alignments_) {
        if (a.other == model && a.status.ok()) {
          e.shiftDecades = -a.peakDisplacement;
          e.amplitudeDecades = -a.amplitudeShift;
        }
      }
    }
    entries.push_back(e);
  }
  return entries;
}

void OverlayView::fillTable() {
  const std::vector<ProfileEntry> list = entries();
  table_->setRowCount(static_cast<int>(list.size()));
  for (int row = 0; row < static_cast<int>(list.size()); ++row) {
    const ProfileEntry& e = list[row];
    const std::string& model = e.run->meta.modelName;
    QStringList cells{QString::fromStdString(model), QString::number(e.run->meta.nParams),
                      e.analysis && e.analysis->frontier.status.ok() ? QString::number(e.analysis->frontier.lambda, 'g', 3)
                                                                         : QString::fromUtf8("—"),
                      row == 0 ? tr("reference") : QString::fromUtf8("…"), row == 0 ? tr("reference") : QString::fromUtf8("…"),
                      QString()};
    for (const analysis::Alignment& a : alignments_) {
      if (a.other != model) continue;
      if (a.status.ok()) {
        cells[3] = plusMinus(a.peakDisplacement, a.peakDisplacementError);
        cells[4] = plusMinus(a.amplitudeShift, a.amplitudeShiftError);
        cells[5] = QString::number(a.rmsResidual, 'f', 3);
      } else {
        cells[3] = cells[4] = QString::fromStdString(a.status.text());
      }
    }
    for (int column = 0; column < cells.size(); ++column) {
      auto* item = new QTableWidgetItem(cells[column]);
      if (column == 0) {
        QPixmap swatch(12, 12);
        swatch.fill(e.color);
        item->setIcon(QIcon(swatch));
      }
      table_->setItem(row, column, item);
    }
  }
}

void OverlayView::rebuild() {
  rebuild_.stop();
  const std::vector<ProfileEntry> list = entries();
  if (!aligning_) {
    note_->setText(list.size() < 2 ? tr("Choose at least two models with runs at this step to align them.")
                                   : tr("Shifts map each model onto %1 (decades).")
                                         .arg(QString::fromStdString(list.front().run->meta.modelName)));
  }
  fillTable();
  if (list.empty()) {
    view_->setChartOwned(nullptr);
    stack_->setCurrentIndex(0);
    return;
  }
  ChartStyle style;
  style.dark = dark_;
  style.legendAlignment = Qt::AlignBottom;  // the chart keeps its width beside the controls
  ProfileLayers layers;
  layers.smoothed = smoothed_->isChecked();
  // Whether the curves are shifted goes into the title: the legend has no room to say it per model.
  const bool shifted = std::any_of(list.begin(), list.end(), [](const ProfileEntry& e) {
    return e.shiftDecades != 0.0 || e.amplitudeDecades != 0.0;
  });
  const QString title = shifted ? tr("Model sizes at step %1, aligned onto %2")
                                      .arg(step())
                                      .arg(QString::fromStdString(list.front().run->meta.modelName))
                                : tr("Model sizes at step %1").arg(step());
  view_->setChartOwned(layeredProfileChart(list, layers, title, style));
  stack_->setCurrentIndex(1);
}

QChart* OverlayView::exportChart(const ChartStyle& style) const {
  const std::vector<ProfileEntry> list = entries();
  if (list.empty()) return nullptr;
  ProfileLayers layers;
  layers.smoothed = smoothed_->isChecked();
  return layeredProfileChart(list, layers, tr("Model sizes at step %1").arg(step()), style,
                             view_->isZoomed() ? view_->currentRanges() : AxisRanges{});
}

QString OverlayView::shownDataCsv() const { return profileCsv(entries()); }

std::vector<CursorReading> OverlayView::cursorReadings() const {
  const std::vector<double>& pins = document_->cursors()->pinned(CursorAxis::Lambda);
  std::vector<CursorReading> out;
  if (pins.empty()) return out;
  for (const ProfileEntry& e : entries()) {
    CursorReading r{e.label, isAligning() || e.shiftDecades == 0 ? QStringLiteral("E") : tr("E (aligned)"), {}};
    for (double lambda : pins) r.values.push_back(drawnEnergyAt(e, lambda));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace shellscope::ui

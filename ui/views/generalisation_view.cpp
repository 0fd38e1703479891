#include "ui/views/generalisation_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <algorithm>
#include <cmath>

#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"

namespace shellscope::ui {

namespace {
QString g3(double v) { return std::isfinite(v) ? QString::number(v, 'g', 3) : QString::fromUtf8("—"); }

/// The command that makes a lab run whose held-out loss rises for a while (docs/generalisation.md).
const char* const kHeldOutCommand =
    "shellscope-cli lab run --model builtin:mlp --points 128 --held-out 256 --label-noise 0.7 --lr 0.05 --steps 2000 "
    "--every 10 --out SESSION.h5";
}  // namespace

GeneralisationView::GeneralisationView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      stack_(new QStackedWidget),
      empty_(new QLabel),
      run_(new QComboBox),
      slider_(new QSlider(Qt::Horizontal)),
      spin_(new QSpinBox),
      time_(new QComboBox),
      logColor_(new QCheckBox(tr("log colour scale"))),
      panel_(new QComboBox),
      window_(new QLabel),
      summary_(new QLabel) {
  // Named for view states (page_state.h); the slider follows the spin box.
  run_->setObjectName("run");
  spin_->setObjectName("checkpoint");
  time_->setObjectName("time");
  logColor_->setObjectName("logColor");
  panel_->setObjectName("panel");
  for (auto*& view : views_) {
    view = new InteractiveChartView;
    view->setMinimumSize(260, 200);
  }
  // Stepping through checkpoints keeps a zoom on part of the profiles or the bars.
  views_[0]->setKeepZoomOnReplace(true);
  views_[0]->linkCursor(document_->cursors(), CursorAxis::Lambda);  // the profiles' λ axis
  views_[1]->setKeepZoomOnReplace(true);
  run_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  run_->setMinimumContentsLength(18);
  run_->setToolTip(tr("The lab run with held-out points whose profiles and held-out loss rates are shown"));
  slider_->setToolTip(tr("The checkpoint whose profiles and rates R_b are shown (dotted in the heatmap and the losses)"));
  spin_->setToolTip(slider_->toolTip());
  time_->addItem(tr("training step"), false);
  time_->addItem(QString::fromUtf8("τ (accumulated step size)"), true);
  time_->setToolTip(tr("The time axis of the heatmap and the losses"));
  logColor_->setToolTip(tr("The heatmap's colours on a signed log scale over three decades, so that the small late rates "
                           "show beside the large early ones (the colour bar's labels give the values)"));
  panel_->addItem(tr("all four panels"), static_cast<int>(GeneralisationPanel::All));
  panel_->addItem(tr("profiles"), static_cast<int>(GeneralisationPanel::Profiles));
  panel_->addItem(tr("rates R_b"), static_cast<int>(GeneralisationPanel::Rates));
  panel_->addItem(tr("R_b heatmap"), static_cast<int>(GeneralisationPanel::Heatmap));
  panel_->addItem(tr("losses"), static_cast<int>(GeneralisationPanel::Losses));
  panel_->setToolTip(tr("What File ▸ Export Figure writes"));
  window_->setObjectName("riseWindow");
  window_->setWordWrap(true);
  window_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::RichText);
  summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel(tr("Lab run:")));
  controls->addWidget(run_);
  controls->addWidget(new QLabel(tr("Checkpoint:")));
  auto* checkpointRow = new QHBoxLayout;
  checkpointRow->addWidget(slider_, 1);
  checkpointRow->addWidget(spin_);
  controls->addLayout(checkpointRow);
  controls->addWidget(new QLabel(tr("Time:")));
  controls->addWidget(time_);
  controls->addWidget(logColor_);
  controls->addWidget(new QLabel(tr("Export:")));
  controls->addWidget(panel_);
  controls->addWidget(summary_, 1);
  auto* controlBox = new QWidget;
  controlBox->setLayout(controls);
  controlBox->setMaximumWidth(230);

  auto* charts = new QWidget;
  auto* grid = new QGridLayout(charts);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(2);
  grid->addWidget(window_, 0, 0, 1, 2);
  for (int i = 0; i < 4; ++i) grid->addWidget(views_[i], 1 + i / 2, i % 2);
  grid->setRowStretch(1, 1);
  grid->setRowStretch(2, 1);
  auto* shown = new QWidget;
  auto* shownLayout = new QHBoxLayout(shown);
  shownLayout->setContentsMargins(0, 0, 0, 0);
  shownLayout->addWidget(controlBox);
  shownLayout->addWidget(charts, 1);

  // The empty state: why nothing is shown, and how to get a lab run with held-out points.
  empty_->setAlignment(Qt::AlignCenter);
  empty_->setWordWrap(true);
  empty_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  stack_->addWidget(empty_);
  stack_->addWidget(shown);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addWidget(stack_);

  views_[0]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : generalisationProfileHover(runs_[r], checkpoint(), v);
  });
  views_[1]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : generalisationRateHover(runs_[r], checkpoint(), v, currentErrors());
  });
  views_[2]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : generalisationHeatmapHover(runs_[r], timeInTau(), v);
  });
  views_[3]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : generalisationLossHover(runs_[r], timeInTau(), v);
  });
  connect(views_[0], &InteractiveChartView::hovered, this, [this](QPointF v) {
    Q_EMIT statusMessage(QString::fromUtf8("λ = %1   E = %2").arg(g3(v.x()), g3(v.y())));
  });
  connect(views_[3], &InteractiveChartView::hovered, this, [this](QPointF v) {
    Q_EMIT statusMessage(QString::fromUtf8("%1 = %2   loss = %3").arg(timeInTau() ? QString::fromUtf8("τ") : tr("step"), g3(v.x()), g3(v.y())));
  });

  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &GeneralisationView::rebuild);
  connect(run_, &QComboBox::currentIndexChanged, this, &GeneralisationView::updateCheckpointRange);
  connect(slider_, &QSlider::valueChanged, this, [this](int v) {
    QSignalBlocker block(spin_);
    spin_->setValue(v);
    rebuild_.start();
  });
  connect(spin_, &QSpinBox::valueChanged, this, [this](int v) {
    QSignalBlocker block(slider_);
    slider_->setValue(v);
    rebuild_.start();
  });
  connect(time_, &QComboBox::currentIndexChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(logColor_, &QCheckBox::toggled, &rebuild_, qOverload<>(&QTimer::start));
  connect(document_, &SessionDocument::sessionReset, this, &GeneralisationView::reload);
  // Runs computed with held-out data: when the session is read and as jobs add runs.
  connect(document_, &SessionDocument::sessionReset, this, &GeneralisationView::refreshSessionRuns);
  connect(document_, &SessionDocument::runsAdded, this, &GeneralisationView::refreshSessionRuns);
  rebuild();
}

GeneralisationView::~GeneralisationView() {
  for (InteractiveChartView* view : views_) view->setChartOwned(nullptr);
}

int GeneralisationView::currentRun() const {
  return runs_.empty() ? -1 : std::clamp(run_->currentIndex(), 0, static_cast<int>(runs_.size()) - 1);
}

int GeneralisationView::checkpoint() const { return spin_->value(); }

void GeneralisationView::setCurrentRun(int index) { run_->setCurrentIndex(index); }

bool GeneralisationView::setCurrentRun(const std::string& id) {
  for (int i = 0; i < static_cast<int>(runs_.size()); ++i) {
    if (runs_[i].id == id || keyOf(i) == QString::fromStdString(id)) {
      setCurrentRun(i);
      return true;
    }
  }
  return false;
}

void GeneralisationView::setCheckpoint(int k) { spin_->setValue(k); }

GeneralisationAxis GeneralisationView::axis() const {
  GeneralisationAxis axis;
  axis.tau = time_->currentData().toBool();
  axis.logColor = logColor_->isChecked();
  return axis;
}

void GeneralisationView::setAxis(const GeneralisationAxis& axis) {
  time_->setCurrentIndex(axis.tau ? 1 : 0);
  logColor_->setChecked(axis.logColor);
}

void GeneralisationView::setExportPanel(GeneralisationPanel panel) {
  panel_->setCurrentIndex(panel_->findData(static_cast<int>(panel)));
}

GeneralisationPanel GeneralisationView::exportPanel() const {
  return static_cast<GeneralisationPanel>(panel_->currentData().toInt());
}

void GeneralisationView::reload() {
  readError_.clear();
  const QString path = document_->path();
  if (path.isEmpty() || !QFileInfo::exists(path)) {
    reader_.abandon();
    loading_ = false;
    setRuns({});
    return;
  }
  loading_ = true;
  rebuild_.start();
  reader_.read(
      this, [path] { return readLabRuns(path.toStdString()); },
      [this](std::vector<LabRun> runs, QString error) {
        loading_ = false;
        readError_ = error;
        setRuns(std::move(runs));
        applyPendingState();  // a view state given while reading
      });
}

void GeneralisationView::setRuns(std::vector<LabRun> runs) {
  labRuns_.clear();
  labRunsWithoutHeldOut_ = 0;
  for (LabRun& r : runs) {
    if (r.hasHeldOut()) {
      labRuns_.push_back(std::move(r));
    } else {
      ++labRunsWithoutHeldOut_;
    }
  }
  mergeRuns();
}

void GeneralisationView::addRun(LabRun run) {
  if (!run.hasHeldOut()) {
    ++labRunsWithoutHeldOut_;
    rebuild_.start();
    return;
  }
  // A run that is in no file (the session had none) is named so, not left without a name.
  if (run.id.empty()) run.id = "unsaved-" + std::to_string(labRuns_.size() + 1);
  const std::string id = run.id;
  labRuns_.push_back(std::move(run));
  std::stable_sort(labRuns_.begin(), labRuns_.end(), [](const LabRun& a, const LabRun& b) { return a.id < b.id; });
  mergeRuns();
  setCurrentRun(id);
}

void GeneralisationView::refreshSessionRuns() {
  series_.clear();
  // Per model the mse flow's series, then the cross-entropy flow's where the runs have it.
  const Session& session = document_->session();
  for (const std::string& model : modelsWithHeldOut(session)) {
    for (const auto objective : {analysis::HeldOutObjective::MeanSquaredError, analysis::HeldOutObjective::CrossEntropy}) {
      if (!modelHasHeldOutSplit(session, model, objective)) continue;
      HeldOutSeries s = heldOutSeries(session, model, objective);
      if (!s.run.checkpoints.empty()) series_.push_back(std::move(s));
    }
  }
  mergeRuns();
}

void GeneralisationView::mergeRuns() {
  const QString previous = run_->currentIndex() >= 0 ? run_->currentData().toString() : QString();
  runs_ = labRuns_;
  errors_.assign(labRuns_.size(), RateErrors{});
  for (const HeldOutSeries& s : series_) {
    runs_.push_back(s.run);
    errors_.push_back(s.rateStandardError);
  }
  refreshRuns();
  if (!previous.isEmpty()) setCurrentRun(previous.toStdString());
  Q_EMIT runsChanged();
}

bool GeneralisationView::isSessionSeries(int index) const {
  return index >= static_cast<int>(labRuns_.size()) && index < static_cast<int>(runs_.size());
}

QString GeneralisationView::keyOf(int index) const {
  const QString id = QString::fromStdString(runs_[index].id);
  return isSessionSeries(index) ? QStringLiteral("runs:") + id : id;
}

const RateErrors* GeneralisationView::currentErrors() const {
  const int r = currentRun();
  return r >= 0 && r < static_cast<int>(errors_.size()) && !errors_[r].empty() ? &errors_[r] : nullptr;
}

void GeneralisationView::refreshRuns() {
  QSignalBlocker block(run_);
  run_->clear();
  for (int i = 0; i < static_cast<int>(runs_.size()); ++i) {
    const LabRun& r = runs_[i];
    if (isSessionSeries(i)) {
      run_->addItem(QString::fromUtf8("%1 · %2 run(s) with held-out data").arg(QString::fromStdString(r.id)).arg(r.checkpoints.size()),
                    keyOf(i));
    } else {
      run_->addItem(QString::fromUtf8("%1 · %2, n = %3, n′ = %4")
                        .arg(QString::fromStdString(r.id), QString::fromStdString(r.modelName))
                        .arg(r.settings.points)
                        .arg(r.settings.heldOutPoints),
                    keyOf(i));
    }
  }
  run_->setCurrentIndex(runs_.empty() ? -1 : 0);
  updateCheckpointRange();
}

void GeneralisationView::updateCheckpointRange() {
  const int r = currentRun();
  const int last = r < 0 ? 0 : std::max(0, static_cast<int>(runs_[r].checkpoints.size()) - 1);
  {
    QSignalBlocker a(slider_), b(spin_);
    slider_->setRange(0, last);
    spin_->setRange(0, last);
    // A new run opens in the middle of its longest rise of the held-out loss (or at its end),
    // its heatmap in log colours when the rates span decades.
    const int k = r < 0 ? 0 : defaultGeneralisationCheckpoint(runs_[r]);
    slider_->setValue(k);
    spin_->setValue(k);
  }
  if (r >= 0) {
    QSignalBlocker block(logColor_), blockTime(time_);
    logColor_->setChecked(defaultGeneralisationAxis(runs_[r]).logColor);
    // Session runs know no learning rates: their time is in steps.
    if (isSessionSeries(r)) time_->setCurrentIndex(0);
    time_->setEnabled(!isSessionSeries(r));
    time_->setToolTip(isSessionSeries(r) ? tr("No learning rates are known for session runs: time is in steps")
                                         : tr("The time axis of the heatmap and the losses"));
  }
  rebuild_.start();
}

QString GeneralisationView::emptyText() const {
  if (loading_) return tr("Reading the session's lab runs…");
  if (!readError_.isEmpty()) return tr("The session's lab runs could not be read: %1").arg(readError_);
  QString text = labRunsWithoutHeldOut_ > 0
                     ? tr("None of this session's %n lab run(s) has held-out points, so there is no held-out loss to split over "
                          "the training shells.", nullptr, labRunsWithoutHeldOut_)
                     : tr("This session holds no lab run with held-out points (/lab) and no run computed with held-out data.");
  return text + tr("\n\nA lab run with held-out points trains a small model on n points and measures, at every checkpoint, "
                   "which training shells raise the loss on n′ points it never trains on. Make one with\n\n%1\n\n"
                   "then open the session again. A run of any model gets held-out data with compute --held-out-data PATH "
                   "(or builtin for a built-in model).")
                    .arg(QString::fromUtf8(kHeldOutCommand));
}

QString GeneralisationView::windowText() const {
  const int r = currentRun();
  return r < 0 ? QString() : riseWindowText(runs_[r]);
}

void GeneralisationView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild_.start();
}

void GeneralisationView::rebuild() {
  rebuild_.stop();
  const int r = currentRun();
  if (r < 0) {
    for (InteractiveChartView* view : views_) view->setChartOwned(nullptr);
    empty_->setText(emptyText());
    stack_->setCurrentIndex(0);
    return;
  }
  ChartStyle style;
  style.dark = dark_;
  style.fontPointSize = 9;
  const GeneralisationPanel panels[] = {GeneralisationPanel::Profiles, GeneralisationPanel::Rates, GeneralisationPanel::Heatmap,
                                        GeneralisationPanel::Losses};
  for (int i = 0; i < 4; ++i) views_[i]->setChartOwned(generalisationFigure(runs_[r], checkpoint(), axis(), panels[i], style, currentErrors()));
  window_->setText(QString::fromUtf8("<b>Window:</b> %1.").arg(windowText().toHtmlEscaped()));
  summary_->setText(summaryHtml());
  stack_->setCurrentIndex(1);
}

QString GeneralisationView::summaryHtml() const {
  const LabRun& r = runs_[currentRun()];
  if (isSessionSeries(currentRun())) {
    const HeldOutSeries& s = series_[currentRun() - labRuns_.size()];
    const LabCheckpoint& c = r.checkpoints[std::clamp(checkpoint(), 0, static_cast<int>(r.checkpoints.size()) - 1)];
    QString html = QString::fromUtf8("<p><b>%1</b>: %2 run(s) with held-out data (%3)<br>shown: %4, step %5<br>"
                                     "n = %6 training tokens, n′ = %7 held-out tokens a batch<br>held-out: %8</p>")
                       .arg(QString::fromStdString(r.id))
                       .arg(r.checkpoints.size())
                       .arg(QString::fromStdString(r.observable),
                            QString::fromStdString(s.runIds[std::clamp(checkpoint(), 0, static_cast<int>(s.runIds.size()) - 1)]))
                       .arg(c.step)
                       .arg(r.settings.points)
                       .arg(r.settings.heldOutPoints)
                       .arg(QString::fromStdString(r.heldOutSource).toHtmlEscaped());
    html += QString::fromUtf8("<p>L = %1, L′ = %2<br>Σ R = %3, direct: %4</p>")
                .arg(g3(c.loss), g3(c.heldOutLoss), g3(c.heldOutRate.sum()), g3(c.heldOutRateDirect));
    const bool crossEntropy = s.objective == analysis::HeldOutObjective::CrossEntropy;
    html += crossEntropy
                ? tr("<p style='color:gray'>Cross-entropy flow (gradient flow on L = mean(e)): R<sub>b</sub> by Lanczos "
                     "from 1, the mean over batch pairs of the rate of L′ = mean(e′) carried by training shell b, with "
                     "±2 standard errors over the pairs; the training rate's split −Σ θ w from the same quadrature. "
                     "Time in steps.</p>")
                : tr("<p style='color:gray'>Mse flow (gradient flow on L = ½ mean(e²)): R<sub>b</sub> by Lanczos from e, "
                     "the mean over batch pairs of the rate of L′ = ½ mean(e′²) carried by training shell b, with ±2 "
                     "standard errors over the pairs. The training rate's own split is not computed for session runs "
                     "(compute --held-out-cross-entropy adds the cross-entropy flow, with it). Time in steps.</p>");
    return html;
  }
  const LabRunSettings& s = r.settings;
  const LabCheckpoint& first = r.checkpoints.front();
  const LabCheckpoint& last = r.checkpoints.back();
  const auto lowest = std::min_element(r.checkpoints.begin(), r.checkpoints.end(),
                                       [](const LabCheckpoint& a, const LabCheckpoint& b) { return a.heldOutLoss < b.heldOutLoss; });
  QString html = QString::fromUtf8("<p><b>%1</b>: %2 (%3, P = %4)<br>n = %5 training points, label noise σ = %6<br>"
                                   "n′ = %7 held-out points: %8<br>η = %9, %10 steps, %11 checkpoints</p>")
                     .arg(QString::fromStdString(r.id), QString::fromStdString(s.model), QString::fromStdString(r.observable))
                     .arg(r.parameterCount)
                     .arg(s.points)
                     .arg(g3(s.labelNoise))
                     .arg(s.heldOutPoints)
                     .arg(QString::fromStdString(r.heldOutSource).toHtmlEscaped(), g3(s.learningRate))
                     .arg(s.steps)
                     .arg(r.checkpoints.size());
  html += QString::fromUtf8("<p>L: %1 → %2<br>L′: %3 → %4, lowest %5 at step %6<br>Σ R against the direct product: %7<br>"
                            "against ΔL′/Δτ measured: %8 of its largest</p>")
              .arg(g3(first.loss), g3(last.loss), g3(first.heldOutLoss), g3(last.heldOutLoss), g3(lowest->heldOutLoss))
              .arg(lowest->step)
              .arg(g3(r.maxHeldOutIdentityError()), g3(r.maxHeldOutRateMismatch()));
  html += tr("<p style='color:gray'>R<sub>b</sub>: the rate of the held-out loss carried by training shell b, "
             "dL′/dτ = Σ<sub>b</sub> R<sub>b</sub>; R<sub>b</sub> &gt; 0: learning on the training points raises L′ "
             "there. Shell axes: bins of the run's window; the outermost may be underflow or overflow (hover says which).</p>");
  return html;
}

bool GeneralisationView::exportHasCursorAxis(CursorAxis axis) const {
  return axis == CursorAxis::Lambda && exportPanel() == GeneralisationPanel::Profiles;
}

QChart* GeneralisationView::exportChart(const ChartStyle& style) const {
  const int r = currentRun();
  if (r < 0) return nullptr;
  return generalisationFigure(runs_[r], checkpoint(), axis(), exportPanel(), style, currentErrors());
}

QString GeneralisationView::shownDataCsv() const {
  const int r = currentRun();
  return r < 0 ? QString() : generalisationCsv(runs_[r], checkpoint(), currentErrors());
}

}  // namespace shellscope::ui

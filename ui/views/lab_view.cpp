#include "ui/views/lab_view.h"

#include <QComboBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
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
}  // namespace

LabView::LabView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      stack_(new QStackedWidget),
      empty_(new QLabel),
      run_(new QComboBox),
      slider_(new QSlider(Qt::Horizontal)),
      spin_(new QSpinBox),
      panel_(new QComboBox),
      summary_(new QLabel) {
  // Named for view states (page_state.h); the slider follows the spin box.
  run_->setObjectName("run");
  spin_->setObjectName("interval");
  panel_->setObjectName("panel");
  for (auto*& view : views_) {
    view = new InteractiveChartView;
    view->setMinimumSize(260, 200);
  }
  // Stepping through the intervals keeps a zoom on part of the flux matrix or the balance.
  views_[0]->setKeepZoomOnReplace(true);
  views_[1]->setKeepZoomOnReplace(true);
  run_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  run_->setMinimumContentsLength(18);
  run_->setToolTip(tr("The lab run whose flux, balance and ratio are shown"));
  slider_->setToolTip(tr("The interval between two checkpoints whose flux matrix and balance are shown"));
  spin_->setToolTip(slider_->toolTip());
  panel_->addItem(tr("all four panels"), static_cast<int>(LabPanel::All));
  panel_->addItem(tr("flux matrix"), static_cast<int>(LabPanel::Flux));
  panel_->addItem(tr("shell balance"), static_cast<int>(LabPanel::Balance));
  panel_->addItem(tr("transport / dissipation"), static_cast<int>(LabPanel::Ratio));
  panel_->addItem(tr("lazy-rich sweep"), static_cast<int>(LabPanel::Sweep));
  panel_->setToolTip(tr("What File ▸ Export Figure writes"));
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::RichText);
  summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel(tr("Lab run:")));
  controls->addWidget(run_);
  controls->addWidget(new QLabel(tr("Interval:")));
  auto* intervalRow = new QHBoxLayout;
  intervalRow->addWidget(slider_, 1);
  intervalRow->addWidget(spin_);
  controls->addLayout(intervalRow);
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
  for (int i = 0; i < 4; ++i) grid->addWidget(views_[i], i / 2, i % 2);
  auto* shown = new QWidget;
  auto* shownLayout = new QHBoxLayout(shown);
  shownLayout->setContentsMargins(0, 0, 0, 0);
  shownLayout->addWidget(controlBox);
  shownLayout->addWidget(charts, 1);

  // The empty state: why nothing is shown, and how to get a lab run.
  auto* emptyPage = new QWidget;
  auto* emptyLayout = new QVBoxLayout(emptyPage);
  empty_->setAlignment(Qt::AlignCenter);
  empty_->setWordWrap(true);
  auto* runButton = new QPushButton(tr("New Lab Run…"));
  runButton->setObjectName("labRunButton");
  runButton->setToolTip(tr("Train a small model exactly and compute its shell balance (Lab ▸ New Lab Run…)"));
  connect(runButton, &QPushButton::clicked, this, &LabView::labRunRequested);
  emptyLayout->addStretch();
  emptyLayout->addWidget(empty_);
  emptyLayout->addWidget(runButton, 0, Qt::AlignCenter);
  emptyLayout->addStretch();
  stack_->addWidget(emptyPage);
  stack_->addWidget(shown);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addWidget(stack_);

  views_[0]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : labFluxHover(runs_[r], interval(), v);
  });
  views_[1]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : labBalanceHover(runs_[r], interval(), v);
  });
  views_[2]->setHoverText([this](const QPointF& v, const QPointF&) {
    const int r = currentRun();
    return r < 0 ? QString() : labRatioHover(runs_[r], v);
  });
  views_[3]->setHoverText([this](const QPointF&, const QPointF& pixel) { return labSweepHover(runs_, views_[3]->chart(), pixel); });
  connect(views_[2], &InteractiveChartView::hovered, this, [this](QPointF v) {
    Q_EMIT statusMessage(QString::fromUtf8("τ = %1   ratio = %2").arg(g3(v.x()), g3(v.y())));
  });

  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &LabView::rebuild);
  connect(run_, &QComboBox::currentIndexChanged, this, &LabView::updateIntervalRange);
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
  connect(document_, &SessionDocument::sessionReset, this, &LabView::reload);
  rebuild();
}

LabView::~LabView() {
  for (InteractiveChartView* view : views_) view->setChartOwned(nullptr);
}

int LabView::currentRun() const { return runs_.empty() ? -1 : std::clamp(run_->currentIndex(), 0, static_cast<int>(runs_.size()) - 1); }

int LabView::interval() const { return spin_->value(); }

void LabView::setCurrentRun(int index) { run_->setCurrentIndex(index); }

bool LabView::setCurrentRun(const std::string& id) {
  for (int i = 0; i < static_cast<int>(runs_.size()); ++i) {
    if (runs_[i].id == id) {
      setCurrentRun(i);
      return true;
    }
  }
  return false;
}

void LabView::setInterval(int k) { spin_->setValue(k); }

void LabView::setExportPanel(LabPanel panel) { panel_->setCurrentIndex(panel_->findData(static_cast<int>(panel))); }

LabPanel LabView::exportPanel() const { return static_cast<LabPanel>(panel_->currentData().toInt()); }

void LabView::reload() {
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

void LabView::setRuns(std::vector<LabRun> runs) {
  const QString previous = run_->currentIndex() >= 0 ? run_->currentData().toString() : QString();
  runs_ = std::move(runs);
  refreshRuns();
  if (!previous.isEmpty()) setCurrentRun(previous.toStdString());
  Q_EMIT runsChanged();
}

void LabView::addRun(LabRun run) {
  // A run that is in no file (the session had none) is named so, not left without a name.
  if (run.id.empty()) run.id = "unsaved-" + std::to_string(runs_.size() + 1);
  const std::string id = run.id;
  runs_.push_back(std::move(run));
  std::stable_sort(runs_.begin(), runs_.end(), [](const LabRun& a, const LabRun& b) { return a.id < b.id; });
  refreshRuns();
  setCurrentRun(id);
  Q_EMIT runsChanged();
}

void LabView::refreshRuns() {
  QSignalBlocker block(run_);
  run_->clear();
  for (const LabRun& r : runs_) {
    run_->addItem(QString::fromUtf8("%1 · %2, α = %3").arg(QString::fromStdString(r.id), QString::fromStdString(r.modelName),
                                                          QString::number(r.settings.outputScale, 'g', 3)),
                  QString::fromStdString(r.id));
  }
  run_->setCurrentIndex(runs_.empty() ? -1 : 0);
  updateIntervalRange();
}

void LabView::updateIntervalRange() {
  const int r = currentRun();
  const int last = r < 0 ? 0 : std::max(0, static_cast<int>(runs_[r].intervals.size()) - 1);
  QSignalBlocker a(slider_), b(spin_);
  slider_->setRange(0, last);
  spin_->setRange(0, last);
  rebuild_.start();
}

QString LabView::emptyText() const {
  if (loading_) return tr("Reading the session's lab runs…");
  if (!readError_.isEmpty()) return tr("The session's lab runs could not be read: %1").arg(readError_);
  return tr("This session holds no lab runs (/lab). A lab run trains a small model by gradient descent and measures "
            "the shell balance exactly at every step: Compute ▸ New Lab Run…, or shellscope-cli lab run --out SESSION.h5.");
}

void LabView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild_.start();
}

void LabView::rebuild() {
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
  const LabPanel panels[] = {LabPanel::Flux, LabPanel::Balance, LabPanel::Ratio, LabPanel::Sweep};
  for (int i = 0; i < 4; ++i) views_[i]->setChartOwned(labFigure(runs_, r, interval(), panels[i], style));
  summary_->setText(summaryHtml());
  stack_->setCurrentIndex(1);
}

QString LabView::summaryHtml() const {
  const LabRun& r = runs_[currentRun()];
  const LabRunSettings& s = r.settings;
  QString html = QString::fromUtf8("<p><b>%1</b>: %2 (%3, P = %4)<br>n = %5, %6<br>η = %7, α = %8 on %9, step η/α² = %10<br>"
                                   "%11 steps, %12 checkpoints, τ = %13</p>")
                     .arg(QString::fromStdString(r.id), QString::fromStdString(s.model), QString::fromStdString(r.observable))
                     .arg(r.parameterCount)
                     .arg(s.points)
                     .arg(QString::fromStdString(lab::toString(s.objective)), g3(s.learningRate), g3(s.outputScale),
                          QString::fromStdString(toString(s.scaleOn)), g3(s.stepSize()))
                     .arg(s.steps)
                     .arg(r.checkpoints.size())
                     .arg(r.checkpoints.empty() ? QString::fromUtf8("—") : g3(r.checkpoints.back().tau));
  html += QString::fromUtf8("<p>transport / dissipation over the run: <b>%1</b><br>relative residual: median %2, max %3<br>"
                            "Δe/Δτ against −M e: mean cosine %4<br>against −M 1: mean cosine %5<br>intervals turning a pair "
                            "by more than 0.1 rad: %6</p>")
              .arg(g3(r.runTransportToDissipation()), g3(r.medianRelativeResidual()), g3(r.maxRelativeResidual()),
                   QString::number(r.meanCosineErrorFlow(), 'f', 4), QString::number(r.meanCosineOnesFlow(), 'f', 4))
              .arg(r.fastIntervals());
  html += tr("<p style='color:gray'>Shell axes: bins of the run's window over the range holding energy; the outermost "
             "may be underflow or overflow (hover says which). Rates are per unit τ.</p>");
  return html;
}

QChart* LabView::exportChart(const ChartStyle& style) const {
  const int r = currentRun();
  if (r < 0) return nullptr;
  return labFigure(runs_, r, interval(), exportPanel(), style);
}

QString LabView::shownDataCsv() const { return labCsv(runs_, currentRun(), interval()); }

}  // namespace shellscope::ui

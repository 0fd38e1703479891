#include "ui/views/transport_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <algorithm>
#include <cmath>

#include "shellscope/transport/transport_file.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"

namespace shellscope::ui {

namespace {
QString g3(double v) { return std::isfinite(v) ? QString::number(v, 'g', 3) : QString::fromUtf8("—"); }
}  // namespace

TransportView::TransportView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      stack_(new QStackedWidget),
      empty_(new QLabel),
      transport_(new QComboBox),
      time_(new QComboBox),
      logTime_(new QCheckBox(tr("log time axis"))),
      logColor_(new QCheckBox(tr("log colour scale"))),
      summary_(new QLabel),
      view_(new InteractiveChartView) {
  // Named for view states (page_state.h).
  transport_->setObjectName("transport");
  time_->setObjectName("time");
  time_->setToolTip(tr("The heatmap's time axis: τ (the accumulated learning rate, when the series knows it) or steps"));
  logTime_->setObjectName("logTime");
  logColor_->setObjectName("logColor");
  view_->setKeepZoomOnReplace(false);
  transport_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  transport_->setMinimumContentsLength(18);
  transport_->setToolTip(tr("The stored flux estimate (a checkpoint series) shown"));
  time_->addItem(QString::fromUtf8("τ (accumulated learning rate)"), true);
  time_->addItem(tr("training step"), false);
  logTime_->setToolTip(tr("A log axis spreads early checkpoints; the first interval, from step 0, then starts one "
                          "spacing ratio below its end"));
  logColor_->setToolTip(tr("Colours on a signed log scale over three decades, so that small fluxes show beside "
                           "large ones (the colour bar's labels give the values)"));
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::RichText);
  summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel(tr("Estimate:")));
  controls->addWidget(transport_);
  controls->addWidget(new QLabel(tr("Time:")));
  controls->addWidget(time_);
  controls->addWidget(logTime_);
  controls->addWidget(logColor_);
  controls->addWidget(summary_, 1);
  auto* controlBox = new QWidget;
  controlBox->setLayout(controls);
  controlBox->setMaximumWidth(230);
  auto* shown = new QWidget;
  auto* shownLayout = new QHBoxLayout(shown);
  shownLayout->setContentsMargins(0, 0, 0, 0);
  shownLayout->addWidget(controlBox);
  shownLayout->addWidget(view_, 1);
  empty_->setAlignment(Qt::AlignCenter);
  empty_->setWordWrap(true);
  empty_->setEnabled(false);
  stack_->addWidget(empty_);
  stack_->addWidget(shown);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addWidget(stack_);

  view_->setHoverText([this](const QPointF& v, const QPointF&) {
    const int t = currentTransport();
    return t < 0 ? QString() : transportHover(transports_[t], timeAxis(), v);
  });
  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &TransportView::rebuild);
  connect(transport_, &QComboBox::currentIndexChanged, this, &TransportView::chooseDefaultAxis);
  connect(time_, &QComboBox::currentIndexChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(logTime_, &QCheckBox::toggled, &rebuild_, qOverload<>(&QTimer::start));
  connect(logColor_, &QCheckBox::toggled, &rebuild_, qOverload<>(&QTimer::start));
  connect(document_, &SessionDocument::sessionReset, this, &TransportView::reload);
  rebuild();
}

TransportView::~TransportView() { view_->setChartOwned(nullptr); }

int TransportView::currentTransport() const {
  return transports_.empty() ? -1 : std::clamp(transport_->currentIndex(), 0, static_cast<int>(transports_.size()) - 1);
}

void TransportView::setCurrentTransport(int index) { transport_->setCurrentIndex(index); }

bool TransportView::setCurrentTransport(const std::string& id) {
  for (int i = 0; i < static_cast<int>(transports_.size()); ++i) {
    if (transports_[i].id == id) {
      setCurrentTransport(i);
      return true;
    }
  }
  return false;
}

TransportAxis TransportView::timeAxis() const {
  TransportAxis axis;
  axis.tau = time_->currentData().toBool() && time_->isEnabled();
  axis.logTime = logTime_->isChecked();
  axis.logColor = logColor_->isChecked();
  return axis;
}

void TransportView::setTimeAxis(const TransportAxis& axis) {
  time_->setCurrentIndex(axis.tau && time_->isEnabled() ? 0 : 1);
  logTime_->setChecked(axis.logTime);
  logColor_->setChecked(axis.logColor);
}

void TransportView::reload() {
  readError_.clear();
  const QString path = document_->path();
  if (path.isEmpty() || !QFileInfo::exists(path)) {
    reader_.abandon();
    loading_ = false;
    setTransports({});
    return;
  }
  loading_ = true;
  rebuild_.start();
  reader_.read(
      this, [path] { return transport::readTransports(path.toStdString()); },
      [this](std::vector<transport::SeriesTransport> transports, QString error) {
        loading_ = false;
        readError_ = error;
        setTransports(std::move(transports));
        applyPendingState();  // a view state given while reading
      });
}

void TransportView::setTransports(std::vector<transport::SeriesTransport> transports) {
  transports_ = std::move(transports);
  refreshTransports();
  Q_EMIT transportsChanged();
}

void TransportView::refreshTransports() {
  {
    QSignalBlocker block(transport_);
    transport_->clear();
    for (const transport::SeriesTransport& t : transports_) {
      transport_->addItem(QString::fromUtf8("%1 · %2, %3 checkpoints")
                              .arg(QString::fromStdString(t.id), QString::fromStdString(t.modelName))
                              .arg(t.steps.size()),
                          QString::fromStdString(t.id));
    }
    transport_->setCurrentIndex(transports_.empty() ? -1 : 0);
  }
  chooseDefaultAxis();
}

void TransportView::chooseDefaultAxis() {
  const int t = currentTransport();
  if (t >= 0) {
    const TransportAxis axis = defaultTransportAxis(transports_[t]);
    QSignalBlocker a(time_), b(logTime_), c(logColor_);
    // τ only when the series knows it; otherwise the axis is steps and says so.
    time_->setEnabled(true);
    time_->setCurrentIndex(axis.tau ? 0 : 1);
    time_->setEnabled(axis.tau);
    time_->setToolTip(axis.tau ? QString() : tr("No learning rates are known for this series: time is in steps"));
    logTime_->setChecked(axis.logTime);
    logColor_->setChecked(axis.logColor);
  }
  rebuild_.start();
}

QString TransportView::emptyText() const {
  if (loading_) return tr("Reading the session's flux estimates…");
  if (!readError_.isEmpty()) return tr("The session's flux estimates could not be read: %1").arg(readError_);
  return tr("This session holds no flux estimates (/transport). Estimate the cumulative flux of a checkpoint series "
            "computed on the same batches with shellscope-cli transport SESSION.h5, then open the session again.");
}

void TransportView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild_.start();
}

void TransportView::rebuild() {
  rebuild_.stop();
  const int t = currentTransport();
  if (t < 0) {
    view_->setChartOwned(nullptr);
    empty_->setText(emptyText());
    stack_->setCurrentIndex(0);
    return;
  }
  ChartStyle style;
  style.dark = dark_;
  view_->setChartOwned(transportChart(transports_[t], timeAxis(), style));
  linkCursors();
  summary_->setText(summaryHtml());
  stack_->setCurrentIndex(1);
}

QString TransportView::summaryHtml() const {
  const transport::SeriesTransport& t = transports_[currentTransport()];
  QString steps = t.steps.empty() ? QString::fromUtf8("—") : QString("%1 … %2").arg(t.steps.front()).arg(t.steps.back());
  QString html = QString::fromUtf8("<p><b>%1</b>: %2<br>%3 checkpoints (steps %4), %5 batches each<br>time: %6<br>"
                                   "window: %7 shells per decade, λ %8 … %9</p>")
                     .arg(QString::fromStdString(t.id), QString::fromStdString(t.modelName))
                     .arg(t.steps.size())
                     .arg(steps)
                     .arg(t.batchIndex.size())
                     .arg(t.time.unit() == "steps" ? tr("steps (no learning rates known)")
                                                   : QString::fromStdString(t.time.description).toHtmlEscaped())
                     .arg(t.window.shellsPerDecade)
                     .arg(g3(t.window.edge(0)), g3(t.window.edge(t.window.shellCount)));
  const bool crossEntropy = t.dissipationKind == transport::DissipationKind::CrossEntropy;
  html += QString::fromUtf8("<p>dissipation: %1<br>largest |closure| / Σ D̄: %2 (J above the last edge; 0 for %3)<br>"
                            "error bars: %4% bootstrap over batches, %5 samples, widened by the trapezoid's bias</p>")
              .arg(crossEntropy ? QString::fromUtf8("Σ λ g c (cross-entropy's, from e ± 1)")
                                : QString::fromUtf8("Σ θ m of e (the mse-of-error flow's)"))
              .arg(g3(t.maxRelativeClosure()))
              .arg(crossEntropy ? QString::fromUtf8("ė = −M 1") : QString::fromUtf8("ė = −M e"))
              .arg(g3(100 * t.confidence))
              .arg(t.bootstrapSamples);
  html += tr("<p style='color:gray'>J<sub>≤b</sub> is the energy per unit time crossing shell edge b downwards "
             "(J &gt; 0: toward small λ). Lighter cells: the interval contains 0.</p>");
  return html;
}

void TransportView::linkCursors() {
  // λ up the heatmap (shell edges): a click pins the edge. Steps across, when the time axis is in
  // steps: the step cursor of Trends shows here and follows the mouse, but a click pins only λ.
  view_->linkCursor(document_->cursors(), CursorAxis::Lambda, Qt::Vertical, /*pinOnClick=*/true);
  view_->linkCursor(hasCursorAxis(CursorAxis::Step) ? document_->cursors() : nullptr, CursorAxis::Step, Qt::Horizontal,
                    /*pinOnClick=*/false);
}

bool TransportView::hasCursorAxis(CursorAxis axis) const {
  if (currentTransport() < 0) return false;
  return axis == CursorAxis::Lambda || !timeAxis().tau;
}

QChart* TransportView::exportChart(const ChartStyle& style) const {
  const int t = currentTransport();
  if (t < 0) return nullptr;
  return transportChart(transports_[t], timeAxis(), style);
}

QString TransportView::shownDataCsv() const {
  const int t = currentTransport();
  return t < 0 ? QString() : transportCsv(transports_[t]);
}

}  // namespace shellscope::ui

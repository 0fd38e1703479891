#include "ui/views/animation_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QShortcut>
#include <QSlider>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <cmath>
#include <sstream>

#include "shellscope/base/csv.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/charts/trend_charts.h"
#include "ui/document/session_document.h"
#include "ui/themed_icon.h"

namespace shellscope::ui {

namespace {

constexpr int kSliderResolution = 100;  // slider units per checkpoint interval
constexpr int kFrameMilliseconds = 33;

std::pair<double, double> axisRange(const QAbstractAxis* axis) {
  if (auto* log = qobject_cast<const QLogValueAxis*>(axis)) return {log->min(), log->max()};
  if (auto* linear = qobject_cast<const QValueAxis*>(axis)) return {linear->min(), linear->max()};
  return {0, 0};
}

QToolButton* toolButton(QStyle::StandardPixmap icon, const QString& tip, QWidget* parent) {
  auto* button = new QToolButton(parent);
  button->setIcon(themedStandardIcon(icon));
  button->setToolTip(tip);
  button->setAutoRaise(true);
  return button;
}

}  // namespace

AnimationView::AnimationView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      view_(new InteractiveChartView),
      stack_(new QStackedWidget),
      model_(new QComboBox),
      speed_(new QComboBox),
      loop_(new QCheckBox(tr("&Loop"))),
      slider_(new QSlider(Qt::Horizontal)),
      stepLabel_(new QLabel) {
  // Named for view states (page_state.h); the position is saved apart (saveState).
  model_->setObjectName("model");
  speed_->setObjectName("speed");
  loop_->setObjectName("loop");
  model_->setToolTip(tr("The model whose checkpoints the animation steps through"));
  loop_->setToolTip(tr("Start again from the first checkpoint after the last"));
  // Top: the model and the layers.
  auto* top = new QHBoxLayout;
  top->setContentsMargins(6, 4, 6, 0);
  top->addWidget(new QLabel(tr("Model:")));
  model_->setMinimumContentsLength(14);
  top->addWidget(model_);
  const std::vector<std::tuple<QString, bool AnimationLayers::*, QString>> layers{
      {tr("Raw"), &AnimationLayers::raw, tr("Interpolated shell energies")},
      {tr("Smoothed"), &AnimationLayers::smoothed, tr("Interpolated smoothed profile")},
      {tr("Trail"), &AnimationLayers::trail, tr("The path of the frontier so far")},
      {tr("Ghosts"), &AnimationLayers::ghosts, tr("Checkpoints already passed, faint")},
  };
  const AnimationLayers defaults;
  const char* names[] = {"raw", "smoothed", "trail", "ghosts"};
  int index = 0;
  for (const auto& [label, member, tip] : layers) {
    auto* box = new QCheckBox(label);
    box->setObjectName(QStringLiteral("layer.%1").arg(QLatin1String(names[index++])));
    box->setToolTip(tip);
    box->setChecked(defaults.*member);
    connect(box, &QCheckBox::toggled, this, [this] {
      if (chart_) chart_->setLayers(this->layers());
    });
    top->addWidget(box);
    layerBoxes_.emplace_back(box, member);
  }
  top->addStretch();

  // Centre: the animated profile and the side charts.
  auto* side = new QWidget;
  auto* sideLayout = new QVBoxLayout(side);
  sideLayout->setContentsMargins(0, 0, 0, 0);
  for (int i = 0; i < 3; ++i) {
    auto* sideView = new QChartView;
    sideView->setRenderHint(QPainter::Antialiasing);
    sideView->setMinimumSize(260, 150);
    sideLayout->addWidget(sideView);
    sideViews_.push_back(sideView);
    cursors_.push_back(nullptr);
  }
  view_->linkCursor(document_->cursors(), CursorAxis::Lambda);
  auto* splitter = new QSplitter;
  splitter->addWidget(view_);
  splitter->addWidget(side);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 1);
  auto* empty = new QLabel(tr("Open or compute a session with checkpoints of a model to animate its frontier."));
  empty->setAlignment(Qt::AlignCenter);
  empty->setEnabled(false);
  stack_->addWidget(empty);
  stack_->addWidget(splitter);

  // Bottom: the timeline.
  auto* first = toolButton(QStyle::SP_MediaSkipBackward, tr("First checkpoint (Ctrl+Home)"), this);
  auto* back = toolButton(QStyle::SP_MediaSeekBackward, tr("Previous checkpoint ([)"), this);
  playButton_ = toolButton(QStyle::SP_MediaPlay, tr("Play / pause (Space)"), this);
  auto* forward = toolButton(QStyle::SP_MediaSeekForward, tr("Next checkpoint (])"), this);
  auto* last = toolButton(QStyle::SP_MediaSkipForward, tr("Last checkpoint (Ctrl+End)"), this);
  for (const auto& [text, value] : std::vector<std::pair<QString, double>>{
           {"0.25×", 0.25}, {"0.5×", 0.5}, {"1×", 1.0}, {"2×", 2.0}, {"4×", 4.0}, {"8×", 8.0}}) {
    speed_->addItem(text, value);
  }
  speed_->setCurrentIndex(2);
  speed_->setToolTip(tr("Checkpoints per second"));
  slider_->setTickPosition(QSlider::TicksBelow);
  slider_->setTickInterval(kSliderResolution);
  slider_->setSingleStep(kSliderResolution / 10);
  slider_->setPageStep(kSliderResolution);
  slider_->setToolTip(tr("Drag to scrub through training; ticks are checkpoints"));
  stepLabel_->setMinimumWidth(190);
  auto* timeline = new QHBoxLayout;
  timeline->setContentsMargins(6, 0, 6, 4);
  for (QWidget* w : std::initializer_list<QWidget*>{first, back, playButton_, forward, last}) timeline->addWidget(w);
  timeline->addWidget(slider_, 1);
  timeline->addWidget(stepLabel_);
  timeline->addWidget(new QLabel(tr("Speed:")));
  timeline->addWidget(speed_);
  timeline->addWidget(loop_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(top);
  layout->addWidget(stack_, 1);
  layout->addLayout(timeline);

  connect(first, &QToolButton::clicked, this, [this] { setPosition(0); });
  connect(last, &QToolButton::clicked, this, [this] { setPosition(checkpointCount() - 1); });
  connect(back, &QToolButton::clicked, this, &AnimationView::stepBackward);
  connect(forward, &QToolButton::clicked, this, &AnimationView::stepForward);
  connect(playButton_, &QToolButton::clicked, this, &AnimationView::togglePlay);
  connect(slider_, &QSlider::valueChanged, this, [this](int value) {
    if (!updatingSlider_) setPosition(static_cast<double>(value) / kSliderResolution);
  });
  connect(model_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
  const std::vector<std::pair<QKeySequence, std::function<void()>>> keys{
      {QKeySequence(Qt::Key_Space), [this] { togglePlay(); }},
      {QKeySequence(Qt::Key_BracketRight), [this] { stepForward(); }},
      {QKeySequence(Qt::Key_BracketLeft), [this] { stepBackward(); }},
      {QKeySequence(Qt::CTRL | Qt::Key_Home), [this] { setPosition(0); }},
      {QKeySequence(Qt::CTRL | Qt::Key_End), [this] { setPosition(checkpointCount() - 1); }},
  };
  for (const auto& [key, action] : keys) {
    auto* shortcut = new QShortcut(key, this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, action);
  }

  timer_.setInterval(kFrameMilliseconds);
  connect(&timer_, &QTimer::timeout, this, &AnimationView::tick);
  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &AnimationView::rebuild);
  // The animation points into the session's runs: drop it at once when they change, then rebuild.
  auto invalidate = [this] {
    pause();
    chart_.reset();
    animation_.reset();
    view_->setChartOwned(nullptr);
    rebuild_.start();
  };
  connect(document_, &SessionDocument::sessionReset, this, [this, invalidate] {
    invalidate();
    updateModels();
  });
  connect(document_, &SessionDocument::runsAdded, this, [this, invalidate] {
    invalidate();
    updateModels();
  });
  connect(document_, &SessionDocument::analysisChanged, this, [this] { rebuild_.start(); });
  updateModels();
  rebuild();
}

AnimationView::~AnimationView() { view_->setChartOwned(nullptr); }

void AnimationView::updateModels() {
  const QString current = model_->currentText();
  QSignalBlocker block(model_);
  model_->clear();
  for (const std::string& model : document_->models()) model_->addItem(QString::fromStdString(model));
  const int index = model_->findText(current);
  model_->setCurrentIndex(index >= 0 ? index : 0);
}

QString AnimationView::modelName() const { return model_->currentText(); }

void AnimationView::setModel(const QString& model) {
  const int index = model_->findText(model);
  if (index >= 0) model_->setCurrentIndex(index);
}

AnimationLayers AnimationView::layers() const {
  AnimationLayers layers;
  for (const auto& [box, member] : layerBoxes_) layers.*member = box->isChecked();
  return layers;
}

int AnimationView::checkpointCount() const { return animation_ ? animation_->checkpointCount() : 0; }

double AnimationView::currentStep() const { return animation_ ? animation_->frameAt(position_).step : 0.0; }

double AnimationView::speed() const { return speed_->currentData().toDouble(); }

void AnimationView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild();
}

void AnimationView::rebuild() {
  rebuild_.stop();
  const bool wasPlaying = isPlaying();
  pause();
  const std::string model = modelName().toStdString();
  const std::vector<const Run*> runs = document_->runsOf(model);
  if (runs.empty()) {
    chart_.reset();
    animation_.reset();
    view_->setChartOwned(nullptr);
    stack_->setCurrentIndex(0);
    slider_->setEnabled(false);
    stepLabel_->clear();
    updateSideCharts();
    return;
  }
  std::vector<const analysis::RunAnalysis*> analyses;
  for (const Run* run : runs) analyses.push_back(document_->analysisOf(run->id));
  auto animation = std::make_unique<ProfileAnimation>(runs, analyses, document_->analysisOptions().smoothingWidth);
  ChartStyle style;
  style.dark = dark_;
  style.legendAlignment = Qt::AlignTop;
  auto chart = std::make_unique<AnimationChart>(*animation, modelName(), style);
  chart->setLayers(layers());
  view_->setChartOwned(chart->chart());  // deletes the previous chart before its series are gone
  chart_ = std::move(chart);
  animation_ = std::move(animation);
  stack_->setCurrentIndex(1);
  {
    QSignalBlocker block(slider_);
    slider_->setEnabled(true);
    slider_->setRange(0, (checkpointCount() - 1) * kSliderResolution);
  }
  updateSideCharts();
  setPosition(std::min(position_, animation_->endPosition()));
  showFrame();
  if (wasPlaying) play();
}

void AnimationView::updateSideCharts() {
  const std::string model = modelName().toStdString();
  const TrendQuantity quantities[] = {TrendQuantity::Frontier, TrendQuantity::Kappa, TrendQuantity::Loss};
  for (std::size_t i = 0; i < sideViews_.size(); ++i) {
    QChart* old = sideViews_[i]->chart();
    cursors_[i] = nullptr;
    if (!animation_) {
      sideViews_[i]->setChart(new QChart);
      delete old;
      continue;
    }
    ChartStyle style;
    style.dark = dark_;
    style.fontPointSize = 8;
    style.lineWidth = 1.5;
    style.legend = false;
    QChart* chart = trendChart(document_->session(), document_->analysis(), {model}, {document_->colorOfModel(model)},
                               quantities[i], "step", style);
    // The fitted exponent goes into the title: the legend is off in this small chart.
    const analysis::ModelTrends* trends = document_->analysis().findTrends(model);
    const analysis::Trend* trend = trends ? trends->find(trendKey(quantities[i]), "step") : nullptr;
    chart->setTitle(trend && trend->status.ok()
                        ? QString::fromUtf8("%1 ∝ step<sup>%2 ± %3</sup>")
                              .arg(trendLabel(quantities[i]))
                              .arg(trend->exponent, 0, 'f', 2)
                              .arg(trend->exponentError, 0, 'f', 2)
                        : trendLabel(quantities[i]));
    chart->setMargins(QMargins(2, 2, 2, 2));
    auto* cursor = new QLineSeries;
    QPen pen(dark_ ? QColor(230, 230, 230) : QColor(60, 60, 60));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.2);
    cursor->setPen(pen);
    chart->addSeries(cursor);
    for (QAbstractAxis* axis : chart->axes()) cursor->attachAxis(axis);
    cursors_[i] = cursor;
    sideViews_[i]->setChart(chart);
    delete old;
  }
  updateCursor();
}

void AnimationView::updateCursor() {
  const double step = currentStep();
  for (std::size_t i = 0; i < cursors_.size(); ++i) {
    QLineSeries* cursor = cursors_[i];
    if (!cursor) continue;
    QChart* chart = sideViews_[i]->chart();
    const auto [xLow, xHigh] = axisRange(chart->axes(Qt::Horizontal).value(0));
    const auto [yLow, yHigh] = axisRange(chart->axes(Qt::Vertical).value(0));
    if (step > 0 && step >= xLow && step <= xHigh) {
      cursor->replace({QPointF(step, yLow), QPointF(step, yHigh)});
    } else {
      cursor->clear();  // step 0 has no place on a log axis
    }
  }
}

void AnimationView::showFrame() {
  if (!animation_ || !chart_) return;
  chart_->show(position_);
  const AnimationFrame frame = animation_->frameAt(position_);
  const int nearest = frame.t > 0.5 ? frame.upper : frame.lower;
  stepLabel_->setText(tr("step %1  ·  checkpoint %2 / %3").arg(std::llround(frame.step)).arg(nearest + 1).arg(checkpointCount()));
  {
    QSignalBlocker block(slider_);
    updatingSlider_ = true;
    slider_->setValue(static_cast<int>(std::lround(position_ * kSliderResolution)));
    updatingSlider_ = false;
  }
  updateCursor();
  if (frame.hasFrontier && isVisible()) {
    Q_EMIT statusMessage(tr("%1 at step %2: frontier λ* = %3")
                             .arg(modelName())
                             .arg(std::llround(frame.step))
                             .arg(frame.frontier.x(), 0, 'g', 3));
  }
}

QJsonObject AnimationView::saveState() const {
  QJsonObject state = ChartPage::saveState();
  state.insert("position", position_);
  return state;
}

void AnimationView::restoreState(const QJsonObject& state) {
  ChartPage::restoreState(state);
  if (state.value("position").isDouble()) setPosition(state.value("position").toDouble());
}

void AnimationView::setPosition(double position) {
  if (!animation_) return;
  const double clamped = std::clamp(position, 0.0, animation_->endPosition());
  const bool changed = clamped != position_;
  position_ = clamped;
  showFrame();
  if (changed) Q_EMIT positionChanged(position_);
}

void AnimationView::play() {
  if (!animation_ || checkpointCount() < 2) return;
  if (position_ >= animation_->endPosition()) setPosition(0);  // play again from the start
  clock_.start();
  timer_.start();
  playButton_->setIcon(themedStandardIcon(QStyle::SP_MediaPause));
}

void AnimationView::pause() {
  timer_.stop();
  playButton_->setIcon(themedStandardIcon(QStyle::SP_MediaPlay));
}

void AnimationView::togglePlay() { isPlaying() ? pause() : play(); }

void AnimationView::stepForward() {
  pause();
  setPosition(std::floor(position_ + 1e-9) + 1);
}

void AnimationView::stepBackward() {
  pause();
  setPosition(std::ceil(position_ - 1e-9) - 1);
}

void AnimationView::tick() {
  if (!animation_) return pause();
  // Real elapsed time, so a slow frame does not slow the animation down.
  const double seconds = clock_.restart() / 1000.0;
  double next = position_ + speed() * seconds;
  if (next >= animation_->endPosition()) {
    if (loop_->isChecked()) {
      next = 0;
    } else {
      setPosition(animation_->endPosition());
      pause();
      return;
    }
  }
  setPosition(next);
}

QChart* AnimationView::exportChart(const ChartStyle& style) const {
  if (!animation_) return nullptr;
  AnimationChart frame(*animation_, modelName(), style);
  frame.setLayers(layers());
  frame.show(position_);
  if (view_->isZoomed()) applyRanges(frame.chart(), view_->currentRanges());
  return frame.chart();
}

QString AnimationView::shownDataCsv() const {
  if (!animation_) return {};
  const AnimationFrame frame = animation_->frameAt(position_);
  std::ostringstream text;
  CsvWriter csv(text);
  csv.header({"model", "position", "step", "series", "lambda", "energy"});
  auto rows = [&](const char* series, const std::vector<QPointF>& points) {
    for (const QPointF& p : points) {
      csv.text(modelName().toStdString()).number(frame.position).number(frame.step).text(series);
      csv.number(p.x()).number(p.y()).endRow();
    }
  };
  rows("raw", frame.raw);
  rows("smoothed", frame.smoothed);
  if (frame.hasFrontier) rows("frontier", {frame.frontier});
  rows("trail", animation_->trail(position_));
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui

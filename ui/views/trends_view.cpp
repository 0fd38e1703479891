#include "ui/views/trends_view.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QSplitter>
#include <QStackedWidget>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <cmath>
#include <limits>
#include <sstream>
#include <set>

#include "shellscope/base/csv.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"

namespace shellscope::ui {

namespace {

/// "v [lo, hi]" (the bootstrap interval), "v" without one, "—" without a value.
QString valueWithInterval(double value, double low, double high, int digits = 2) {
  if (!std::isfinite(value)) return QString::fromUtf8("—");
  if (!std::isfinite(low) || !std::isfinite(high)) return QString::number(value, 'f', digits);
  return QString::fromUtf8("%1 [%2, %3]").arg(value, 0, 'f', digits).arg(low, 0, 'f', digits).arg(high, 0, 'f', digits);
}

}  // namespace

TrendsView::TrendsView(SessionDocument* document, QWidget* parent)
    : ChartPage(parent),
      document_(document),
      view_(new InteractiveChartView),
      stack_(new QStackedWidget),
      quantity_(new QComboBox),
      axis_(new QComboBox),
      models_(new QListWidget),
      summary_(new QTextBrowser),
      windowFrom_(new QLineEdit),
      windowTo_(new QLineEdit),
      applyWindow_(new QPushButton(tr("Apply"))),
      autoWindow_(new QPushButton(tr("Detect"))) {
  // Named for view states (page_state.h).
  quantity_->setObjectName("quantity");
  quantity_->setToolTip(tr("What is drawn over training: the frontier λ*, its width, the fits' parameters, …"));
  axis_->setObjectName("axis");
  models_->setObjectName("models");
  for (TrendQuantity q : trendQuantities()) {
    QString label = trendLabel(q);
    label.remove("<sup>").remove("</sup>");
    quantity_->addItem(label, static_cast<int>(q));
  }
  axis_->addItem(tr("training step"), QStringLiteral("step"));
  axis_->addItem(QString::fromUtf8("accumulated learning rate τ"), QStringLiteral("accumulated_lr"));
  axis_->setToolTip(tr("τ needs the models' training logs in the session"));
  // A narrow column of controls: the chart's legend needs the width.
  for (QComboBox* combo : {quantity_, axis_}) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(14);
  }
  models_->setMaximumWidth(180);
  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel(tr("Quantity:")));
  controls->addWidget(quantity_);
  controls->addWidget(new QLabel(tr("Against:")));
  controls->addWidget(axis_);
  controls->addWidget(new QLabel(tr("Models:")));
  controls->addWidget(models_, 1);
  // The trend window: typed here, or dragged along the time axis of the chart.
  // Steps can exceed 2^31 (long runs): plain digits, read as 64-bit integers.
  for (QLineEdit* edit : {windowFrom_, windowTo_}) {
    edit->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,18}")), edit));
    edit->setMaximumWidth(180);
  }
  windowFrom_->setPlaceholderText(tr("from step"));
  windowTo_->setPlaceholderText(tr("to step"));
  windowFrom_->setToolTip(tr("First training step of the trend window"));
  windowTo_->setToolTip(tr("Last training step of the trend window"));
  auto* windowLabel = new QLabel(tr("Trend window:"));
  windowLabel->setToolTip(tr("The checkpoints every trend of the checked models is fitted over. Drag along the "
                             "time axis of the chart to choose it, type it here, or let it be detected: the "
                             "longest range where loss, λ* and κ are power laws within the batch noise."));
  controls->addWidget(windowLabel);
  auto* windowSteps = new QFormLayout;
  windowSteps->setContentsMargins(0, 0, 0, 0);
  windowSteps->addRow(tr("from step"), windowFrom_);
  windowSteps->addRow(tr("to step"), windowTo_);
  controls->addLayout(windowSteps);
  auto* windowButtons = new QHBoxLayout;
  applyWindow_->setToolTip(tr("Fit the trends of the checked models over these steps"));
  autoWindow_->setToolTip(tr("Detect each checked model's scale-free window again"));
  windowButtons->addWidget(applyWindow_);
  windowButtons->addWidget(autoWindow_);
  controls->addLayout(windowButtons);

  summary_->setMaximumHeight(150);
  summary_->setOpenLinks(false);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(view_);
  split->addWidget(summary_);
  split->setStretchFactor(0, 4);
  auto* empty = new QLabel(tr("Trends need analysed checkpoints: open or compute a session."));
  empty->setAlignment(Qt::AlignCenter);
  empty->setEnabled(false);
  stack_->addWidget(empty);
  stack_->addWidget(split);
  view_->setKeepZoomOnReplace(false);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addLayout(controls);
  layout->addWidget(stack_, 1);

  rebuild_.setSingleShot(true);
  rebuild_.setInterval(0);
  connect(&rebuild_, &QTimer::timeout, this, &TrendsView::rebuild);
  connect(quantity_, &QComboBox::currentIndexChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(axis_, &QComboBox::currentIndexChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(models_, &QListWidget::itemChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(document_, &SessionDocument::sessionReset, this, &TrendsView::refreshModels);
  connect(document_, &SessionDocument::runsAdded, this, &TrendsView::refreshModels);
  connect(document_, &SessionDocument::analysisChanged, &rebuild_, qOverload<>(&QTimer::start));
  connect(applyWindow_, &QPushButton::clicked, this, [this] {
    bool firstOk = false, lastOk = false;
    const qlonglong first = windowFrom_->text().toLongLong(&firstOk), last = windowTo_->text().toLongLong(&lastOk);
    if (firstOk && lastOk) setWindow(first, last);
  });
  connect(autoWindow_, &QPushButton::clicked, this, &TrendsView::detectWindow);
  view_->setAxisSpanSelection(true);
  connect(view_, &InteractiveChartView::axisSpanSelected, this, [this](double from, double to) {
    if (const auto steps = stepsBetween(from, to)) setWindow(steps->first, steps->last);
  });
  refreshModels();
}

TrendsView::~TrendsView() { view_->setChartOwned(nullptr); }

void TrendsView::refreshModels() {
  std::set<std::string> unchecked;
  for (int i = 0; i < models_->count(); ++i) {
    if (models_->item(i)->checkState() != Qt::Checked) unchecked.insert(models_->item(i)->text().toStdString());
  }
  QSignalBlocker block(models_);
  models_->clear();
  for (const std::string& model : document_->models()) {
    auto* item = new QListWidgetItem(QString::fromStdString(model), models_);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(unchecked.count(model) ? Qt::Unchecked : Qt::Checked);
    QPixmap swatch(12, 12);
    swatch.fill(document_->colorOfModel(model));
    item->setIcon(QIcon(swatch));
  }
  rebuild_.start();
}

std::vector<std::string> TrendsView::checkedModels() const {
  std::vector<std::string> models;
  for (int i = 0; i < models_->count(); ++i) {
    if (models_->item(i)->checkState() == Qt::Checked) models.push_back(models_->item(i)->text().toStdString());
  }
  return models;
}

std::vector<QColor> TrendsView::colors(const std::vector<std::string>& models) const {
  std::vector<QColor> colors;
  for (const std::string& model : models) colors.push_back(document_->colorOfModel(model));
  return colors;
}

TrendQuantity TrendsView::quantity() const { return static_cast<TrendQuantity>(quantity_->currentData().toInt()); }

void TrendsView::setQuantity(TrendQuantity quantity) {
  quantity_->setCurrentIndex(quantity_->findData(static_cast<int>(quantity)));
}

std::string TrendsView::timeAxis() const { return axis_->currentData().toString().toStdString(); }

void TrendsView::setWindow(std::int64_t first, std::int64_t last) {
  if (first > last) std::swap(first, last);
  document_->setTrendWindow(checkedModels(), analysis::StepRange{first, last});
}

void TrendsView::detectWindow() { document_->setTrendWindow(checkedModels(), std::nullopt); }

std::optional<analysis::StepRange> TrendsView::stepsBetween(double from, double to) const {
  std::optional<analysis::StepRange> range;
  for (const std::string& model : checkedModels()) {
    for (const TrendPoint& p : trendPoints(document_->session(), document_->analysis(), model, TrendQuantity::Loss, timeAxis())) {
      if (p.time < from || p.time > to) continue;
      if (!range) range = analysis::StepRange{p.step, p.step};
      range->first = std::min(range->first, p.step);
      range->last = std::max(range->last, p.step);
    }
  }
  return range;
}

void TrendsView::setDarkTheme(bool dark) {
  dark_ = dark;
  rebuild_.start();
}

void TrendsView::rebuild() {
  rebuild_.stop();
  const std::vector<std::string> models = checkedModels();
  if (document_->analysis().runs.empty() || models.empty()) {
    view_->setChartOwned(nullptr);
    stack_->setCurrentIndex(0);
    return;
  }
  ChartStyle style;
  style.dark = dark_;
  style.legendAlignment = Qt::AlignBottom;
  view_->setChartOwned(trendChart(document_->session(), document_->analysis(), models, colors(models), quantity(), timeAxis(), style));
  // The step cursor where the time axis is the step (τ is another axis).
  view_->linkCursor(timeAxis() == "step" ? document_->cursors() : nullptr, CursorAxis::Step);
  summary_->setHtml(summaryHtml());
  // The typed window shows the first checked model's.
  if (const analysis::ModelTrends* t = document_->analysis().findTrends(models.front()); t && t->window.firstStep >= 0) {
    windowFrom_->setText(QString::number(t->window.firstStep));
    windowTo_->setText(QString::number(t->window.lastStep));
  }
  stack_->setCurrentIndex(1);
}

QString TrendsView::summaryHtml() const {
  QString html = tr("<table cellspacing=0 cellpadding=3><tr><th align=left>Model</th><th>window<br>(steps)</th>"
                    "<th>transport<br>exponent c<sub>0</sub></th><th>mean p</th><th>loss exponent<br>predicted</th>"
                    "<th>loss exponent<br>measured</th><th align=left>against</th></tr>");
  QStringList notes;  // why a value is missing or how the window was chosen, under the table
  auto footnote = [&](const std::string& model, const std::string& text) {
    notes << QString("<sup>%1</sup> %2: %3").arg(notes.size() + 1).arg(QString::fromStdString(model),
                                                                      QString::fromStdString(text).toHtmlEscaped());
    return QString("<sup>%1</sup>").arg(notes.size());
  };
  for (const std::string& model : checkedModels()) {
    const analysis::ModelTrends* t = document_->analysis().findTrends(model);
    if (!t) continue;
    const analysis::TrendWindow& w = t->window;
    QString window = w.firstStep >= 0 ? QString("%1–%2 (%3 of %4, %5)")
                                            .arg(w.firstStep)
                                            .arg(w.lastStep)
                                            .arg(w.checkpoints)
                                            .arg(w.available)
                                            .arg(QString::fromStdString(w.choice))
                                      : QString::fromUtf8("—");
    if (!w.reason.empty() && w.choice != "user") window += footnote(model, w.reason);
    QString c0 = valueWithInterval(t->c0, t->c0CiLow, t->c0CiHigh);
    // A missing value gets a dash, a qualified one (time = step) keeps its number; both a footnote.
    if (!t->c0Status.ok() || !t->c0Status.message().empty()) {
      c0 = (t->c0Status.ok() ? c0 : QString::fromUtf8("—")) + footnote(model, t->c0Status.text());
    }
    QString predicted = valueWithInterval(t->predictedLossExponent, t->predictedCiLow, t->predictedCiHigh);
    if (!t->predictionStatus.ok()) predicted = QString::fromUtf8("—") + footnote(model, t->predictionStatus.text());
    html += QString("<tr><td nowrap>%1</td><td align=center nowrap>%2</td><td align=center nowrap>%3</td>"
                    "<td align=center nowrap>%4</td><td align=center nowrap>%5</td><td align=center nowrap>%6</td>"
                    "<td nowrap>%7</td></tr>")
                .arg(QString::fromStdString(model))
                .arg(window)
                .arg(c0)
                .arg(valueWithInterval(t->meanP, t->meanPCiLow, t->meanPCiHigh))
                .arg(predicted)
                .arg(valueWithInterval(t->measuredLossExponent, t->measuredCiLow, t->measuredCiHigh))
                .arg(t->timeAxis == "accumulated_lr" ? QString::fromUtf8("τ (accum. LR)") : tr("step"));
  }
  html += "</table>";
  html += tr("<p style='color:gray'>[ ]: 95% bootstrap intervals over batches, the same batches resampled at every "
             "checkpoint. Hollow points lie outside the window and are not fitted.</p>");
  if (!notes.isEmpty()) html += "<p style='color:gray'>" + notes.join("<br>") + "</p>";
  return html;
}

QChart* TrendsView::exportChart(const ChartStyle& style) const {
  const std::vector<std::string> models = checkedModels();
  if (document_->analysis().runs.empty() || models.empty()) return nullptr;
  QChart* chart = trendChart(document_->session(), document_->analysis(), models, colors(models), quantity(), timeAxis(), style);
  if (view_->isZoomed()) applyRanges(chart, view_->currentRanges());
  return chart;
}

bool TrendsView::hasCursorAxis(CursorAxis axis) const { return axis == CursorAxis::Step && timeAxis() == "step"; }

std::vector<CursorReading> TrendsView::cursorReadings() const {
  std::vector<CursorReading> out;
  if (!hasCursorAxis(CursorAxis::Step)) return out;
  const std::vector<double>& pins = document_->cursors()->pinned(CursorAxis::Step);
  if (pins.empty()) return out;
  for (const std::string& model : checkedModels()) {
    const std::vector<TrendPoint> points = trendPoints(document_->session(), document_->analysis(), model, quantity(), "step");
    CursorReading r{QString::fromStdString(model), quantity_->currentText(), {}};
    for (double step : pins) {
      // The checkpoint nearest the cursor: trends are drawn through checkpoints only.
      double value = NAN, best = INFINITY;
      for (const TrendPoint& p : points) {
        if (std::abs(p.time - step) < best) {
          best = std::abs(p.time - step);
          value = p.value;
        }
      }
      r.values.push_back(value);
    }
    out.push_back(std::move(r));
  }
  return out;
}

QString TrendsView::shownDataCsv() const {
  const std::vector<std::string> models = checkedModels();
  if (models.empty()) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.text("model").text("step").text(timeAxis()).text(trendKey(quantity())).text("in_window").endRow();
  for (const std::string& model : models) {
    const analysis::ModelTrends* t = document_->analysis().findTrends(model);
    for (const TrendPoint& p : trendPoints(document_->session(), document_->analysis(), model, quantity(), timeAxis())) {
      const bool in = !t || !t->window.defined() || t->window.contains(p.step);
      csv.text(model).integer(p.step).number(p.time).number(p.value).integer(in ? 1 : 0).endRow();
    }
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui

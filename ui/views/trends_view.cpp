#include "ui/views/trends_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QStackedWidget>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <cmath>
#include <sstream>
#include <set>

#include "shellscope/base/csv.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"

namespace shellscope::ui {

namespace {

QString valueWithError(double value, double error, int digits = 2) {
  if (!std::isfinite(value)) return QString::fromUtf8("—");
  return QString::fromUtf8("%1 ± %2").arg(value, 0, 'f', digits).arg(error, 0, 'f', digits);
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
      summary_(new QTextBrowser) {
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
  summary_->setHtml(summaryHtml());
  stack_->setCurrentIndex(1);
}

QString TrendsView::summaryHtml() const {
  QString html = tr("<table cellspacing=0 cellpadding=3><tr><th align=left>Model</th><th>runs</th>"
                    "<th>transport<br>exponent c<sub>0</sub></th><th>mean p</th><th>loss exponent<br>predicted</th>"
                    "<th>loss exponent<br>measured</th><th align=left>against</th></tr>");
  QStringList notes;  // why a value is missing, under the table: too long for a cell
  for (const std::string& model : checkedModels()) {
    const analysis::ModelTrends* t = document_->analysis().findTrends(model);
    if (!t) continue;
    QString c0 = valueWithError(t->c0, t->c0Error);
    // A missing value gets a dash, a qualified one (time = step) keeps its number; both a footnote.
    if (!t->c0Status.ok() || !t->c0Status.message().empty()) {
      notes << QString("<sup>%1</sup> %2: %3").arg(notes.size() + 1).arg(QString::fromStdString(model),
                                                                        QString::fromStdString(t->c0Status.text()).toHtmlEscaped());
      c0 = (t->c0Status.ok() ? c0 : QString::fromUtf8("—")) + QString("<sup>%1</sup>").arg(notes.size());
    }
    html += QString("<tr><td nowrap>%1</td><td align=center>%2</td><td align=center nowrap>%3</td>"
                    "<td align=center nowrap>%4</td><td align=center nowrap>%5</td><td align=center nowrap>%6</td>"
                    "<td nowrap>%7</td></tr>")
                .arg(QString::fromStdString(model))
                .arg(document_->runsOf(model).size())
                .arg(c0)
                .arg(valueWithError(t->meanP, t->meanPError))
                .arg(valueWithError(t->predictedLossExponent, t->predictedLossExponentError))
                .arg(valueWithError(t->measuredLossExponent, t->measuredLossExponentError))
                .arg(t->timeAxis == "accumulated_lr" ? QString::fromUtf8("τ (accum. LR)") : tr("step"));
  }
  html += "</table>";
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

QString TrendsView::shownDataCsv() const {
  const std::vector<std::string> models = checkedModels();
  if (models.empty()) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.text("model").text("step").text(timeAxis()).text(trendKey(quantity())).endRow();
  for (const std::string& model : models) {
    for (const TrendPoint& p : trendPoints(document_->session(), document_->analysis(), model, quantity(), timeAxis())) {
      csv.text(model).integer(p.step).number(p.time).number(p.value).endRow();
    }
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui

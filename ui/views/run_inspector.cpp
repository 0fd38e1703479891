#include "ui/views/run_inspector.h"

#include <QFutureWatcher>
#include <QHeaderView>
#include <QLocale>
#include <QPushButton>
#include <QtConcurrent/QtConcurrent>
#include <cmath>

#include "ui/background_pool.h"
#include "ui/document/session_document.h"

namespace shellscope::ui {

namespace {

QString number(double value, int digits = 4) {
  return std::isfinite(value) ? QString::number(value, 'g', digits) : QStringLiteral("–");
}

QString withError(double value, double error) {
  if (!std::isfinite(value)) return QStringLiteral("–");
  if (!std::isfinite(error)) return number(value);
  return QString("%1 ± %2").arg(number(value), number(error, 2));
}

QTreeWidgetItem* section(QTreeWidget* tree, const QString& title) {
  auto* item = new QTreeWidgetItem(tree, {title});
  QFont font = item->font(0);
  font.setBold(true);
  item->setFont(0, font);
  item->setFirstColumnSpanned(true);
  item->setExpanded(true);
  return item;
}

void row(QTreeWidgetItem* parent, const QString& name, const QString& value) {
  auto* item = new QTreeWidgetItem(parent, {name, value});
  item->setToolTip(1, value);
}

}  // namespace

RunInspector::RunInspector(SessionDocument* document, QWidget* parent) : QTreeWidget(parent), document_(document) {
  setColumnCount(2);
  setHeaderLabels({tr("Property"), tr("Value")});
  header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  setRootIsDecorated(false);
  setAlternatingRowColors(true);
  setSelectionMode(QAbstractItemView::NoSelection);
  connect(document_, &SessionDocument::analysisChanged, this, &RunInspector::refresh);
  connect(document_, &SessionDocument::sessionReset, this, [this] { showRun(QString()); });
  connect(document_, &SessionDocument::pathChanged, this, [this] { refresh(); });
  refresh();
}

const RunInputs* RunInspector::inputsOfShownRun() const {
  const auto found = inputs_.find(runId_);
  return found == inputs_.end() || inputsSession_ != document_->path() ? nullptr : &found->second;
}

void RunInspector::requestRecompute() {
  const Run* run = runId_.empty() ? nullptr : document_->run(runId_);
  if (!run) return;
  const RunInputs* inputs = inputsOfShownRun();
  Q_EMIT recomputeRequested(recomputeSettings(run->meta, inputs ? inputs->checkpoint.path : std::string(),
                                              inputs ? inputs->data.path : std::string()));
}

void RunInspector::checkInputs(const Run& run) {
  if (inputsSession_ != document_->path()) {
    inputs_.clear();
    inputsSession_ = document_->path();
  }
  if (inputs_.count(run.id)) return;
  const int generation = ++checkGeneration_;
  auto* watcher = new QFutureWatcher<RunInputs>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, id = run.id] {
    const RunInputs inputs = watcher->result();
    watcher->deleteLater();
    if (generation != checkGeneration_) return;  // another run or session is shown now
    inputs_[id] = inputs;
    if (id == runId_) refresh();
  });
  // Fingerprinting reads files that changed: never on the GUI thread.
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [meta = run.meta, session = document_->path().toStdString()] {
    return checkRunInputs(meta, session);
  }));
}

void RunInspector::addInputRows(const Run& run) {
  QTreeWidgetItem* s = section(this, tr("Inputs"));
  const RunInputs* inputs = inputsOfShownRun();
  if (!inputs) {
    row(s, tr("checkpoint"), tr("checking…"));
    row(s, tr("data"), tr("checking…"));
    checkInputs(run);
  } else {
    auto state = [](const InputCheck& c) {
      return QString::fromStdString(toString(c.state)) + QStringLiteral(": ") + QString::fromStdString(c.message);
    };
    row(s, tr("checkpoint"), state(inputs->checkpoint));
    row(s, tr("data"), state(inputs->data));
  }
  if (!run.meta.checkpointSha256.empty()) row(s, tr("checkpoint sha256"), QString::fromStdString(run.meta.checkpointSha256));
  if (!run.meta.dataSha256.empty()) row(s, tr("data sha256"), QString::fromStdString(run.meta.dataSha256));
  if (!run.meta.dataFormat.empty()) row(s, tr("data format"), QString::fromStdString(run.meta.dataFormat));
  auto* item = new QTreeWidgetItem(s);
  item->setFirstColumnSpanned(true);
  auto* button = new QPushButton(tr("Recompute this run…"));
  button->setObjectName(QStringLiteral("recomputeButton"));
  button->setToolTip(tr("Opens the computation with this run's settings and its inputs as found from here"));
  button->setEnabled(inputs != nullptr);
  connect(button, &QPushButton::clicked, this, &RunInspector::requestRecompute);
  setItemWidget(item, 0, button);
}

void RunInspector::showRun(const QString& runId) {
  runId_ = runId.toStdString();
  refresh();
}

void RunInspector::refresh() {
  clear();
  const Run* run = runId_.empty() ? nullptr : document_->run(runId_);
  if (!run) {
    auto* hint = new QTreeWidgetItem(this, {tr("Select a run in the session tree")});
    hint->setFirstColumnSpanned(true);
    return;
  }
  const RunMetadata& m = run->meta;
  const QLocale locale;
  QTreeWidgetItem* s = section(this, tr("Run"));
  row(s, tr("id"), QString::fromStdString(run->id));
  row(s, tr("model"), QString::fromStdString(m.modelName));
  row(s, tr("checkpoint"), QString::fromStdString(m.checkpoint));
  row(s, tr("step"), m.step >= 0 ? QString::number(m.step) : tr("unknown"));
  row(s, tr("parameters"), locale.toString(static_cast<qlonglong>(m.nParams)));
  row(s, tr("observable"), QString::fromStdString(m.observable));
  s = section(this, tr("Settings"));
  row(s, tr("batches"), QString("%1 × %2 windows × %3 tokens").arg(run->batchCount()).arg(m.batchSize).arg(m.seqLen));
  row(s, tr("data"), QString::fromStdString(m.dataSource));
  row(s, tr("batch order"), QString::fromStdString(m.batchOrder));
  row(s, tr("Lanczos"), QString("%1, %2, breakdown tolerance %3")
                            .arg(QString::fromStdString(m.lanczosMode), QString::fromStdString(run->lanczosStepsText()))
                            .arg(m.lanczosTolerance));
  row(s, tr("JVP"), QString::fromStdString(m.jvpMethod));
  row(s, tr("shells per decade"), QString::number(m.shellsPerDecade));
  row(s, tr("device, dtype"), QString("%1, %2").arg(QString::fromStdString(m.device), QString::fromStdString(m.dtype)));
  s = section(this, tr("Provenance"));
  row(s, tr("created"), QString::fromStdString(m.createdAt));
  row(s, tr("software"), QString::fromStdString(m.softwareVersion));
  row(s, tr("compute time"), tr("%1 s on %2 thread(s)").arg(m.computeSeconds, 0, 'f', 1).arg(m.threads));
  row(s, tr("seed"), QString::number(m.seed));
  addInputRows(*run);
  s = section(this, tr("Spectrum"));
  row(s, tr("loss (mean e)"), number(run->loss.mean()));
  row(s, tr("mean e²"), number(run->meanErrorNorm2()));
  double steps = 0;
  for (auto k : run->stepsTaken) steps += static_cast<double>(k);
  row(s, tr("Lanczos steps taken"), number(steps / std::max<std::size_t>(1, run->stepsTaken.size()), 3));
  row(s, tr("underflow, overflow"), QString("%1, %2").arg(number(run->underflow.mean()), number(run->overflow.mean())));
  row(s, tr("mass identity residual"), number(run->massIdentityResidual(), 2));
  row(s, tr("shells"), QString("%1 from λ = %2").arg(run->shellCount()).arg(number(run->window.edge(0), 3)));

  const auto* a = document_->analysisOf(run->id);
  if (!a) {
    row(section(this, tr("Analysis")), tr("status"), tr("being computed…"));
    return;
  }
  s = section(this, tr("Frontier"));
  if (a->frontier.status.ok()) {
    row(s, tr("λ*"), QString("%1  [%2, %3]").arg(number(a->frontier.lambda), number(a->frontier.ciLow, 3), number(a->frontier.ciHigh, 3)));
    row(s, tr("peak shell centre"), number(a->frontier.peakShellLambda, 3));
    row(s, tr("cut-off"), QString("%1  [%2, %3]").arg(number(a->frontier.cutoffLambda, 3), number(a->frontier.cutoffCiLow, 3),
                                                      number(a->frontier.cutoffCiHigh, 3)));
    row(s, tr("width (decades)"), QString("%1  [%2, %3]").arg(number(a->frontier.widthDecades, 3), number(a->frontier.widthCiLow, 3),
                                                              number(a->frontier.widthCiHigh, 3)));
    row(s, tr("peak shape k"), number(a->frontier.peakShape, 3));
  } else {
    row(s, tr("status"), QString::fromStdString(a->frontier.status.text()));
  }
  s = section(this, tr("Piecewise fit"));
  if (a->piecewise.fit.ok()) {
    row(s, tr("low-side slope s"), withError(a->piecewise.slope, a->piecewise.slopeError));
    row(s, tr("κ"), withError(a->piecewise.kappa, a->piecewise.kappaError));
    row(s, tr("blend λ_b"), withError(a->piecewise.blendLambda, a->piecewise.blendLambdaError));
    row(s, tr("blend width (decades)"), number(a->piecewise.blendWidth, 3) + (a->piecewise.blendWidthFixed ? tr(" (at its floor)") : ""));
    row(s, tr("χ² / dof"), QString("%1 / %2").arg(number(a->piecewise.fit.chiSquare, 4)).arg(a->piecewise.fit.degreesOfFreedom));
  } else {
    row(s, tr("status"), QString::fromStdString(a->piecewise.fit.status.text()));
  }
  s = section(this, tr("Theory fit  C λ^(p+1) e^(−κλ)"));
  if (a->theory.fit.ok()) {
    row(s, tr("p"), withError(a->theory.p, a->theory.pError));
    row(s, tr("κ"), withError(a->theory.kappa, a->theory.kappaError));
    row(s, tr("log10 C"), withError(a->theory.logC, a->theory.logCError));
    row(s, tr("peak (p+1)/κ"), withError(a->theory.peakLambda, a->theory.peakLambdaError));
    row(s, tr("χ² / dof"), QString("%1 / %2").arg(number(a->theory.fit.chiSquare, 4)).arg(a->theory.fit.degreesOfFreedom));
  } else {
    row(s, tr("status"), QString::fromStdString(a->theory.fit.status.text()));
  }
  row(section(this, tr("Model comparison")), tr("better (AIC)"),
      QString("%1 (ΔAIC = %2)").arg(QString::fromStdString(a->betterModel), number(a->aicDifference, 3)));
}

}  // namespace shellscope::ui

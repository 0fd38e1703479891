// The job queue, its panel and the compute dialog: jobs on tiny built-in models run one at a
// time through the queue, report progress and runs as they come, can be cancelled running or
// queued, and a failure names its file without stopping the queue; the panel updates its rows in
// place; the dialog round-trips settings, refuses invalid ones and scans checkpoint folders in
// the background, and its held-out data fields name their own problems.
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include "shellscope/engine/runtime.h"
#include "small_jobs.h"
#include "test_support.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/dialogs/setting_labels.h"
#include "ui/document/session_document.h"
#include "ui/jobs/job_queue.h"
#include "ui/jobs/jobs_panel.h"

using namespace shellscope;
using shellscope::ui::ComputeDialog;
using shellscope::ui::Job;
using shellscope::ui::JobQueue;
using shellscope::ui::JobsPanel;
using shellscope::testing::smallJob;

namespace {

constexpr int kJobTimeoutMs = 60000;

/// About a minute of work: a lost cancel shows as a timeout rather than a slightly slower test.
ComputeSettings longJob() { return smallJob({"builtin:mlp"}, 5000, 200); }

/// Empty files where discoverCheckpoints looks for config.json and weights.
void makeCheckpointLikeFolder(const QString& path) {
  QVERIFY(QDir().mkpath(path));
  for (const char* name : {"config.json", "model.safetensors"}) {
    QFile file(path + QLatin1Char('/') + QLatin1String(name));
    QVERIFY(file.open(QIODevice::WriteOnly));
  }
}

void makeFile(const QString& path, const QByteArray& bytes = QByteArray(64, '\0')) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly));
  file.write(bytes);
}

}  // namespace

// ---- JobQueue ----------------------------------------------------------------------------------

class TestJobQueue : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void computeJobReportsProgressAndRunsInOrder() {
    JobQueue queue;
    QSignalSpy idle(&queue, &JobQueue::idle);
    QStringList events;
    QList<double> fractions;
    bool runsOnGuiThread = true;
    connect(&queue, &JobQueue::runFinished, this, [&](const Run& run) {
      runsOnGuiThread = runsOnGuiThread && QThread::currentThread() == qApp->thread();
      events << QStringLiteral("run ") + QString::fromStdString(run.meta.modelName);
    });
    int id = 0;
    connect(&queue, &JobQueue::jobChanged, this, [&](int changed) {
      const Job* job = queue.job(changed);
      fractions << job->fraction;
      if (job->state == Job::State::Finished) events << QStringLiteral("finished");
    });
    // Two built-in models in one settings: two checkpoints' worth of work.
    id = queue.enqueueCompute(smallJob({"builtin:mlp", "builtin:tiny-lm"}, 2, 10), QStringLiteral("two models"));
    QVERIFY(queue.isBusy());
    QCOMPARE(queue.job(id)->state, Job::State::Running);
    QCOMPARE(queue.job(id)->title, QStringLiteral("two models"));
    QVERIFY(idle.wait(kJobTimeoutMs));

    const Job* job = queue.job(id);
    QCOMPARE(job->state, Job::State::Finished);
    QCOMPARE(job->runsDone, 2);
    QCOMPARE(job->fraction, 1.0);
    QVERIFY(job->message.isEmpty());
    QCOMPARE(events, (QStringList{"run mlp", "run tiny-lm", "finished"}));
    QVERIFY(runsOnGuiThread);
    QVERIFY2(fractions.size() >= 3, qPrintable(QString::number(fractions.size())));
    for (int i = 1; i < fractions.size(); ++i) QVERIFY(fractions[i] >= fractions[i - 1]);
    QCOMPARE(fractions.last(), 1.0);
    QVERIFY(!queue.isBusy());
    QCOMPARE(idle.count(), 1);
  }

  void cancellingMidJobAddsNothingToTheSession() {
    JobQueue queue;
    ui::SessionDocument document;
    connect(&queue, &JobQueue::runFinished, &document, &ui::SessionDocument::addRun);
    QSignalSpy runs(&queue, &JobQueue::runFinished);
    QSignalSpy idle(&queue, &JobQueue::idle);
    const int id = queue.enqueueCompute(longJob(), QStringLiteral("long"));
    // Connected after enqueue: the first change seen is the worker's first progress report.
    bool cancelled = false;
    connect(&queue, &JobQueue::jobChanged, this, [&](int changed) {
      if (changed != id || cancelled) return;
      cancelled = true;
      queue.cancel(id);
    }, Qt::QueuedConnection);
    QVERIFY(idle.wait(kJobTimeoutMs));
    QVERIFY(cancelled);
    QCOMPARE(queue.job(id)->state, Job::State::Cancelled);
    QVERIFY(queue.job(id)->fraction < 1.0);
    QCOMPARE(runs.count(), 0);
    QCOMPARE(document.session().runs.size(), size_t(0));
    QVERIFY(!document.isModified());
  }

  void cancelBeforeTheWorkerStartsIsNotLost() {
    // The worker has not picked the job up when cancel() arrives: the job must end as soon as
    // it reaches the worker, not after its 5000 batches.
    JobQueue queue;
    QSignalSpy idle(&queue, &JobQueue::idle);
    QElapsedTimer timer;
    timer.start();
    const int id = queue.enqueueCompute(longJob(), QStringLiteral("long"));
    queue.cancel(id);
    QVERIFY(idle.wait(kJobTimeoutMs));
    QCOMPARE(queue.job(id)->state, Job::State::Cancelled);
    QCOMPARE(queue.job(id)->runsDone, 0);
    QVERIFY2(timer.elapsed() < 20000, qPrintable(QString::number(timer.elapsed())));
  }

  void queuedJobCancelledBeforeItStartsNeverRuns() {
    JobQueue queue;
    QSignalSpy idle(&queue, &JobQueue::idle);
    QSignalSpy runs(&queue, &JobQueue::runFinished);
    const int first = queue.enqueueCompute(longJob(), QStringLiteral("first"));
    const int second = queue.enqueueCompute(smallJob({"builtin:mlp"}, 1, 4), QStringLiteral("second"));
    QCOMPARE(queue.job(second)->state, Job::State::Queued);
    QCOMPARE(queue.jobIds(), (QList<int>{first, second}));
    QList<Job::State> secondStates;
    connect(&queue, &JobQueue::jobChanged, this, [&](int id) {
      if (id == second) secondStates << queue.job(id)->state;
    });
    queue.cancel(second);
    QCOMPARE(queue.job(second)->state, Job::State::Cancelled);  // at once, without the worker
    QCOMPARE(queue.job(first)->state, Job::State::Running);
    queue.cancel(first);
    QVERIFY(idle.wait(kJobTimeoutMs));
    QCOMPARE(queue.job(first)->state, Job::State::Cancelled);
    QCOMPARE(secondStates, QList<Job::State>{Job::State::Cancelled});
    QCOMPARE(queue.job(second)->fraction, 0.0);
    QCOMPARE(runs.count(), 0);
    QCOMPARE(idle.count(), 1);
  }

  void failureNamesTheFileAndTheQueueGoesOn() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString missing = dir.filePath(QStringLiteral("nowhere/tokens.npy"));
    ComputeSettings bad = smallJob({"builtin:tiny-lm"}, 1, 4);
    bad.data = missing.toStdString();

    JobQueue queue;
    QSignalSpy failed(&queue, &JobQueue::jobFailed);
    QSignalSpy runs(&queue, &JobQueue::runFinished);
    QSignalSpy idle(&queue, &JobQueue::idle);
    const int badId = queue.enqueueCompute(bad, QStringLiteral("bad data"));
    const int goodId = queue.enqueueCompute(smallJob({"builtin:mlp"}, 1, 4), QStringLiteral("good"));
    QVERIFY(idle.wait(kJobTimeoutMs));

    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.first().at(0).toInt(), badId);
    const QString message = failed.first().at(1).toString();
    QVERIFY2(message.contains(missing), qPrintable(message));
    QCOMPARE(queue.job(badId)->state, Job::State::Failed);
    QCOMPARE(queue.job(badId)->message, message);
    QCOMPARE(queue.job(goodId)->state, Job::State::Finished);
    QCOMPARE(queue.job(goodId)->runsDone, 1);
    QCOMPARE(runs.count(), 1);

    QSignalSpy removed(&queue, &JobQueue::jobRemoved);
    queue.clearFinished();
    QCOMPARE(removed.count(), 2);
    QVERIFY(queue.jobIds().isEmpty());
    QCOMPARE(queue.job(badId), nullptr);
  }

  void destroyingTheQueueStopsItsJobs() {
    QElapsedTimer timer;
    timer.start();
    {
      JobQueue queue;
      const int id = queue.enqueueCompute(longJob(), QStringLiteral("running"));
      queue.enqueueCompute(longJob(), QStringLiteral("queued"));
      QTRY_VERIFY_WITH_TIMEOUT(queue.job(id)->fraction > 0.0, kJobTimeoutMs);
    }
    {
      JobQueue queue;  // destroyed before the worker picks its job up
      queue.enqueueCompute(longJob(), QStringLiteral("not started"));
    }
    QVERIFY2(timer.elapsed() < 30000, qPrintable(QString::number(timer.elapsed())));
  }
};

// ---- JobsPanel ---------------------------------------------------------------------------------

class TestJobsPanel : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void timeLeft_data() {
    QTest::addColumn<double>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("unknown") << -1.0 << QString();
    QTest::newRow("zero") << 0.0 << QStringLiteral("0 s left");
    QTest::newRow("seconds") << 44.6 << QStringLiteral("45 s left");
    QTest::newRow("minutes") << 130.0 << QStringLiteral("2 min 10 s left");
    QTest::newRow("hours") << 3900.0 << QStringLiteral("1 h 5 min left");
  }
  void timeLeft() {
    QFETCH(double, seconds);
    QFETCH(QString, text);
    QCOMPARE(ui::formatTimeLeft(seconds), text);
  }

  void rowsUpdateInPlace() {
    QTemporaryDir dir;
    ComputeSettings bad = smallJob({"builtin:tiny-lm"}, 1, 4);
    bad.data = dir.filePath(QStringLiteral("missing.npy")).toStdString();
    JobQueue queue;
    JobsPanel panel(&queue);
    QSignalSpy idle(&queue, &JobQueue::idle);
    const int good = queue.enqueueCompute(smallJob({"builtin:mlp"}, 1, 4), QStringLiteral("good job"));
    const int failing = queue.enqueueCompute(bad, QStringLiteral("bad job"));
    QVERIFY(panel.row(good) && panel.row(failing));
    QWidget* goodFrame = panel.row(good)->frame;
    QCOMPARE(panel.row(good)->title->text(), QStringLiteral("good job"));
    QCOMPARE(panel.row(failing)->status->text(), QStringLiteral("queued"));
    QVERIFY(!panel.row(failing)->cancel->isHidden());
    QVERIFY(!panel.clearButton()->isEnabled());
    QVERIFY(idle.wait(kJobTimeoutMs));

    const JobsPanel::Row* done = panel.row(good);
    QCOMPARE(done->frame, goodFrame);  // the same row, updated
    QCOMPARE(done->progress->value(), done->progress->maximum());
    QCOMPARE(done->status->text(), QStringLiteral("done: 1 run"));
    QVERIFY(done->cancel->isHidden());
    const JobsPanel::Row* error = panel.row(failing);
    const QString message = queue.job(failing)->message;
    QVERIFY(!message.isEmpty());
    QCOMPARE(error->status->text(), message);
    QCOMPARE(error->status->toolTip(), message);
    QVERIFY(error->status->textInteractionFlags() & Qt::TextSelectableByMouse);
    QVERIFY(error->status->styleSheet().contains(QStringLiteral("color")));
    QVERIFY(error->cancel->isHidden());

    QVERIFY(panel.clearButton()->isEnabled());
    panel.clearButton()->click();
    QCOMPARE(panel.row(good), nullptr);
    QCOMPARE(panel.row(failing), nullptr);
    QVERIFY(!panel.clearButton()->isEnabled());
  }

  void cancelButtonCancelsTheJob() {
    JobQueue queue;
    JobsPanel panel(&queue);
    QSignalSpy idle(&queue, &JobQueue::idle);
    const int id = queue.enqueueCompute(longJob(), QStringLiteral("long"));
    panel.row(id)->cancel->click();
    QVERIFY(idle.wait(kJobTimeoutMs));
    QCOMPARE(queue.job(id)->state, Job::State::Cancelled);
    QCOMPARE(panel.row(id)->status->text(), QStringLiteral("cancelled"));
  }
};

// ---- ComputeDialog -----------------------------------------------------------------------------

class TestComputeDialog : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void init() { QSettings().remove(QStringLiteral("compute")); }

  void builtinSettingsRoundTrip() {
    ComputeSettings in = smallJob({"builtin:mlp"}, 3, 11);
    in.batchSize = 5;
    in.seqLen = 7;
    in.lanczosMode = LanczosMode::GolubKahan;
    in.shellsPerDecade = 6;
    in.device = DevicePreference::Cpu;
    in.dtype = ComputeDType::Float64;
    in.seed = 12345678901234567ULL;
    in.threads = 2;
    in.lambdaMin = 1e-3;  // not shown: kept as given
    in.jvpMethod = JvpMethod::DoubleBackward;
    in.recomputeActivations = true;
    ComputeDialog dialog;
    dialog.setSettings(in);
    const ComputeSettings out = dialog.settings();
    QVERIFY(out.recomputeActivations);
    QVERIFY(dialog.findChild<QCheckBox*>(QStringLiteral("recomputeActivations"))->isChecked());
    QCOMPARE(out.models, in.models);
    QCOMPARE(out.data, in.data);
    QCOMPARE(out.trainingStepRows, in.trainingStepRows);
    QCOMPARE(out.batches, in.batches);
    QCOMPARE(out.batchSize, in.batchSize);
    QCOMPARE(out.seqLen, in.seqLen);
    QVERIFY(out.lanczosMode == in.lanczosMode);  // shellscope::toString() returns std::string: QCOMPARE cannot print it
    QCOMPARE(out.lanczosSteps, in.lanczosSteps);
    QCOMPARE(out.shellsPerDecade, in.shellsPerDecade);
    QVERIFY(out.device == in.device);
    QVERIFY(out.dtype == in.dtype);  // shellscope::toString() returns std::string: QCOMPARE cannot print it
    QCOMPARE(out.seed, in.seed);
    QCOMPARE(out.threads, in.threads);
    QCOMPARE(out.lambdaMin, in.lambdaMin);
    QVERIFY(out.jvpMethod == in.jvpMethod);  // shellscope::toString() returns std::string: QCOMPARE cannot print it
    QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
    QVERIFY(dialog.okButton()->isEnabled());
    QVERIFY(dialog.jobTitle().startsWith(QStringLiteral("mlp")));
  }

  void invalidValuesDisableOk() {
    QTemporaryDir dir;
    ComputeDialog dialog;
    dialog.setSettings(smallJob({"builtin:tiny-lm"}, 2, 10));
    QVERIFY2(dialog.okButton()->isEnabled(), qPrintable(dialog.problem()));

    // The spin boxes do not take values validate() refuses.
    auto* batches = dialog.findChild<QSpinBox*>(QStringLiteral("batches"));
    QVERIFY(batches);
    batches->setValue(0);
    QCOMPARE(batches->value(), 1);

    ComputeSettings missingData = smallJob({"builtin:tiny-lm"}, 2, 10);
    missingData.data = dir.filePath(QStringLiteral("absent.npy")).toStdString();
    dialog.setSettings(missingData);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().contains(dir.filePath(QStringLiteral("absent.npy"))), qPrintable(dialog.problem()));
    auto* message = dialog.findChild<QLabel*>(QStringLiteral("message"));
    QCOMPARE(message->text(), dialog.problem());

    // A raw file needs no more than its dtype, which the combo always gives.
    const QString raw = dir.filePath(QStringLiteral("tokens.bin"));
    makeFile(raw);
    dialog.findChild<QLineEdit*>(QStringLiteral("dataFile"))->setText(raw);
    QVERIFY2(dialog.okButton()->isEnabled(), qPrintable(dialog.problem()));
    QCOMPARE(dialog.settings().dataDtype, std::string("u16"));

    // Pythia rows without data.
    ComputeSettings stepRows = smallJob({"builtin:tiny-lm"}, 2, 10);
    stepRows.trainingStepRows = 3;
    dialog.setSettings(stepRows);
    QVERIFY(!dialog.okButton()->isEnabled());

    if (!runtimeInfo().cudaAvailable) {
      ComputeSettings cuda = smallJob({"builtin:tiny-lm"}, 2, 10);
      cuda.device = DevicePreference::Cuda;
      dialog.setSettings(cuda);
      QVERIFY(!dialog.okButton()->isEnabled());
      QVERIFY(dialog.problem().contains(QStringLiteral("CUDA")));
    }
    QVERIFY(!dialog.isValid());
    dialog.accept();  // refused while invalid
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
  }

  void folderIsScannedInTheBackgroundAndListedByStep() {
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("pythia-mini"));
    for (const char* step : {"step100", "step2", "step30"}) makeCheckpointLikeFolder(folder + QLatin1Char('/') + step);
    QVERIFY(QDir().mkpath(folder + QStringLiteral("/notes")));  // not a checkpoint
    const QString data = dir.filePath(QStringLiteral("tokens.u16"));
    makeFile(data);

    ComputeDialog dialog;
    dialog.setSettings(smallJob({"builtin:tiny-lm"}, 2, 10));
    dialog.findChild<QLineEdit*>(QStringLiteral("dataFile"))->setText(data);
    dialog.setCheckpointFolder(folder);
    QVERIFY(dialog.isScanning());
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY(dialog.problem().startsWith(QStringLiteral("Scanning")));

    QListWidget* list = dialog.checkpointList();
    QTRY_COMPARE_WITH_TIMEOUT(list->count(), 3, 10000);
    QVERIFY(!dialog.isScanning());
    QCOMPARE(list->item(0)->text(), QStringLiteral("step2"));
    QCOMPARE(list->item(1)->text(), QStringLiteral("step30"));
    QCOMPARE(list->item(2)->text(), QStringLiteral("step100"));
    QVERIFY2(dialog.okButton()->isEnabled(), qPrintable(dialog.problem()));
    QCOMPARE(dialog.settings().models, std::vector<std::string>{folder.toStdString()});
    QVERIFY2(dialog.jobTitle().contains(QStringLiteral("3 checkpoints")), qPrintable(dialog.jobTitle()));

    // None, then one checkpoint by hand.
    auto* none = [&] {
      for (auto* button : dialog.findChildren<QPushButton*>()) {
        if (button->text() == QStringLiteral("None")) return button;
      }
      return static_cast<QPushButton*>(nullptr);
    }();
    QVERIFY(none);
    none->click();
    QVERIFY(!dialog.okButton()->isEnabled());
    QCOMPARE(dialog.problem(), QStringLiteral("No checkpoint selected."));
    list->item(1)->setCheckState(Qt::Checked);
    QVERIFY(dialog.okButton()->isEnabled());
    const std::vector<std::string> one{QDir::cleanPath(folder + QStringLiteral("/step30")).toStdString()};
    QCOMPARE(dialog.settings().models, one);
    QCOMPARE(dialog.jobTitle(), QStringLiteral("pythia-mini step30 (2×2×16, 10 Lanczos steps)"));

    // A subset round-trips: its folder is rescanned and exactly those checkpoints are checked.
    list->item(2)->setCheckState(Qt::Checked);
    const std::vector<std::string> two{one.front(), QDir::cleanPath(folder + QStringLiteral("/step100")).toStdString()};
    QCOMPARE(dialog.settings().models, two);
    ComputeDialog second;
    second.setSettings(dialog.settings());
    QCOMPARE(second.settings().models, two);  // already while scanning
    QTRY_COMPARE_WITH_TIMEOUT(second.checkpointList()->count(), 3, 10000);
    QCOMPARE(second.checkedCheckpoints(), (QStringList{QString::fromStdString(two[0]), QString::fromStdString(two[1])}));
    QCOMPARE(second.settings().models, two);
  }

  void folderWithoutCheckpointsShowsWhy() {
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("empty"));
    QVERIFY(QDir().mkpath(folder));
    ComputeDialog dialog;
    dialog.setCheckpointFolder(folder);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isScanning(), 10000);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().contains(folder), qPrintable(dialog.problem()));
    QVERIFY2(dialog.problem().contains(QStringLiteral("holds no checkpoint")), qPrintable(dialog.problem()));
  }

  void heldOutSettingsRoundTripAndAreRemembered() {
    QTemporaryDir dir;
    const QString data = dir.filePath(QStringLiteral("train.u16")), heldOut = dir.filePath(QStringLiteral("held.u16"));
    makeFile(data);
    makeFile(heldOut);
    ComputeSettings in = smallJob({"builtin:tiny-lm"}, 2, 10);
    in.data = data.toStdString();
    in.heldOutData = heldOut.toStdString();
    in.heldOutStepRows = 98000;
    {
      ComputeDialog dialog;
      dialog.setSettings(in);
      const ComputeSettings out = dialog.settings();
      QCOMPARE(out.heldOutData, in.heldOutData);
      QCOMPARE(out.heldOutStepRows, in.heldOutStepRows);
      QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
      QVERIFY2(dialog.jobTitle().endsWith(QStringLiteral(", held-out)")), qPrintable(dialog.jobTitle()));
      dialog.accept();
      QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    {
      ComputeDialog reopened;
      QCOMPARE(reopened.settings().heldOutData, in.heldOutData);
      QCOMPARE(reopened.settings().heldOutStepRows, std::int64_t(98000));
    }

    // "builtin": the check box, which takes the place of the file and its rows.
    ComputeSettings builtin = smallJob({"builtin:tiny-lm"}, 2, 10);
    builtin.heldOutData = "builtin";
    ComputeDialog dialog;
    dialog.setSettings(builtin);
    auto* box = dialog.findChild<QCheckBox*>(QStringLiteral("heldOutBuiltin"));
    auto* edit = dialog.findChild<QLineEdit*>(QStringLiteral("heldOutData"));
    auto* step = dialog.findChild<QSpinBox*>(QStringLiteral("heldOutStep"));
    QVERIFY(box && edit && step);
    QVERIFY(box->isChecked());
    QVERIFY(!edit->isEnabled());
    QVERIFY(!step->isEnabled());
    QCOMPARE(dialog.settings().heldOutData, std::string("builtin"));
    QCOMPARE(dialog.settings().heldOutStepRows, std::int64_t(-1));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
    box->setChecked(false);
    QVERIFY(edit->isEnabled());
    QVERIFY(!dialog.settings().hasHeldOut());
    QCOMPARE(dialog.jobTitle(), QStringLiteral("tiny-lm (2×2×16, 10 Lanczos steps)"));
  }

  void heldOutProblemsNameTheHeldOutFields() {
    QCOMPARE(ui::settingLabel("held_out_data"), QStringLiteral("Held-out data"));
    QCOMPARE(ui::settingLabel("held_out_step_rows"), QStringLiteral("Held-out Pythia step"));
    QTemporaryDir dir;
    const QString data = dir.filePath(QStringLiteral("train.u16"));
    makeFile(data);
    ComputeDialog dialog;

    // Held-out Pythia rows with no data to take them from (validate()'s held_out_data).
    ComputeSettings rows = smallJob({"builtin:tiny-lm"}, 2, 10);
    rows.heldOutStepRows = 5;
    dialog.setSettings(rows);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().startsWith(QStringLiteral("Held-out data ")), qPrintable(dialog.problem()));

    // The training batches themselves.
    ComputeSettings same = smallJob({"builtin:tiny-lm"}, 2, 10);
    same.data = data.toStdString();
    same.heldOutData = data.toStdString();
    dialog.setSettings(same);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().startsWith(QStringLiteral("Held-out data names the training batches")), qPrintable(dialog.problem()));
    // ... other rows of the same file are fine.
    dialog.findChild<QSpinBox*>(QStringLiteral("heldOutStep"))->setValue(7);
    QVERIFY2(dialog.okButton()->isEnabled(), qPrintable(dialog.problem()));
    QCOMPARE(dialog.settings().heldOutStepRows, std::int64_t(7));

    // A file that is not there.
    const QString absent = dir.filePath(QStringLiteral("absent.npy"));
    dialog.findChild<QLineEdit*>(QStringLiteral("heldOutData"))->setText(absent);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().contains(QStringLiteral("held-out")) && dialog.problem().contains(absent),
             qPrintable(dialog.problem()));

    // The built-in model's own batches with a data file, and with a checkpoint folder.
    ComputeSettings builtin = smallJob({"builtin:tiny-lm"}, 2, 10);
    builtin.data = data.toStdString();
    builtin.heldOutData = "builtin";
    dialog.setSettings(builtin);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().startsWith(QStringLiteral("Held-out data:")), qPrintable(dialog.problem()));
    dialog.findChild<QLineEdit*>(QStringLiteral("dataFile"))->clear();
    QVERIFY2(dialog.okButton()->isEnabled(), qPrintable(dialog.problem()));
    const QString folder = dir.filePath(QStringLiteral("ckpt/step1"));
    makeCheckpointLikeFolder(folder);
    dialog.findChild<QLineEdit*>(QStringLiteral("dataFile"))->setText(data);
    dialog.setCheckpointFolder(folder);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isScanning(), 10000);
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY2(dialog.problem().startsWith(QStringLiteral("Held-out data:")) && dialog.problem().contains(QStringLiteral("folder")),
             qPrintable(dialog.problem()));
  }

  void acceptedValuesAreRemembered() {
    ComputeSettings in = smallJob({"builtin:mlp"}, 5, 12);
    in.seed = 99;
    {
      ComputeDialog dialog;
      dialog.setSettings(in);
      dialog.accept();
      QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    ComputeDialog reopened;
    const ComputeSettings out = reopened.settings();
    QCOMPARE(out.models, in.models);
    QCOMPARE(out.batches, 5);
    QCOMPARE(out.lanczosSteps, 12);
    QCOMPARE(out.seed, std::uint64_t(99));
  }
};

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QStandardPaths::setTestModeEnabled(true);  // QSettings go to a test location
  QCoreApplication::setOrganizationName(QStringLiteral("shellscope-tests"));
  QCoreApplication::setApplicationName(QStringLiteral("test_job_queue"));
  int status = 0;
  {
    TestJobQueue test;
    status |= QTest::qExec(&test, argc, argv);
  }
  {
    TestJobsPanel test;
    status |= QTest::qExec(&test, argc, argv);
  }
  {
    TestComputeDialog test;
    status |= QTest::qExec(&test, argc, argv);
  }
  return status;
}

#include "test_job_queue.moc"

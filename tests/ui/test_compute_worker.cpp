// The background worker: a compute job on a tiny model runs on its own thread, reports progress
// and completion through queued signals, and can be cancelled mid-job.
#include <QSignalSpy>
#include <QThread>

#include "small_jobs.h"
#include "test_support.h"
#include "ui/jobs/compute_worker.h"

using namespace shellscope;
using shellscope::ui::ComputeWorker;

namespace {

ComputeSettings smallJob(int batches, int steps) { return testing::smallJob({"builtin:mlp"}, batches, steps); }

}  // namespace

class TestComputeWorker : public QObject {
  Q_OBJECT
 private:
  QThread thread_;
  ComputeWorker* worker_ = nullptr;

 private Q_SLOTS:
  void initTestCase() {
    ui::registerComputeTypes();
    worker_ = new ComputeWorker;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.start();
  }
  void cleanupTestCase() {
    thread_.quit();
    thread_.wait();
  }

  void jobRunsOffTheCallingThreadAndFinishes() {
    QSignalSpy progress(worker_, &ComputeWorker::progress);
    QSignalSpy finished(worker_, &ComputeWorker::finished);
    QSignalSpy failed(worker_, &ComputeWorker::failed);
    QThread* workerThread = nullptr;
    connect(worker_, &ComputeWorker::progress, this, [&] { workerThread = QThread::currentThread(); },
            Qt::DirectConnection);
    QMetaObject::invokeMethod(worker_, "compute", Qt::QueuedConnection, Q_ARG(shellscope::ComputeSettings, smallJob(2, 10)));
    // The worker emits from its own thread, straight into the spy: it may do so before a wait()
    // would start, so poll the count instead.
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 60000);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(workerThread, &thread_);
    QVERIFY(progress.count() >= 1);
    QCOMPARE(progress.last().at(0).toDouble(), 1.0);
    const auto runs = finished.first().at(0).value<std::vector<Run>>();
    QCOMPARE(runs.size(), size_t(1));
    QCOMPARE(runs[0].batchCount(), Eigen::Index(2));
    QVERIFY(runs[0].massIdentityResidual() < 1e-12);
    disconnect(worker_, &ComputeWorker::progress, this, nullptr);
  }

  void jobCanBeCancelled() {
    QSignalSpy cancelled(worker_, &ComputeWorker::cancelled);
    QSignalSpy finished(worker_, &ComputeWorker::finished);
    // Cancel from this (the GUI) thread as soon as the job reports progress.
    connect(worker_, &ComputeWorker::progress, this, [this] { worker_->cancel(); }, Qt::QueuedConnection);
    QMetaObject::invokeMethod(worker_, "compute", Qt::QueuedConnection,
                              Q_ARG(shellscope::ComputeSettings, smallJob(500, 200)));
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() > 0, 60000);
    QCOMPARE(finished.count(), 0);
    disconnect(worker_, &ComputeWorker::progress, this, nullptr);
  }

  void badSettingsAreReportedAsFailures() {
    QSignalSpy failed(worker_, &ComputeWorker::failed);
    ComputeSettings settings = smallJob(1, 4);
    settings.models = {"builtin:unknown"};
    QMetaObject::invokeMethod(worker_, "compute", Qt::QueuedConnection, Q_ARG(shellscope::ComputeSettings, settings));
    QTRY_VERIFY_WITH_TIMEOUT(failed.count() > 0, 10000);
    QVERIFY(failed.first().at(0).toString().contains("unknown built-in model"));
  }
};

QTEST_GUILESS_MAIN(TestComputeWorker)
#include "test_compute_worker.moc"

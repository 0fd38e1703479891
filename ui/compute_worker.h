#pragma once
// Runs shell-energy computations off the GUI thread. Move a ComputeWorker to a QThread and start
// jobs with QMetaObject::invokeMethod(worker, "compute", Qt::QueuedConnection, ...); results come
// back as queued signals handled on the receiver's thread. cancel() may be called from any thread.

#include <QObject>
#include <QString>
#include <memory>
#include <mutex>
#include <vector>

#include "shellscope/compute.h"
#include "shellscope/run.h"

namespace shellscope::ui {

class ComputeWorker : public QObject {
  Q_OBJECT
 public:
  explicit ComputeWorker(QObject* parent = nullptr);

  /// Thread-safe: the running job stops at its next operator product and emits cancelled().
  void cancel();

 public Q_SLOTS:
  /// Computes one run per model in `settings`; emits progress, then finished, failed or cancelled.
  void compute(const shellscope::ComputeSettings& settings);

 Q_SIGNALS:
  /// At most about ten times a second, and once at the end.
  void progress(double fraction, const QString& stage, double etaSeconds);
  void finished(const std::vector<shellscope::Run>& runs);
  void failed(const QString& message);
  void cancelled();

 private:
  std::mutex mutex_;
  std::shared_ptr<ProgressToken> current_;  ///< the running job's token, guarded by mutex_
};

/// Registers the types the worker's queued signals carry; call once before connecting.
void registerComputeTypes();

}  // namespace shellscope::ui

Q_DECLARE_METATYPE(shellscope::ComputeSettings)
Q_DECLARE_METATYPE(std::vector<shellscope::Run>)

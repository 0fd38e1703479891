#pragma once
// Reading something of the session file off the GUI thread for a view (the Lab view's /lab, the
// Transport view's /transport): the read runs on the background pool, its result or its error
// comes back on the GUI thread, and a result that a newer read has overtaken is dropped.

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QtConcurrent/QtConcurrent>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "ui/background_pool.h"

namespace shellscope::ui {

/// One reader per view; read() again abandons the previous read's result.
template <typename T>
class BackgroundRead {
 public:
  /// Runs `read` on the pool; `done(result, error)` follows on `owner`'s thread (error empty on
  /// success), unless read() is called again first or `owner` is gone.
  void read(QObject* owner, std::function<T()> read, std::function<void(T, QString)> done) {
    const int generation = ++generation_;
    auto* watcher = new QFutureWatcher<std::pair<T, QString>>(owner);
    QObject::connect(watcher, &QFutureWatcherBase::finished, owner, [this, watcher, generation, done] {
      watcher->deleteLater();
      if (generation != generation_) return;
      auto [value, error] = watcher->result();
      done(std::move(value), error);
    });
    watcher->setFuture(QtConcurrent::run(backgroundPool(), [read]() -> std::pair<T, QString> {
      try {
        return {read(), QString()};
      } catch (const std::exception& e) {
        return {T{}, QString::fromStdString(e.what())};
      }
    }));
  }
  /// Drops the result of a read in flight.
  void abandon() { ++generation_; }

 private:
  int generation_ = 0;
};

}  // namespace shellscope::ui

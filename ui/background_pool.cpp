#include "ui/background_pool.h"

#include <QThread>
#include <QThreadPool>
#include <algorithm>

namespace shellscope::ui {

QThreadPool* backgroundPool() {
  static QThreadPool* pool = [] {
    auto* p = new QThreadPool;  // lives until exit, like Qt's global pool
    p->setObjectName(QStringLiteral("shellscope-background"));
    p->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
    return p;
  }();
  return pool;
}

}  // namespace shellscope::ui

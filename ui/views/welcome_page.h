#pragma once
// What the window shows before a session is open: open a session, compute from checkpoints, run
// the built-in experiment, or reopen a recent file.

#include <QWidget>

QT_BEGIN_NAMESPACE
class QListWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class WelcomePage : public QWidget {
  Q_OBJECT
 public:
  explicit WelcomePage(QWidget* parent = nullptr);
  void setRecentFiles(const QStringList& paths);

 Q_SIGNALS:
  void openRequested();
  void computeRequested();
  void experimentRequested();
  void recentFileRequested(const QString& path);

 private:
  QListWidget* recent_;
};

}  // namespace shellscope::ui

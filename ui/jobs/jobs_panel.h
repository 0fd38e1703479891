#pragma once
// The jobs panel: one row per job of a JobQueue (title, progress with percentage, stage and time
// left, Cancel while queued or running; the error of a failed job in red, selectable, with the
// full message as tooltip; "done: N runs" when finished) and a "Clear finished" button. Rows are
// created once per job and updated in place on jobChanged.

#include <QHash>
#include <QString>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace shellscope::ui {

class JobQueue;

/// "45 s left", "2 min 10 s left", "1 h 5 min left"; empty when `seconds` < 0 (unknown).
QString formatTimeLeft(double seconds);

class JobsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit JobsPanel(JobQueue* queue, QWidget* parent = nullptr);

  /// The widgets of one job's row (nullptr for jobs without a row); for tests.
  struct Row {
    QWidget* frame = nullptr;
    QLabel* title = nullptr;
    QProgressBar* progress = nullptr;
    QLabel* status = nullptr;  ///< stage and time left, "done: N runs", or the error in red
    QPushButton* cancel = nullptr;
  };
  const Row* row(int jobId) const;
  QPushButton* clearButton() const { return clearButton_; }

 private:
  void addRow(int jobId);
  void updateRow(int jobId);
  void removeRow(int jobId);
  void updateClearButton();

  JobQueue* queue_;
  QVBoxLayout* rowsLayout_ = nullptr;
  QLabel* emptyLabel_ = nullptr;
  QPushButton* clearButton_ = nullptr;
  QHash<int, Row> rows_;
};

}  // namespace shellscope::ui

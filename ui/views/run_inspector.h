#pragma once
// The inspector: the selected run's settings, provenance, spectrum summary, frontier and fit
// parameters with their uncertainties.

#include <QTreeWidget>
#include <string>

namespace shellscope::ui {

class SessionDocument;

class RunInspector : public QTreeWidget {
  Q_OBJECT
 public:
  explicit RunInspector(SessionDocument* document, QWidget* parent = nullptr);

 public Q_SLOTS:
  /// Shows `runId` (empty: nothing selected).
  void showRun(const QString& runId);

 private:
  void refresh();
  SessionDocument* document_;
  std::string runId_;
};

}  // namespace shellscope::ui

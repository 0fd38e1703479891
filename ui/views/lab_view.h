#pragma once
// The theory lab (paper §3.1-3.5, the shell balance law and the antisymmetric flux; §4.2-4.6 and
// the lazy limit; docs/lab.md): for one exact lab run of the session, the flux matrix F̄_{β→α} of
// a chosen interval, that interval's per-shell balance, the transport-to-dissipation ratio over τ,
// and the lazy-rich sweep over every lab run of the session. Hover gives values; the figure
// exports as the four panels or any one of them, the shown data as CSV. The runs are read from the
// session file (/lab) in the background; a lab job's run is added when it finishes.

#include <QTimer>
#include <vector>

#include "shellscope/experiment/lab_run.h"
#include "ui/charts/lab_charts.h"
#include "ui/views/background_read.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QStackedWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class LabView : public ChartPage {
  Q_OBJECT
 public:
  explicit LabView(SessionDocument* document, QWidget* parent = nullptr);
  ~LabView() override;

  QString figureName() const override { return QStringLiteral("lab"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  void setDarkTheme(bool dark) override;

  /// The lab runs shown (those of the session file, and lab jobs' runs), by id.
  const std::vector<LabRun>& runs() const { return runs_; }
  bool hasRuns() const { return !runs_.empty(); }
  /// Whether the session file's lab runs are still being read.
  bool isLoading() const { return loading_; }
  bool isSettled() const override { return !loading_; }
  /// The chosen run's index in runs() (-1 when there are none) and interval.
  int currentRun() const;
  int interval() const;
  void setCurrentRun(int index);
  /// Chooses the run by id; false when there is none of that id.
  bool setCurrentRun(const std::string& id);
  void setInterval(int interval);
  /// What the figure export writes: the four panels or one of them.
  void setExportPanel(LabPanel panel);
  LabPanel exportPanel() const;

  /// Shows `runs` in place of the file's (tests; a session without a file).
  void setRuns(std::vector<LabRun> runs);
  /// Adds a run (a finished lab job's) and shows it.
  void addRun(LabRun run);
  /// Reads the session file's lab runs again (in the background).
  void reload();

  /// The text shown when there is nothing to draw (no lab runs, still reading, a read error).
  QString emptyText() const;
  InteractiveChartView* fluxView() const { return views_[0]; }
  InteractiveChartView* balanceView() const { return views_[1]; }
  InteractiveChartView* ratioView() const { return views_[2]; }
  InteractiveChartView* sweepView() const { return views_[3]; }
  /// Draws now rather than on the next event-loop turn.
  void rebuildNow() override { rebuild(); }

 Q_SIGNALS:
  /// The runs changed (read, added, cleared): the main window shows or hides the tab's content.
  void runsChanged();
  /// The user asks for a new lab run (the empty state's button).
  void labRunRequested();

 private:
  void refreshRuns();
  void updateIntervalRange();
  void rebuild();
  QString summaryHtml() const;

  SessionDocument* document_;
  std::vector<LabRun> runs_;
  BackgroundRead<std::vector<LabRun>> reader_;
  bool loading_ = false;
  QString readError_;
  QStackedWidget* stack_;
  QLabel* empty_;
  QComboBox* run_;
  QSlider* slider_;
  QSpinBox* spin_;
  QComboBox* panel_;
  QLabel* summary_;
  InteractiveChartView* views_[4];
  QTimer rebuild_;
  bool dark_ = false;
};

}  // namespace shellscope::ui

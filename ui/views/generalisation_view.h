#pragma once
// Train versus held-out (paper §6, issue 14; docs/generalisation.md): for one lab run with held-out
// points, the training and held-out shell profiles of a chosen checkpoint, the held-out loss rate
// R_b of each training shell there as signed bars (R_b > 0: learning on the training points raises
// the held-out loss), R_b over checkpoints × shells as a heatmap with the rise window outlined, and
// both losses over time with the intervals where L' rises shaded (generalisation_charts.h). Hover
// gives values; the figure exports as the four panels or any one of them, the shown data as CSV.
// The runs are read from the session file (/lab) in the background; a lab job's run is added when
// it finishes. Lab runs without held-out points are not listed. The session's runs computed with
// held-out data (compute --held-out-data) are listed after them, one entry a model: each run a
// checkpoint, R_b with a ±2 standard-error band over batch pairs (generalisation_charts.h).

#include <QTimer>
#include <vector>

#include "shellscope/experiment/lab_run.h"
#include "ui/charts/generalisation_charts.h"
#include "ui/views/background_read.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QStackedWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class GeneralisationView : public ChartPage {
  Q_OBJECT
 public:
  explicit GeneralisationView(SessionDocument* document, QWidget* parent = nullptr);
  ~GeneralisationView() override;

  QString figureName() const override { return QStringLiteral("generalisation"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  void setDarkTheme(bool dark) override;

  /// What the combo lists: the lab runs with held-out points (of the session file, and lab jobs'),
  /// by id, then one series a model of the session's runs with held-out data.
  const std::vector<LabRun>& runs() const { return runs_; }
  bool hasRuns() const { return !runs_.empty(); }
  /// Whether the session file's lab runs are still being read.
  bool isLoading() const { return loading_; }
  bool isSettled() const override { return !loading_; }
  /// The profiles panel has a λ axis (the others: shell bins and time).
  bool hasCursorAxis(CursorAxis axis) const override { return axis == CursorAxis::Lambda; }
  /// Only the profiles panel, exported alone, has the λ axis.
  bool exportHasCursorAxis(CursorAxis axis) const override;
  /// The chosen run's index in runs() (-1 when there are none) and checkpoint.
  int currentRun() const;
  int checkpoint() const;
  void setCurrentRun(int index);
  /// Chooses the run by id; false when there is none of that id (or it has no held-out points).
  bool setCurrentRun(const std::string& id);
  void setCheckpoint(int checkpoint);
  /// The heatmap's and the losses' time axis (τ or the training step) and the heatmap's colour scale.
  GeneralisationAxis axis() const;
  void setAxis(const GeneralisationAxis& axis);
  bool timeInTau() const { return axis().tau; }
  /// What the figure export writes: the four panels or one of them.
  void setExportPanel(GeneralisationPanel panel);
  GeneralisationPanel exportPanel() const;

  /// Shows the runs of `runs` that have held-out points, in place of the file's (tests; a
  /// session without a file); `all` of them are counted for the empty state.
  void setRuns(std::vector<LabRun> runs);
  /// Adds a run (a finished lab job's) when it has held-out points, and shows it.
  void addRun(LabRun run);
  /// Lists the session's runs with held-out data again (the document's session changed).
  void refreshSessionRuns();
  /// Whether entry `index` of runs() is a series of session runs (not a lab run).
  bool isSessionSeries(int index) const;
  /// The standard errors of the chosen entry's R_b (session runs; null for lab runs).
  const RateErrors* currentErrors() const;
  /// Reads the session file's lab runs again (in the background).
  void reload();

  /// The text shown when there is nothing to draw (no lab run with held-out points, still reading, a read error).
  QString emptyText() const;
  /// The line naming the rise window of the chosen run (empty when there is none).
  QString windowText() const;
  InteractiveChartView* profileView() const { return views_[0]; }
  InteractiveChartView* rateView() const { return views_[1]; }
  InteractiveChartView* heatmapView() const { return views_[2]; }
  InteractiveChartView* lossView() const { return views_[3]; }
  /// Draws now rather than on the next event-loop turn.
  void rebuildNow() override { rebuild(); }

 Q_SIGNALS:
  /// The runs changed (read, added, cleared): the main window shows or hides the tab's content.
  void runsChanged();

 private:
  void mergeRuns();
  void refreshRuns();
  QString keyOf(int index) const;
  void updateCheckpointRange();
  void rebuild();
  QString summaryHtml() const;

  SessionDocument* document_;
  std::vector<LabRun> labRuns_;
  std::vector<HeldOutSeries> series_;
  std::vector<LabRun> runs_;      ///< labRuns_, then series_'s runs
  std::vector<RateErrors> errors_;  ///< per entry of runs_ (empty for lab runs)
  int labRunsWithoutHeldOut_ = 0;
  BackgroundRead<std::vector<LabRun>> reader_;
  bool loading_ = false;
  QString readError_;
  QStackedWidget* stack_;
  QLabel* empty_;
  QComboBox* run_;
  QSlider* slider_;
  QSpinBox* spin_;
  QComboBox* time_;
  QCheckBox* logColor_;
  QComboBox* panel_;
  QLabel* window_;
  QLabel* summary_;
  InteractiveChartView* views_[4];
  QTimer rebuild_;
  bool dark_ = false;
};

}  // namespace shellscope::ui

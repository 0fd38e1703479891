#pragma once
// The ShellScope window: the session tree (left), the chart tabs (profile, animation, overlay,
// trends, and the theory lab's Lab, Transport and Generalisation) or the welcome page (centre), the run inspector
// (right) and the job queue (bottom); menus, toolbar, status bar, shortcuts, recent files, drag and drop of session files, window
// state kept in QSettings, and a palette that follows the system or the user's choice.

#include <QMainWindow>
#include <functional>
#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QLabel;
class QMenu;
class QProgressBar;
class QStackedWidget;
class QTabWidget;
class QTreeView;
QT_END_NAMESPACE

namespace shellscope::ui {

struct FigureSettings;
class AnimationView;
class ChartPage;
class GeneralisationView;
class JobQueue;
class JobsPanel;
class LabView;
class OverlayView;
class ProfileView;
class RunInspector;
class SessionDocument;
class SessionTreeModel;
class TransportView;
class TrendsView;
class WelcomePage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  SessionDocument* document() const { return document_; }
  JobQueue* jobs() const { return jobs_; }
  QTabWidget* tabs() const { return tabs_; }
  ProfileView* profileView() const { return profile_; }
  AnimationView* animationView() const { return animation_; }
  OverlayView* overlayView() const { return overlay_; }
  TrendsView* trendsView() const { return trends_; }
  LabView* labView() const { return lab_; }
  TransportView* transportView() const { return transport_; }
  GeneralisationView* generalisationView() const { return generalisation_; }
  QTreeView* sessionTree() const { return tree_; }
  RunInspector* inspector() const { return inspector_; }
  /// The chart page of the current tab.
  ChartPage* currentPage() const;

  /// Selects a run in the session tree (the inspector shows it).
  void selectRun(const std::string& runId);
  /// Opens `path` after asking about unsaved changes.
  void openSession(const QString& path);

  /// Saves what the views show now as the view state `name` of the session (replacing one of that name).
  void saveViewState(const QString& name);
  /// Shows the saved view state `name`; false (with a message) when the session has none of that
  /// name or it cannot be read.
  bool showViewState(const QString& name);
  /// Writes the current page's figure to `path` with `settings`, as File ▸ Export Figure does after
  /// its dialog; false with a message box on failure. PNG files are encoded in the background.
  bool exportCurrentFigure(const QString& path, const FigureSettings& settings);
  /// The text File ▸ Export Shown Data writes for the current page (shown_data.h).
  QString currentShownData() const;
  /// The status bar's cursor read-out for the current page (hover and pinned cursors).
  QString cursorReadoutText() const;

  enum class Theme { System, Light, Dark };
  void setTheme(Theme theme);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  void createDocks();
  void createActions();
  void restoreWindowState();
  void updateTitle();
  void updateCentral();
  void updateStatus();
  void updateCursorReadout();
  void applyPaletteToCharts();
  /// Every chart page, in tab order.
  std::vector<ChartPage*> pages() const;

  // File
  void newSession();
  void openDialog();
  bool save();
  bool saveAs();
  void exportFigure();
  void exportData();
  void exportAnimation();
  /// Runs `action` once unsaved changes are saved or discarded; not at all when the user cancels
  /// or the save fails (saving is asynchronous).
  void whenChangesSettled(const std::function<void()>& action);
  void addRecentFile(const QString& path);
  QStringList recentFiles() const;
  void fillRecentMenu();
  QString suggestedPath(const QString& name, const QString& suffix) const;

  // Compute and analysis
  void computeDialog();
  /// The compute dialog prefilled with `settings` (the inspector's "Recompute this run").
  void computeDialogWith(const shellscope::ComputeSettings& settings);
  void experimentDialog();
  /// A lab run (Compute ▸ New Lab Run…): the dialog, then a job; its run goes to the Lab view.
  void labRunDialog();
  void analysisDialog();
  void showTreeMenu(const QPoint& position);

  void showAbout();
  void showShortcuts();
  // View states (View ▸ View States)
  void saveViewStateDialog();
  void deleteViewStateDialog();
  void fillViewStatesMenu();

  SessionDocument* document_;
  JobQueue* jobs_;
  SessionTreeModel* treeModel_;
  QTreeView* tree_;
  RunInspector* inspector_;
  JobsPanel* jobsPanel_;
  QStackedWidget* central_;
  WelcomePage* welcome_;
  QTabWidget* tabs_;
  ProfileView* profile_;
  AnimationView* animation_;
  OverlayView* overlay_;
  TrendsView* trends_;
  LabView* lab_;
  TransportView* transport_;
  GeneralisationView* generalisation_;
  QMenu* recentMenu_ = nullptr;
  QMenu* statesMenu_ = nullptr;
  QLabel* busyLabel_;
  QProgressBar* busyBar_;
  QLabel* countLabel_;
  QLabel* cursorLabel_ = nullptr;
  Theme theme_ = Theme::System;
  bool closing_ = false;
  std::function<void()> afterSave_;  ///< what whenChangesSettled continues with once saved
  QString uncheckedNote_;            ///< why the file being opened is read without a child-process check
};

}  // namespace shellscope::ui

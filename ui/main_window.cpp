#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QProgressDialog>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QStyleFactory>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>
#include <QtCharts/QChart>
#include <QtConcurrent/QtConcurrent>
#include <cmath>
#include <memory>

#include "ui/background_pool.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/dialogs/analysis_options_dialog.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/dialogs/experiment_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/lab_run_dialog.h"
#include "ui/document/session_document.h"
#include "ui/document/session_tree_model.h"
#include "ui/figures/animation_export_job.h"
#include "ui/figures/figure_export.h"
#include "ui/figures/shown_data.h"
#include "ui/jobs/job_queue.h"
#include "ui/jobs/jobs_panel.h"
#include "ui/themed_icon.h"
#include "ui/views/animation_view.h"
#include "ui/views/generalisation_view.h"
#include "ui/views/lab_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/run_inspector.h"
#include "ui/views/transport_view.h"
#include "ui/views/view_state_player.h"
#include "ui/views/trends_view.h"
#include "ui/views/welcome_page.h"

/// Registers resources/shellscope.qrc, which lives in the static shellscope_ui library (outside
/// any namespace, as Q_INIT_RESOURCE requires).
static void initShellScopeResources() { Q_INIT_RESOURCE(shellscope); }

namespace shellscope::ui {

namespace {

constexpr int kMaxRecentFiles = 8;

bool isSessionFile(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  return suffix == "h5" || suffix == "hdf5" || suffix == "he5";
}

/// A message that does not block the event loop (computations go on behind it).
void showMessage(QWidget* parent, QMessageBox::Icon icon, const QString& title, const QString& text,
                 const QString& details = {}) {
  auto* box = new QMessageBox(icon, title, text, QMessageBox::Ok, parent);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setTextInteractionFlags(Qt::TextSelectableByMouse);
  if (!details.isEmpty()) box->setInformativeText(details);
  box->open();
}

QPalette darkPalette() {
  QPalette p;
  const QColor window(45, 45, 48), base(30, 30, 32), text(225, 225, 225), highlight(42, 130, 218);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, window);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, Qt::red);
  p.setColor(QPalette::Link, highlight.lighter(130));
  p.setColor(QPalette::Highlight, highlight);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
  for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) {
    p.setColor(QPalette::Disabled, role, QColor(130, 130, 130));
  }
  return p;
}

/// The palette the platform gave the application, before any theme was chosen.
const QPalette& systemPalette() {
  static const QPalette palette = QApplication::palette();
  return palette;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      document_(new SessionDocument(this)),
      jobs_(new JobQueue(this)),
      treeModel_(new SessionTreeModel(document_, this)),
      tree_(new QTreeView),
      inspector_(new RunInspector(document_)),
      jobsPanel_(new JobsPanel(jobs_)),
      central_(new QStackedWidget),
      welcome_(new WelcomePage),
      tabs_(new QTabWidget),
      profile_(new ProfileView(document_)),
      animation_(new AnimationView(document_)),
      overlay_(new OverlayView(document_)),
      trends_(new TrendsView(document_)),
      lab_(new LabView(document_)),
      transport_(new TransportView(document_)),
      generalisation_(new GeneralisationView(document_)),
      busyLabel_(new QLabel),
      busyBar_(new QProgressBar),
      countLabel_(new QLabel) {
  systemPalette();  // remember it before a theme replaces it
  setObjectName("MainWindow");
  setAcceptDrops(true);
  initShellScopeResources();
  setWindowIcon(QIcon::fromTheme("io.github.shellscope.ShellScope", QIcon(":/icons/shellscope.svg")));
  tabs_->addTab(profile_, tr("&Profile"));
  tabs_->addTab(animation_, tr("&Animation"));
  tabs_->addTab(overlay_, tr("&Overlay"));
  tabs_->addTab(trends_, tr("&Trends"));
  tabs_->addTab(lab_, tr("&Lab"));
  tabs_->addTab(transport_, tr("T&ransport"));
  tabs_->addTab(generalisation_, tr("&Generalisation"));
  tabs_->setTabToolTip(tabs_->indexOf(lab_), tr("The exact shell balance of the session's lab runs (/lab)"));
  tabs_->setTabToolTip(tabs_->indexOf(transport_), tr("The cumulative flux across shell edges of a checkpoint series (/transport)"));
  tabs_->setTabToolTip(tabs_->indexOf(generalisation_),
                       tr("Which training shells raise the held-out loss, in the session's lab runs with held-out points (/lab)"));
  // A hover or playback message belongs to the tab that sent it.
  connect(tabs_, &QTabWidget::currentChanged, statusBar(), &QStatusBar::clearMessage);
  tabs_->setDocumentMode(true);
  central_->addWidget(welcome_);
  central_->addWidget(tabs_);
  setCentralWidget(central_);
  createDocks();
  createActions();

  busyBar_->setMaximumWidth(160);
  busyBar_->setVisible(false);
  busyLabel_->setVisible(false);
  statusBar()->addPermanentWidget(busyLabel_);
  statusBar()->addPermanentWidget(busyBar_);
  statusBar()->addPermanentWidget(countLabel_);
  // The linked cursors' read-out (cursor_model.h): under the chart area, with full values.
  cursorLabel_ = new QLabel;
  cursorLabel_->setObjectName("cursorReadout");
  cursorLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  cursorLabel_->setToolTip(tr("The λ or step under the mouse and at the pinned cursors (click a chart to pin, Esc to "
                              "unpin), with what the current view draws there"));
  cursorLabel_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
  statusBar()->insertPermanentWidget(0, cursorLabel_, 1);  // beside, not under, the hover messages
  CursorModel* cursors = document_->cursors();
  connect(cursors, &CursorModel::hoverChanged, this, &MainWindow::updateCursorReadout);
  connect(cursors, &CursorModel::pinnedChanged, this, &MainWindow::updateCursorReadout);
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::updateCursorReadout);
  connect(document_, &SessionDocument::analysisChanged, this, &MainWindow::updateCursorReadout);
  connect(document_, &SessionDocument::checkedChanged, this, &MainWindow::updateCursorReadout);

  // The document.
  connect(document_, &SessionDocument::sessionReset, this, [this] {
    updateCentral();
    updateStatus();
    tree_->expandToDepth(0);
  });
  connect(document_, &SessionDocument::runsAdded, this, [this] {
    updateCentral();
    updateStatus();
    tree_->expandToDepth(0);
  });
  connect(document_, &SessionDocument::modifiedChanged, this, &MainWindow::updateTitle);
  connect(document_, &SessionDocument::pathChanged, this, &MainWindow::updateTitle);
  connect(document_, &SessionDocument::busyChanged, this, &MainWindow::updateStatus);
  connect(document_, &SessionDocument::checkSkipped, this, [this](const QString&, const QString& reason) {
    uncheckedNote_ = reason;
  });
  connect(document_, &SessionDocument::opened, this, [this](const QString& path) {
    addRecentFile(path);
    const QString opened = tr("Opened %1: %2 runs").arg(path).arg(document_->session().runs.size());
    const QString note = std::exchange(uncheckedNote_, QString());
    // Not silent: a file read without the crash check says so for longer.
    statusBar()->showMessage(note.isEmpty() ? opened : opened + QString::fromUtf8(" · ") + note, note.isEmpty() ? 5000 : 20000);
  });
  connect(document_, &SessionDocument::openFailed, this, [this](const QString& path, const QString& message) {
    uncheckedNote_.clear();
    showMessage(this, QMessageBox::Critical, tr("Cannot Open Session"),
                tr("%1 could not be opened. The current session is unchanged.").arg(QFileInfo(path).fileName()), message);
  });
  connect(document_, &SessionDocument::saved, this, [this](const QString& path) {
    addRecentFile(path);
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    if (auto next = std::exchange(afterSave_, nullptr)) next();
  });
  connect(document_, &SessionDocument::saveFailed, this, [this](const QString& path, const QString& message) {
    afterSave_ = nullptr;
    closing_ = false;
    showMessage(this, QMessageBox::Critical, tr("Cannot Save Session"),
                tr("%1 was not written; the file on disk is as it was before.").arg(path), message);
  });

  // The job queue: runs land in the open session as each checkpoint finishes.
  connect(jobs_, &JobQueue::runFinished, document_, &SessionDocument::addRun);
  connect(jobs_, &JobQueue::jobAdded, this, [this] {
    auto* dock = findChild<QDockWidget*>("JobsDock");
    if (dock->isHidden()) {
      dock->show();
      resizeDocks({dock}, {190}, Qt::Vertical);  // a running job and a queued one, readable
    }
    updateStatus();
  });
  connect(jobs_, &JobQueue::labRunFinished, this, [this](const LabRun& run) {
    lab_->addRun(run);
    generalisation_->addRun(run);
    tabs_->setCurrentWidget(lab_);
    statusBar()->showMessage(run.id.empty() ? tr("Lab run finished (not stored: the session has no file)")
                                            : tr("Lab run %1 added to %2").arg(QString::fromStdString(run.id), document_->path()),
                             8000);
  });
  connect(jobs_, &JobQueue::jobChanged, this, &MainWindow::updateStatus);
  connect(jobs_, &JobQueue::idle, this, &MainWindow::updateStatus);
  connect(jobs_, &JobQueue::jobFailed, this, [this](int, const QString& message) {
    showMessage(this, QMessageBox::Warning, tr("Computation Failed"), tr("A job stopped with an error."), message);
  });
  connect(jobs_, &JobQueue::experimentFinished, this, [this](const QString& path) {
    if (document_->isEmpty() && !document_->isModified()) {
      document_->open(path);
      return;
    }
    auto* box = new QMessageBox(QMessageBox::Information, tr("Experiment Finished"),
                                tr("The experiment's session is %1.").arg(path), QMessageBox::Open | QMessageBox::Close, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, path](int button) {
      if (button == QMessageBox::Open) openSession(path);
    });
    box->open();
  });

  // Welcome page.
  connect(welcome_, &WelcomePage::openRequested, this, &MainWindow::openDialog);
  connect(welcome_, &WelcomePage::computeRequested, this, &MainWindow::computeDialog);
  connect(welcome_, &WelcomePage::experimentRequested, this, &MainWindow::experimentDialog);
  connect(welcome_, &WelcomePage::recentFileRequested, this, &MainWindow::openSession);
  welcome_->setRecentFiles(recentFiles());

  // Messages of the pages and the value under the cursor (the lab's pages say their own).
  for (ChartPage* page : pages()) {
    connect(page, &ChartPage::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 4000); });
  }
  for (ChartPage* page : std::initializer_list<ChartPage*>{profile_, animation_, overlay_, trends_}) {
    for (InteractiveChartView* view : page->findChildren<InteractiveChartView*>()) {
      connect(view, &InteractiveChartView::hovered, this, [this](QPointF value) {
        statusBar()->showMessage(QString::fromUtf8("λ = %1   E = %2").arg(value.x(), 0, 'g', 4).arg(value.y(), 0, 'g', 4), 2000);
      });
    }
  }

  // A session of lab runs or flux estimates alone has no runs: its tabs show all the same.
  connect(lab_, &LabView::runsChanged, this, &MainWindow::updateCentral);
  connect(transport_, &TransportView::transportsChanged, this, &MainWindow::updateCentral);
  connect(lab_, &LabView::labRunRequested, this, [this] { labRunDialog(); });

  restoreWindowState();
  applyPaletteToCharts();
  updateTitle();
  updateCentral();
  updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::createDocks() {
  tree_->setModel(treeModel_);
  tree_->setHeaderHidden(false);
  tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  tree_->setUniformRowHeights(true);
  tree_->setContextMenuPolicy(Qt::CustomContextMenu);
  tree_->setSelectionMode(QAbstractItemView::SingleSelection);
  connect(tree_, &QTreeView::customContextMenuRequested, this, &MainWindow::showTreeMenu);
  connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
    // A checkpoint row with one run shows that run.
    const std::vector<std::string> ids = treeModel_->runIdsUnder(current);
    inspector_->showRun(ids.size() == 1 ? QString::fromStdString(ids.front()) : QString());
  });
  auto dock = [this](const QString& title, const QString& name, QWidget* widget, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(widget);
    addDockWidget(area, d);
    return d;
  };
  dock(tr("Session"), "SessionDock", tree_, Qt::LeftDockWidgetArea);
  dock(tr("Inspector"), "InspectorDock", inspector_, Qt::RightDockWidgetArea);
  connect(inspector_, &RunInspector::recomputeRequested, this, &MainWindow::computeDialogWith);
  dock(tr("Jobs"), "JobsDock", jobsPanel_, Qt::BottomDockWidgetArea)->hide();
}

void MainWindow::createActions() {
  auto action = [this](QMenu* menu, const QString& text, const QKeySequence& key, auto slot,
                       QStyle::StandardPixmap icon = QStyle::SP_CustomBase) {
    QAction* a = menu->addAction(text);
    if (!key.isEmpty()) a->setShortcut(key);
    if (icon != QStyle::SP_CustomBase) a->setIcon(themedStandardIcon(icon));
    connect(a, &QAction::triggered, this, slot);
    return a;
  };

  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* newAction = action(file, tr("&New Session"), QKeySequence::New, [this] { newSession(); }, QStyle::SP_FileIcon);
  QAction* openAction = action(file, tr("&Open…"), QKeySequence::Open, [this] { openDialog(); }, QStyle::SP_DialogOpenButton);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
  file->addSeparator();
  QAction* saveAction = action(file, tr("&Save"), QKeySequence::Save, [this] { save(); }, QStyle::SP_DialogSaveButton);
  action(file, tr("Save &As…"), QKeySequence::SaveAs, [this] { saveAs(); });
  file->addSeparator();
  QAction* exportAction = action(file, tr("&Export Figure…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] { exportFigure(); });
  action(file, tr("Export Shown &Data as CSV…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), [this] { exportData(); });
  action(file, tr("Export A&nimation Frames…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_E), [this] { exportAnimation(); });
  file->addSeparator();
  action(file, tr("&Quit"), QKeySequence::Quit, [this] { close(); });

  QMenu* compute = menuBar()->addMenu(tr("&Compute"));
  QAction* computeAction =
      action(compute, tr("&New Computation…"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] { computeDialog(); }, QStyle::SP_MediaPlay);
  action(compute, tr("Run the Built-in &Experiment…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), [this] { experimentDialog(); });
  action(compute, tr("New &Lab Run…"), QKeySequence(Qt::CTRL | Qt::Key_L), [this] { labRunDialog(); });
  action(compute, tr("&Cancel All Jobs"), QKeySequence(Qt::CTRL | Qt::Key_Period), [this] { jobs_->cancelAll(); },
         QStyle::SP_BrowserStop);
  compute->addSeparator();
  action(compute, tr("&Analysis Settings…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), [this] { analysisDialog(); });

  QMenu* view = menuBar()->addMenu(tr("&View"));
  const QStringList names{tr("&Profile"), tr("&Animation"), tr("&Overlay"), tr("&Trends"), tr("&Lab"), tr("T&ransport"),
                           tr("&Generalisation")};
  for (int i = 0; i < names.size(); ++i) {
    action(view, names[i], QKeySequence(Qt::CTRL | (Qt::Key_1 + i)), [this, i] {
      if (central_->currentWidget() == tabs_) tabs_->setCurrentIndex(i);
    });
  }
  view->addSeparator();
  QAction* resetZoom = action(view, tr("&Reset Zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), [this] {
    if (ChartPage* page = currentPage()) {
      for (InteractiveChartView* v : page->findChildren<InteractiveChartView*>()) v->resetZoom();
    }
  });
  resetZoom->setIcon(themedStandardIcon(QStyle::SP_BrowserReload));
  QAction* play = action(view, tr("Play / Pause Animation"), QKeySequence(Qt::CTRL | Qt::Key_Space), [this] {
    tabs_->setCurrentWidget(animation_);
    animation_->togglePlay();
  });
  play->setIcon(themedStandardIcon(QStyle::SP_MediaPlay));
  view->addSeparator();
  statesMenu_ = view->addMenu(tr("View &States"));
  statesMenu_->setToolTipsVisible(true);
  connect(statesMenu_, &QMenu::aboutToShow, this, &MainWindow::fillViewStatesMenu);
  fillViewStatesMenu();  // so the shortcuts of the fixed entries work before the menu was opened
  // Queued: a menu entry that changed the states must not be deleted while it runs.
  connect(document_, &SessionDocument::viewStatesChanged, this, &MainWindow::fillViewStatesMenu, Qt::QueuedConnection);
  view->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
  QMenu* themeMenu = view->addMenu(tr("&Theme"));
  auto* themes = new QActionGroup(this);
  const std::vector<std::pair<QString, Theme>> themeItems{
      {tr("Follow the &System"), Theme::System}, {tr("&Light"), Theme::Light}, {tr("&Dark"), Theme::Dark}};
  for (const auto& [text, theme] : themeItems) {
    QAction* a = themeMenu->addAction(text);
    a->setCheckable(true);
    a->setData(static_cast<int>(theme));
    themes->addAction(a);
    connect(a, &QAction::triggered, this, [this, theme = theme] { setTheme(theme); });
  }
  connect(themeMenu, &QMenu::aboutToShow, this, [this, themes] {
    for (QAction* a : themes->actions()) a->setChecked(a->data().toInt() == static_cast<int>(theme_));
  });
  view->addSeparator();
  QAction* fullScreen = action(view, tr("&Full Screen"), QKeySequence::FullScreen, [this] {
    isFullScreen() ? showNormal() : showFullScreen();
  });
  fullScreen->setShortcuts({QKeySequence::FullScreen, QKeySequence(Qt::Key_F11)});

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  action(help, tr("&Keyboard and Mouse"), QKeySequence::HelpContents, [this] { showShortcuts(); });
  action(help, tr("&About ShellScope"), QKeySequence(), [this] { showAbout(); });
  action(help, tr("About &Qt"), QKeySequence(), [] { QApplication::aboutQt(); });

  QToolBar* bar = addToolBar(tr("Main"));
  bar->setObjectName("MainToolBar");
  bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  for (QAction* a : {newAction, openAction, saveAction}) bar->addAction(a);
  bar->addSeparator();
  computeAction->setIconText(tr("Compute"));
  bar->addAction(computeAction);
  exportAction->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
  exportAction->setIconText(tr("Export"));
  bar->addAction(exportAction);
  bar->addSeparator();
  bar->addAction(resetZoom);
  bar->addAction(play);
}

void MainWindow::restoreWindowState() {
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1400, 860);
  if (!restoreState(settings.value("window/state").toByteArray())) {
    // First start: room for the inspector's values, the rest for the charts.
    resizeDocks({findChild<QDockWidget*>("SessionDock"), findChild<QDockWidget*>("InspectorDock")}, {240, 330},
                Qt::Horizontal);
  }
  tabs_->setCurrentIndex(settings.value("window/tab", 0).toInt());
  theme_ = static_cast<Theme>(settings.value("window/theme", 0).toInt());
  if (theme_ != Theme::System) setTheme(theme_);
}

void MainWindow::selectRun(const std::string& runId) {
  const QModelIndexList found = treeModel_->match(treeModel_->index(0, 0), SessionTreeModel::RunIdRole,
                                                  QString::fromStdString(runId), 1, Qt::MatchExactly | Qt::MatchRecursive);
  if (found.isEmpty()) return;
  tree_->scrollTo(found.front());
  tree_->setCurrentIndex(found.front());
}

ChartPage* MainWindow::currentPage() const {
  return central_->currentWidget() == tabs_ ? qobject_cast<ChartPage*>(tabs_->currentWidget()) : nullptr;
}

void MainWindow::updateTitle() {
  const QString name = document_->path().isEmpty() ? tr("Untitled") : QFileInfo(document_->path()).fileName();
  setWindowTitle(QString("%1[*] — ShellScope").arg(name));
  setWindowModified(document_->isModified());
  setWindowFilePath(document_->path());
}

void MainWindow::updateCentral() {
  const bool lab = lab_->hasRuns() || transport_->hasTransports();
  const bool empty = document_->isEmpty() && !lab;
  const bool wasWelcome = central_->currentWidget() == welcome_;
  central_->setCurrentWidget(empty ? static_cast<QWidget*>(welcome_) : tabs_);
  if (empty) welcome_->setRecentFiles(recentFiles());
  // Without runs the first four tabs are empty: show what the session does hold.
  if (!empty && wasWelcome && document_->isEmpty()) tabs_->setCurrentWidget(lab_->hasRuns() ? static_cast<QWidget*>(lab_) : transport_);
}

std::vector<ChartPage*> MainWindow::pages() const {
  return {profile_, animation_, overlay_, trends_, lab_, transport_, generalisation_};
}

QString MainWindow::cursorReadoutText() const {
  const ChartPage* page = currentPage();
  if (!page) return {};
  const CursorModel* cursors = document_->cursors();
  QStringList parts;
  for (const CursorAxis axis : {CursorAxis::Lambda, CursorAxis::Step}) {
    if (!page->hasCursorAxis(axis)) continue;
    const bool lambda = axis == CursorAxis::Lambda;
    const double hover = cursors->hover(axis);
    if (std::isfinite(hover)) {
      parts << (lambda ? QString::fromUtf8("λ = %1") : QStringLiteral("step = %1")).arg(QString::number(hover, 'g', 10));
    }
    const QString pinned = cursorReadout(lambda, cursors->pinned(axis), page->cursorReadings());
    if (!pinned.isEmpty()) parts << pinned;
  }
  return parts.join(QStringLiteral("   "));
}

void MainWindow::updateCursorReadout() { cursorLabel_->setText(cursorReadoutText()); }

void MainWindow::updateStatus() {
  const std::size_t runs = document_->session().runs.size();
  countLabel_->setText(runs ? tr("%1 models · %2 runs").arg(document_->models().size()).arg(runs) : QString());
  QString busy;
  int percent = -1;
  if (const Job* job = jobs_->job(jobs_->runningJob())) {
    busy = QString("%1: %2").arg(job->title, job->stage);
    percent = static_cast<int>(job->fraction * 100);
  } else if (document_->isBusy()) {
    busy = tr("Working…");
  }
  busyLabel_->setText(busy);
  busyLabel_->setVisible(!busy.isEmpty());
  busyBar_->setVisible(!busy.isEmpty());
  busyBar_->setRange(0, percent >= 0 ? 100 : 0);  // indeterminate while opening or analysing
  if (percent >= 0) busyBar_->setValue(percent);
}

void MainWindow::setTheme(Theme theme) {
  theme_ = theme;
  QSettings().setValue("window/theme", static_cast<int>(theme));
  if (theme == Theme::System) {
    QApplication::setPalette(systemPalette());
  } else {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
  }
  applyPaletteToCharts();
}

void MainWindow::applyPaletteToCharts() {
  const bool dark = QApplication::palette().color(QPalette::Window).lightness() < 128;
  for (ChartPage* page : pages()) page->setDarkTheme(dark);
}

void MainWindow::changeEvent(QEvent* event) {
  if (event->type() == QEvent::PaletteChange) applyPaletteToCharts();  // the system switched light/dark
  QMainWindow::changeEvent(event);
}

// ---- Sessions ----

void MainWindow::whenChangesSettled(const std::function<void()>& action) {
  if (!document_->isModified()) return action();
  const auto answer = QMessageBox::warning(this, tr("Unsaved Changes"),
                                           tr("The session has results that are not saved. Save them first?"),
                                           QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  if (answer == QMessageBox::Discard) return action();
  if (answer != QMessageBox::Save) return;
  afterSave_ = action;
  if (!save()) afterSave_ = nullptr;
}

void MainWindow::newSession() {
  if (jobs_->isBusy()) {
    showMessage(this, QMessageBox::Information, tr("Jobs Running"),
                tr("Computations are running into this session. Cancel them (Ctrl+.) before starting a new one."));
    return;
  }
  whenChangesSettled([this] { document_->clear(); });
}

void MainWindow::openDialog() {
  QSettings settings;
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Session"), settings.value("paths/sessions", QDir::homePath()).toString(),
                                                    tr("ShellScope sessions (*.h5 *.hdf5);;All files (*)"));
  if (path.isEmpty()) return;
  settings.setValue("paths/sessions", QFileInfo(path).absolutePath());
  openSession(path);
}

void MainWindow::openSession(const QString& path) {
  if (jobs_->isBusy()) {
    showMessage(this, QMessageBox::Information, tr("Jobs Running"),
                tr("Computations are running into this session. Cancel them or wait before opening another one."));
    return;
  }
  whenChangesSettled([this, path] { document_->open(path); });
}

bool MainWindow::save() {
  if (document_->path().isEmpty()) return saveAs();
  document_->save(document_->path());
  return true;
}

bool MainWindow::saveAs() {
  QSettings settings;
  const QString start = document_->path().isEmpty()
                            ? QDir(settings.value("paths/sessions", QDir::homePath()).toString()).filePath("session.h5")
                            : document_->path();
  QString path = QFileDialog::getSaveFileName(this, tr("Save Session As"), start, tr("ShellScope sessions (*.h5)"));
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += ".h5";
  settings.setValue("paths/sessions", QFileInfo(path).absolutePath());
  document_->save(path);
  return true;
}

void MainWindow::addRecentFile(const QString& path) {
  QStringList files = recentFiles();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  files.removeAll(absolute);
  files.prepend(absolute);
  while (files.size() > kMaxRecentFiles) files.removeLast();
  QSettings().setValue("recentFiles", files);
}

QStringList MainWindow::recentFiles() const { return QSettings().value("recentFiles").toStringList(); }

void MainWindow::fillRecentMenu() {
  recentMenu_->clear();
  const QStringList files = recentFiles();
  for (int i = 0; i < files.size(); ++i) {
    QAction* a = recentMenu_->addAction(QString("&%1 %2").arg(i + 1).arg(files[i]));
    connect(a, &QAction::triggered, this, [this, path = files[i]] { openSession(path); });
  }
  if (files.isEmpty()) recentMenu_->addAction(tr("(none)"))->setEnabled(false);
  recentMenu_->addSeparator();
  connect(recentMenu_->addAction(tr("&Clear List")), &QAction::triggered, this, [this] {
    QSettings().remove("recentFiles");
    welcome_->setRecentFiles({});
  });
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (closing_) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/tab", tabs_->currentIndex());
    jobs_->cancelAll();
    event->accept();
    return;
  }
  event->ignore();
  if (jobs_->isBusy()) {
    const auto answer = QMessageBox::question(this, tr("Jobs Running"), tr("Cancel the running computations and quit?"));
    if (answer != QMessageBox::Yes) return;
  }
  whenChangesSettled([this] {
    closing_ = true;
    close();
  });
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  for (const QUrl& url : event->mimeData()->urls()) {
    if (url.isLocalFile() && isSessionFile(url.toLocalFile())) return event->acceptProposedAction();
  }
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& url : event->mimeData()->urls()) {
    if (url.isLocalFile() && isSessionFile(url.toLocalFile())) {
      event->acceptProposedAction();
      // After the drop returns: the file manager should not wait for a dialog.
      QTimer::singleShot(0, this, [this, path = url.toLocalFile()] { openSession(path); });
      return;
    }
  }
}

// ---- Export ----

QString MainWindow::suggestedPath(const QString& name, const QString& suffix) const {
  QSettings settings;
  const QString base = document_->path().isEmpty() ? QStringLiteral("shellscope") : QFileInfo(document_->path()).completeBaseName();
  const QString dir = settings.value("paths/export", document_->path().isEmpty() ? QDir::homePath() : QFileInfo(document_->path()).absolutePath())
                          .toString();
  return QDir(dir).filePath(QString("%1-%2%3").arg(base, name, suffix));
}

void MainWindow::exportFigure() {
  ChartPage* page = currentPage();
  if (!page) return;
  const CursorModel* cursors = document_->cursors();
  ExportDialog dialog([page, cursors](const ChartStyle& style) { return page->exportFigure(style, cursors); },
                      suggestedPath(page->figureName(), ".png"), this);
  if (dialog.exec() != QDialog::Accepted) return;
  const QString path = dialog.path();
  QSettings().setValue("paths/export", QFileInfo(path).absolutePath());
  exportCurrentFigure(path, dialog.settings());
}

bool MainWindow::exportCurrentFigure(const QString& path, const FigureSettings& s) {
  ChartPage* page = currentPage();
  if (!page) return false;
  std::unique_ptr<QChart> chart(page->exportFigure(s.style, document_->cursors()));
  if (!chart) return false;
  try {
    if (path.endsWith(".png", Qt::CaseInsensitive)) {
      // Painting needs this thread; encoding and writing the file do not.
      const QImage image = renderChartImage(chart.get(), s.options);
      auto* watcher = new QFutureWatcher<bool>(this);
      connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
        watcher->deleteLater();
        if (watcher->result()) {
          statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
        } else {
          showMessage(this, QMessageBox::Warning, tr("Export Failed"), tr("%1: cannot write the PNG file").arg(path));
        }
      });
      watcher->setFuture(QtConcurrent::run(backgroundPool(), [image, path] { return image.save(path); }));
      return true;
    }
    exportChart(chart.get(), path, s.options);
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showMessage(this, QMessageBox::Warning, tr("Export Failed"), QString::fromStdString(e.what()));
    return false;
  }
}

QString MainWindow::currentShownData() const {
  const ChartPage* page = currentPage();
  return page ? shownDataWithHeader(*page, *document_) : QString();
}

void MainWindow::exportData() {
  ChartPage* page = currentPage();
  if (!page) return;
  const QString csv = currentShownData();
  if (csv.isEmpty()) {
    statusBar()->showMessage(tr("Nothing shown to export"), 4000);
    return;
  }
  QString path = QFileDialog::getSaveFileName(this, tr("Export Shown Data"), suggestedPath(page->figureName(), ".csv"),
                                              tr("CSV files (*.csv)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += ".csv";
  QSettings().setValue("paths/export", QFileInfo(path).absolutePath());
  auto* watcher = new QFutureWatcher<QString>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
    watcher->deleteLater();
    const QString error = watcher->result();
    if (error.isEmpty()) {
      statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    } else {
      showMessage(this, QMessageBox::Warning, tr("Export Failed"), error);
    }
  });
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [csv, path] { return writeShownData(path, csv); }));
}

void MainWindow::exportAnimation() {
  const ProfileAnimation* shown = animation_->animation();
  if (!shown) {
    statusBar()->showMessage(tr("No animation to export: the session has no checkpoints"), 4000);
    return;
  }
  AnimationExportDialog dialog(shown->checkpointCount(), suggestedPath(animation_->modelName() + "-frames", QString()), this);
  if (dialog.exec() != QDialog::Accepted) return;
  AnimationExportRequest request;
  for (const Run* run : document_->runsOf(animation_->modelName().toStdString())) {
    request.runs.push_back(*run);
    const analysis::RunAnalysis* a = document_->analysisOf(run->id);
    request.analyses.push_back(a ? *a : analysis::RunAnalysis{});
  }
  request.modelName = animation_->modelName();
  request.folder = dialog.folder();
  request.framesPerCheckpoint = dialog.framesPerCheckpoint();
  request.framesPerSecond = dialog.framesPerSecond();
  request.video = dialog.makeVideo();
  request.layers = animation_->layers();
  request.style = dialog.settings().style;
  request.size = dialog.settings().options.size;
  request.dpi = dialog.settings().options.dpi;
  request.smoothingWidth = document_->analysisOptions().smoothingWidth;
  auto* job = new AnimationExportJob(std::move(request), this);
  auto* progress = new QProgressDialog(tr("Writing frames…"), tr("Cancel"), 0, 100, this);
  progress->setWindowTitle(tr("Export Animation"));
  progress->setAttribute(Qt::WA_DeleteOnClose);
  progress->setMinimumDuration(0);
  progress->setAutoClose(false);
  progress->setAutoReset(false);
  connect(progress, &QProgressDialog::canceled, job, &AnimationExportJob::cancel);
  connect(job, &AnimationExportJob::progress, progress, [progress](int done, int total, const QString& stage) {
    progress->setMaximum(total);
    progress->setValue(done);
    progress->setLabelText(stage);
  });
  auto finish = [this, job, progress](const QString& message, bool ok) {
    progress->close();
    job->deleteLater();
    if (ok) {
      statusBar()->showMessage(message, 8000);
    } else {
      showMessage(this, QMessageBox::Warning, tr("Export Failed"), message);
    }
  };
  connect(job, &AnimationExportJob::finished, this, [finish](const QString& m) { finish(m, true); });
  connect(job, &AnimationExportJob::failed, this, [finish](const QString& m) { finish(m, false); });
  connect(job, &AnimationExportJob::cancelled, this, [finish, this] { finish(tr("Animation export cancelled"), true); });
  QSettings().setValue("paths/export", QFileInfo(dialog.folder()).absolutePath());
  job->start();
}

// ---- Compute and analysis ----

void MainWindow::computeDialog() {
  ComputeDialog dialog(this);
  if (dialog.exec() != QDialog::Accepted) return;
  jobs_->enqueueCompute(dialog.settings(), dialog.jobTitle());
}

void MainWindow::computeDialogWith(const ComputeSettings& settings) {
  ComputeDialog dialog(this);
  dialog.setSettings(settings);
  dialog.setWindowTitle(tr("Recompute a run"));
  if (dialog.exec() != QDialog::Accepted) return;
  jobs_->enqueueCompute(dialog.settings(), dialog.jobTitle());
}

void MainWindow::experimentDialog() {
  ExperimentDialog dialog(this);
  if (dialog.exec() != QDialog::Accepted) return;
  jobs_->enqueueExperiment(dialog.settings(), tr("Built-in experiment in %1").arg(QString::fromStdString(dialog.settings().outDir)));
}

void MainWindow::labRunDialog() {
  LabRunDialog dialog(document_->path(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  jobs_->enqueueLab(dialog.settings(), document_->path(), dialog.jobTitle());
}

void MainWindow::analysisDialog() {
  AnalysisOptionsDialog dialog(document_->analysisOptions(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  document_->setAnalysisOptions(dialog.options());
  statusBar()->showMessage(tr("Re-analysing every run with the new settings…"), 4000);
}

void MainWindow::showTreeMenu(const QPoint& position) {
  const QModelIndex index = tree_->indexAt(position);
  QMenu menu(this);
  if (index.isValid()) {
    const std::vector<std::string> ids = treeModel_->runIdsUnder(index);
    connect(menu.addAction(tr("Show &Only These")), &QAction::triggered, this, [this, ids] {
      std::vector<std::string> all;
      for (const Run& run : document_->session().runs) all.push_back(run.id);
      document_->setChecked(all, false);
      document_->setChecked(ids, true);
      tabs_->setCurrentWidget(profile_);
    });
    connect(menu.addAction(tr("&Check")), &QAction::triggered, this, [this, ids] { document_->setChecked(ids, true); });
    connect(menu.addAction(tr("&Uncheck")), &QAction::triggered, this, [this, ids] { document_->setChecked(ids, false); });
    if (!ids.empty()) {
      if (const Run* run = document_->run(ids.front())) {
        const QString model = QString::fromStdString(run->meta.modelName);
        connect(menu.addAction(tr("&Animate %1").arg(model)), &QAction::triggered, this, [this, model] {
          animation_->setModel(model);
          tabs_->setCurrentWidget(animation_);
        });
      }
    }
    menu.addSeparator();
  }
  connect(menu.addAction(tr("Uncheck &All")), &QAction::triggered, this, [this] {
    std::vector<std::string> all;
    for (const Run& run : document_->session().runs) all.push_back(run.id);
    document_->setChecked(all, false);
  });
  menu.exec(tree_->viewport()->mapToGlobal(position));
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About ShellScope"),
                     tr("<h3>ShellScope %1</h3><p>A visual explorer for spectral-shell dynamics of neural-network training: "
                        "per-token error energy on logarithmic eigenvalue shells of the function-space operator "
                        "M = J J*/n, by Lanczos quadrature.</p><p>Qt %2.</p>")
                         .arg(QApplication::applicationVersion(), qVersion()));
}

// ---- View states ----

void MainWindow::fillViewStatesMenu() {
  statesMenu_->clear();
  QAction* save = statesMenu_->addAction(tr("&Save View State…"), this, &MainWindow::saveViewStateDialog);
  save->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_S));
  save->setToolTip(tr("Keep what every view shows now (runs, layers, zoom, cursors, base checkpoint, export "
                      "settings) in the session under a name; `shellscope-cli render --state NAME` replays it"));
  QAction* remove = statesMenu_->addAction(tr("&Delete View State…"), this, &MainWindow::deleteViewStateDialog);
  remove->setEnabled(!document_->viewStates().empty());
  statesMenu_->addSeparator();
  const std::vector<NamedViewState>& states = document_->viewStates();
  if (states.empty()) statesMenu_->addAction(tr("(none saved)"))->setEnabled(false);
  for (std::size_t i = 0; i < states.size(); ++i) {
    const QString name = QString::fromStdString(states[i].name);
    QAction* a = statesMenu_->addAction(name, this, [this, name] { showViewState(name); });
    if (i < 9) a->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | (Qt::Key_1 + static_cast<int>(i))));
    a->setToolTip(tr("Show the view state '%1'").arg(name));
  }
}

void MainWindow::saveViewStateDialog() {
  if (document_->isEmpty()) {
    statusBar()->showMessage(tr("Open or compute a session first: view states are saved with it"), 5000);
    return;
  }
  bool ok = false;
  const QString suggestion = tr("figure %1").arg(document_->viewStates().size() + 1);
  const QString name = QInputDialog::getText(this, tr("Save View State"),
                                             tr("Name (an existing name is replaced; saved with the session):"),
                                             QLineEdit::Normal, suggestion, &ok)
                           .trimmed();
  if (!ok || name.isEmpty()) return;
  saveViewState(name);
}

void MainWindow::saveViewState(const QString& name) {
  const ViewState state = captureViewState(*document_, pages(), currentPage() ? currentPage() : profile_,
                                           rememberedFigureSettings());
  document_->setViewState(name.toStdString(), viewStateText(state).toStdString());
  statusBar()->showMessage(tr("View state '%1' kept; save the session to write it").arg(name), 5000);
}

bool MainWindow::showViewState(const QString& name) {
  const NamedViewState* named = document_->findViewState(name.toStdString());
  if (!named) {
    statusBar()->showMessage(tr("The session has no view state '%1'").arg(name), 5000);
    return false;
  }
  ViewState state;
  try {
    state = viewStateFromJson(name, QByteArray::fromStdString(named->json));
  } catch (const std::exception& e) {
    showMessage(this, QMessageBox::Warning, tr("View State"), QString::fromStdString(e.what()));
    return false;
  }
  rememberFigureSettings(state.figure);  // the next export starts from the state's preset
  for (ChartPage* page : pages()) {
    if (page->figureName() == state.tab && central_->currentWidget() == tabs_) tabs_->setCurrentWidget(page);
  }
  applyViewState(*document_, pages(), state, [this, name] {
    statusBar()->showMessage(tr("Showing view state '%1'").arg(name), 5000);
  });
  return true;
}

void MainWindow::deleteViewStateDialog() {
  QStringList names;
  for (const NamedViewState& s : document_->viewStates()) names << QString::fromStdString(s.name);
  if (names.isEmpty()) return;
  bool ok = false;
  const QString name = QInputDialog::getItem(this, tr("Delete View State"), tr("View state:"), names, 0, false, &ok);
  if (ok) document_->removeViewState(name.toStdString());
}

namespace {

/// Every action of `menu` and its submenus with a shortcut, as table rows "keys | Menu ▸ Entry".
void shortcutRows(const QMenu* menu, const QString& path, QString& rows) {
  for (QAction* a : menu->actions()) {
    const QString text = a->text().remove('&');
    if (a->menu()) {
      shortcutRows(a->menu(), path + QString::fromUtf8(" ▸ ") + text, rows);
      continue;
    }
    if (a->shortcuts().isEmpty() || a->isSeparator()) continue;
    QStringList keys;
    for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText).toHtmlEscaped();
    rows += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(keys.join(", "), (path + QString::fromUtf8(" ▸ ") + text).toHtmlEscaped());
  }
}

}  // namespace

void MainWindow::showShortcuts() {
  QString menus;
  for (QAction* top : menuBar()->actions()) {
    if (top->menu()) shortcutRows(top->menu(), top->text().remove('&'), menus);
  }
  QMessageBox box(QMessageBox::Information, tr("Keyboard and Mouse"), QString(), QMessageBox::Close, this);
  box.setObjectName("shortcutsBox");
  box.setText(tr("<table cellpadding=2>"
                 "<tr><td><b>Charts</b></td><td></td></tr>"
                 "<tr><td>Drag</td><td>zoom to a rectangle</td></tr>"
                 "<tr><td>Wheel, + and −</td><td>zoom around the cursor</td></tr>"
                 "<tr><td>Middle drag, Shift+drag, arrows</td><td>pan</td></tr>"
                 "<tr><td>0, Home, Ctrl+0</td><td>reset the zoom</td></tr>"
                 "<tr><td>Click a legend entry</td><td>hide or show its series</td></tr>"
                 "<tr><td>Mouse over a chart</td><td>the λ (or step) cursor, in every view with that axis</td></tr>"
                 "<tr><td>Click (without dragging)</td><td>pin a cursor there; two pinned: read Δ and ratio in the status bar</td></tr>"
                 "<tr><td>Esc</td><td>unpin the cursors</td></tr>"
                 "<tr><td><b>Animation</b></td><td></td></tr>"
                 "<tr><td>Space</td><td>play / pause</td></tr>"
                 "<tr><td>[ and ]</td><td>previous / next checkpoint</td></tr>"
                 "<tr><td>Ctrl+Home, Ctrl+End</td><td>first / last checkpoint</td></tr>"
                 "<tr><td><b>Menus</b></td><td></td></tr>%1"
                 "</table>")
                  .arg(menus));
  box.exec();
}

}  // namespace shellscope::ui

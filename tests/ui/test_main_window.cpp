// The main window as a user drives it: opening sessions (by call, drag and drop), bad files that
// must leave the open session untouched, a computation started from the GUI landing in the
// session, the unsaved-changes prompt, keyboard shortcuts, and a large session that opens
// without stalling the event loop.
#include <H5Cpp.h>

#include <fstream>
#include <functional>
#include <memory>


#include <QAbstractButton>

#include <QApplication>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QMessageBox>
#include <QMimeData>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeView>

#include "session_fixtures.h"
#include "small_jobs.h"
#include "test_support.h"
#include "ui/jobs/compute_worker.h"
#include "ui/document/session_document.h"
#include "ui/jobs/job_queue.h"
#include "ui/main_window.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/views/animation_view.h"
#include "ui/views/run_inspector.h"
#include "shellscope/engine/checkpoint_writer.h"
#include "shellscope/session/session_file.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

/// Clicks `button` of the next modal message box (the prompt the action under test opens).
/// Clicks `button` on the modal message box that opens next; the returned flag says it did.
std::shared_ptr<bool> answerNextMessageBox(QMessageBox::StandardButton button) {
  auto answered = std::make_shared<bool>(false);
  QTimer::singleShot(50, [button, answered] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box || !box->button(button)) return;
    *answered = true;
    box->button(button)->click();
  });
  return answered;
}

/// Closes the non-modal error boxes the window opened, returning their texts.
QStringList closeMessageBoxes(QWidget* window) {
  QStringList texts;
  for (QMessageBox* box : window->findChildren<QMessageBox*>()) {
    if (!box->isVisible()) continue;
    texts << box->text() + "\n" + box->informativeText();
    box->close();
  }
  return texts;
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString fixture_;

  bool openInWindow(MainWindow& window, const QString& path) {
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    QSignalSpy analysed(window.document(), &SessionDocument::analysisChanged);
    window.openSession(path);
    if (!opened.wait(60000)) return false;
    return !window.document()->isBusy() || analysed.wait(60000);
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings of the tests stay apart from a user's
    registerComputeTypes();
    QVERIFY(dir_.isValid());
    fixture_ = dir_.filePath("fixture.h5");
    writeSession(fixture_.toStdString(), testing::fixtureSession());
  }

  void opensASessionIntoTheTabs() {
    MainWindow window;
    window.show();
    QVERIFY(window.currentPage() == nullptr);  // the welcome page
    QVERIFY(openInWindow(window, fixture_));
    QVERIFY(window.currentPage() != nullptr);
    QCOMPARE(window.sessionTree()->model()->rowCount(), 2);  // small, large
    QVERIFY(window.windowTitle().startsWith("fixture.h5"));
    QVERIFY(!window.isWindowModified());
  }

  void badFilesLeaveTheSessionUntouched_data() {
    QTest::addColumn<QString>("kind");
    QTest::newRow("not HDF5") << "garbage";
    QTest::newRow("truncated session") << "truncated";
    QTest::newRow("foreign HDF5") << "foreign";
    QTest::newRow("missing") << "missing";
  }
  void badFilesLeaveTheSessionUntouched() {
    QFETCH(QString, kind);
    const QString bad = dir_.filePath(kind + ".h5");
    if (kind == "garbage") {
      QFile file(bad);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write("this is not a session\n");
    } else if (kind == "truncated") {
      QFile::remove(bad);
      QVERIFY(QFile::copy(fixture_, bad));
      QFile file(bad);
      QVERIFY(file.resize(file.size() / 2));
    } else if (kind == "foreign") {
      H5::H5File file(bad.toStdString(), H5F_ACC_TRUNC);
      file.createGroup("/measurements");
    }
    MainWindow window;
    window.show();
    QVERIFY(openInWindow(window, fixture_));
    const std::size_t runs = window.document()->session().runs.size();
    QSignalSpy failed(window.document(), &SessionDocument::openFailed);
    window.openSession(bad);
    QVERIFY(failed.wait(30000));
    const QString message = failed.first().at(1).toString();
    QVERIFY2(message.contains(kind + ".h5"), qPrintable(message));  // the message names the file
    QCOMPARE(window.document()->session().runs.size(), runs);
    QCOMPARE(window.document()->path(), fixture_);
    QVERIFY(!window.document()->isModified());
    const QStringList shown = closeMessageBoxes(&window);
    QCOMPARE(shown.size(), 1);
  }

  void dropsOpenSessionFiles() {
    MainWindow window;
    window.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(fixture_)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QVERIFY(opened.wait(30000));
    QCOMPARE(window.document()->session().runs.size(), size_t(10));
  }

  void recomputeFindsTheInputsFromElsewhere() {
    // A run computed with paths relative to its inputs folder, into a session in another folder.
    const QString tree = dir_.filePath("provenance/tree"), moved = dir_.filePath("provenance/moved");
    QVERIFY(QDir().mkpath(tree + "/inputs") && QDir().mkpath(tree + "/results"));
    const QString before = QDir::currentPath();
    QVERIFY(QDir::setCurrent(tree + "/inputs"));
    RandomCheckpointOptions init;
    init.shape = "tiny-lm";
    init.storeDtype = "float32";
    writeRandomCheckpoint("ckpt/step5", init);
    {
      std::ofstream tokens("tokens.i32", std::ios::binary);
      for (std::int32_t i = 0; i < 3000; ++i) {
        const std::int32_t token = (7 * i) % 64;
        tokens.write(reinterpret_cast<const char*>(&token), sizeof token);
      }
    }
    ComputeSettings settings = testing::smallJob({"ckpt/step5"}, 2, 6);
    settings.data = "tokens.i32";
    settings.device = DevicePreference::Cpu;
    ProgressToken quiet;
    appendRuns("../results/s.h5", computeRuns(settings, quiet));
    // The whole tree moves, and the GUI runs from yet another folder.
    QVERIFY(QDir().rename(tree, moved));
    QVERIFY(QDir::setCurrent(dir_.path()));

    MainWindow window;
    window.show();
    QVERIFY(openInWindow(window, moved + "/results/s.h5"));
    const Run original = window.document()->session().runs.front();
    window.selectRun(original.id);
    QTRY_VERIFY_WITH_TIMEOUT(window.inspector()->inputsOfShownRun() != nullptr, 30000);
    const RunInputs inputs = *window.inspector()->inputsOfShownRun();
    QVERIFY2(inputs.checkpoint.state == InputState::Unchanged, inputs.checkpoint.message.c_str());
    QCOMPARE(QString::fromStdString(inputs.checkpoint.path), moved + "/inputs/ckpt/step5");
    QVERIFY2(inputs.data.state == InputState::Unchanged, inputs.data.message.c_str());
    QCOMPARE(QString::fromStdString(inputs.data.path), moved + "/inputs/tokens.i32");

    // "Recompute this run": the dialog opens with those paths; accepting it computes the run again.
    auto accepted = std::make_shared<bool>(false);
    std::function<void()> acceptWhenReady;
    acceptWhenReady = [&acceptWhenReady, accepted] {
      auto* dialog = qobject_cast<ComputeDialog*>(QApplication::activeModalWidget());
      if (!dialog || dialog->isScanning() || !dialog->isValid()) {
        QTimer::singleShot(50, acceptWhenReady);
        return;
      }
      *accepted = dialog->settings().data.find("/moved/inputs/tokens.i32") != std::string::npos;
      dialog->accept();
    };
    QTimer::singleShot(50, acceptWhenReady);
    QSignalSpy added(window.document(), &SessionDocument::runsAdded);
    window.inspector()->requestRecompute();
    QVERIFY(*accepted);
    QTRY_VERIFY_WITH_TIMEOUT(added.count() > 0, 60000);
    const Run& again = window.document()->session().runs.back();
    QVERIFY(again.id != original.id);
    QVERIFY(again.shellEnergyBatches == original.shellEnergyBatches);  // the same numbers, bit for bit
    QCOMPARE(again.meta.checkpointSha256, original.meta.checkpointSha256);
    QCOMPARE(again.meta.batchesSha256, original.meta.batchesSha256);
    QTRY_VERIFY_WITH_TIMEOUT(!window.jobs()->isBusy(), 30000);
    window.document()->clear();
    QVERIFY(QDir::setCurrent(before));
  }

  void computedRunsLandInTheSessionAndAskBeforeTheyAreLost() {
    MainWindow window;
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));  // window shortcuts need an active window
    QVERIFY(openInWindow(window, fixture_));
    const ComputeSettings settings = testing::smallJob({"builtin:mlp"}, 2, 8);
    QSignalSpy added(window.document(), &SessionDocument::runsAdded);
    window.jobs()->enqueueCompute(settings, "tiny");
    QVERIFY(added.wait(60000));
    QCOMPARE(window.document()->session().runs.size(), size_t(11));
    QVERIFY(window.isWindowModified());
    QCOMPARE(window.sessionTree()->model()->rowCount(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(!window.jobs()->isBusy(), 30000);

    // Save it elsewhere: the file holds the new run, the window is clean again.
    const QString saved = dir_.filePath("with-computed-run.h5");
    QSignalSpy done(window.document(), &SessionDocument::saved);
    window.document()->save(saved);
    QVERIFY(done.wait(30000));
    QVERIFY(!window.isWindowModified());
    QCOMPARE(readSession(saved.toStdString()).runs.size(), size_t(11));

    // Another computed run, then "new session": the prompt appears; Cancel keeps everything,
    // Discard clears.
    window.jobs()->enqueueCompute(settings, "tiny again");
    QVERIFY(added.wait(60000));
    QTRY_VERIFY_WITH_TIMEOUT(!window.jobs()->isBusy(), 30000);
    QVERIFY(window.document()->isModified());
    const auto cancelled = answerNextMessageBox(QMessageBox::Cancel);
    QTest::keyClick(&window, Qt::Key_N, Qt::ControlModifier);
    QVERIFY(*cancelled);
    QCOMPARE(window.document()->session().runs.size(), size_t(12));
    window.activateWindow();  // back from the closed box
    QVERIFY(QTest::qWaitForWindowActive(&window));
    const auto discarded = answerNextMessageBox(QMessageBox::Discard);
    QTest::keyClick(&window, Qt::Key_N, Qt::ControlModifier);
    QVERIFY(*discarded);
    QVERIFY(window.document()->isEmpty());
    QVERIFY(window.currentPage() == nullptr);
  }

  void keyboardSwitchesTabsAndPlays() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(openInWindow(window, fixture_));
    QTest::keyClick(&window, Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentIndex(), 2);
    QTest::keyClick(&window, Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentWidget(), static_cast<QWidget*>(window.animationView()));
    QTest::keyClick(&window, Qt::Key_Space, Qt::ControlModifier);
    QVERIFY(window.animationView()->isPlaying());
    window.animationView()->setFocus();
    QTest::keyClick(window.animationView(), Qt::Key_Space);
    QVERIFY(!window.animationView()->isPlaying());
    const double before = window.animationView()->position();
    QTest::keyClick(window.animationView(), Qt::Key_BracketRight);
    QCOMPARE(window.animationView()->position(), std::floor(before + 1e-9) + 1);
  }

  void largeSessionOpensWithoutStallingTheEventLoop() {
    // Pythia's 154 checkpoints for each of three models.
    const QString path = dir_.filePath("large.h5");
    writeSession(path.toStdString(), testing::fixtureSession(3, 154, 4));
    MainWindow window;
    window.show();
    QElapsedTimer clock;
    int ticks = 0;
    qint64 longestGap = 0;
    QElapsedTimer sinceTick;
    QTimer timer;
    timer.setInterval(10);
    QObject::connect(&timer, &QTimer::timeout, [&] {
      longestGap = std::max(longestGap, sinceTick.restart());
      ++ticks;
    });
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    QSignalSpy analysed(window.document(), &SessionDocument::analysisChanged);
    clock.start();
    sinceTick.start();
    timer.start();
    window.openSession(path);
    const qint64 callMs = clock.elapsed();
    QCOMPARE(opened.count(), 0);  // open() returns at once; the file is read in the background
    QVERIFY(opened.wait(120000));
    const qint64 openMs = clock.elapsed();
    QVERIFY(analysed.wait(300000));
    qInfo("462 runs: open() returned after %lld ms, opened after %lld ms, analysed after %lld ms; "
          "%d timer ticks, longest gap between ticks %lld ms",
          callMs, openMs, clock.elapsed(), ticks, longestGap);
    QVERIFY(ticks > 0);  // the event loop kept running while the file was read and analysed
    QCOMPARE(window.document()->session().runs.size(), size_t(462));
    QCOMPARE(window.sessionTree()->model()->rowCount(), 3);
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"

// Opening a session the GUI did not write: the file is read first by `shellscope-cli info --check`
// in a child process. A good file opens; a file the checker crashes on (a stand-in checker that
// kills itself with SIGSEGV, and an unsealed file whose damaged heap crashes libhdf5 in the real
// one) or lists problems for is refused with the reason, and the open session stays; verdicts are cached by file identity (no second child for an unchanged file, a
// new one after a change), the GUI's own saves are trusted, a newer open abandons a check, a check
// that runs too long is stopped, and without a checker the file is read in-process, saying so.
#include <hdf5.h>

#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <cmath>
#include <limits>

#include "session_fixtures.h"
#include "shellscope/session/session_file.h"
#include "ui/document/session_check.h"
#include "ui/document/session_document.h"
#include "ui/document/verdict_cache.h"
#include "ui/main_window.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

/// How an open ended: opened, or the message of openFailed.
struct Outcome {
  bool opened = false;
  bool failed = false;
  QString message;
};

Outcome openAndWait(SessionDocument& document, const QString& path, int timeoutMs = 60000) {
  QSignalSpy opened(&document, &SessionDocument::opened);
  QSignalSpy failed(&document, &SessionDocument::openFailed);
  document.open(path);
  (void)QTest::qWaitFor([&] { return !opened.isEmpty() || !failed.isEmpty(); }, timeoutMs);
  Outcome outcome;
  outcome.opened = !opened.isEmpty();
  outcome.failed = !failed.isEmpty();
  if (outcome.failed) outcome.message = failed.first().at(1).toString();
  // The analysis that follows an open settles before the test goes on.
  (void)QTest::qWaitFor([&] { return !document.isBusy(); }, timeoutMs);
  return outcome;
}

QString writeScript(const QString& path, const QByteArray& body) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly)) return {};
  file.write("#!/bin/sh\n" + body + "\n");
  file.close();
  file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  return path;
}

/// Changes a sealed session with the HDF5 C API, as another program would, then reseals it.
bool setShellEnergies(const QString& path, const std::string& runId, const std::vector<double>& energy) {
  const hid_t file = H5Fopen(path.toUtf8().constData(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return false;
  const hid_t data = H5Dopen2(file, ("/runs/" + runId + "/shell_energy").c_str(), H5P_DEFAULT);
  const bool ok = data >= 0 && H5Dwrite(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, energy.data()) >= 0;
  if (data >= 0) H5Dclose(data);
  H5Fclose(file);
  resealSession(path.toStdString());  // a deliberate edit: past the checksum, to the meaning checks
  return ok;
}

}  // namespace

class TestSessionCheck : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString good_, other_, checker_;
  int cacheCount_ = 0;
  std::unique_ptr<VerdictCache> cache_;

  /// A document whose checks remember verdicts in this test's own cache file.
  std::unique_ptr<SessionDocument> makeDocument() {
    auto document = std::make_unique<SessionDocument>();
    document->sessionCheck()->setCache(cache_.get());
    analysis::AnalysisOptions quick;  // the analysis after each open is not what is tested here
    quick.bootstrapSamples = 8;
    document->setAnalysisOptions(quick);
    return document;
  }

  QString copyOf(const QString& source, const QString& name) {
    const QString path = dir_.filePath(name);
    QFile::remove(path);
    return QFile::copy(source, path) ? path : QString();
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    good_ = dir_.filePath("good.h5");
    writeSession(good_.toStdString(), testing::fixtureSession());
    other_ = dir_.filePath("other.h5");
    writeSession(other_.toStdString(), testing::fixtureSession(1, 3, 4));
    // The test programs are built beside shellscope-cli, as the GUI is.
    checker_ = SessionCheck::bundledChecker();
    QVERIFY2(!checker_.isEmpty(), qPrintable(QCoreApplication::applicationDirPath() + ": no shellscope-cli here"));
  }

  void init() { cache_ = std::make_unique<VerdictCache>(dir_.filePath(QString("cache-%1.json").arg(++cacheCount_))); }

  void goodSessionPassesAndOpens() {
    auto document = makeDocument();
    QCOMPARE(document->sessionCheck()->checkerProgram(), checker_);
    QSignalSpy verdicts(document->sessionCheck(), &SessionCheck::finished);
    const Outcome outcome = openAndWait(*document, good_);
    QVERIFY2(outcome.opened, qPrintable(outcome.message));
    QCOMPARE(document->session().runs.size(), size_t(10));
    QCOMPARE(document->path(), good_);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 1);
    QCOMPARE(verdicts.size(), 1);
    const auto verdict = verdicts.first().at(1).value<SessionVerdict>();
    QCOMPARE(verdict.kind, SessionVerdict::Kind::Good);
    QVERIFY(!verdict.cached);
  }

  void crashingCheckerMeansCorruptAndTheSessionStays() {
    auto document = makeDocument();
    QVERIFY(openAndWait(*document, good_).opened);
    const std::size_t runs = document->session().runs.size();
    // A checker that dies by SIGSEGV, as the real one would inside a damaged libhdf5 read.
    document->sessionCheck()->setCheckerProgram(writeScript(dir_.filePath("crash.sh"), "kill -SEGV $$"));
    const QString damaged = copyOf(other_, "damaged.h5");
    const Outcome outcome = openAndWait(*document, damaged);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.message.contains(damaged), qPrintable(outcome.message));
    QVERIFY2(outcome.message.contains("the checker crashed reading it (signal 11"), qPrintable(outcome.message));
    QVERIFY2(outcome.message.contains("the file is damaged"), qPrintable(outcome.message));
    QCOMPARE(document->session().runs.size(), runs);  // untouched
    QCOMPARE(document->path(), good_);
    QVERIFY(!document->isModified());
    QCOMPARE(document->sessionCheck()->childrenStarted(), 2);

    // The verdict holds for the unchanged file, with no second child, even with a sound checker.
    document->sessionCheck()->setCheckerProgram(checker_);
    const Outcome again = openAndWait(*document, damaged);
    QVERIFY(again.failed);
    QCOMPARE(again.message, outcome.message);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 2);
  }

  void aFileThatCrashesLibhdf5IsRefusedAndTheSessionStays() {
    // A session without a checksum (as written before checksums) whose global heap claims a 1 TiB
    // string: libhdf5 crashes copying it. Read in this process, it would end the test.
    QFile in(other_);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QByteArray bytes = in.readAll();
    const qsizetype heap = bytes.indexOf("GCOL");
    QVERIFY2(heap > 0, "no global heap collection");
    const quint64 huge = quint64{1} << 40;
    for (int i = 0; i < 8; ++i) bytes[heap + 24 + i] = static_cast<char>((huge >> (8 * i)) & 0xff);  // the first object's size
    bytes.replace(0, 512, QByteArray(512, '\0'));  // no checksum
    const QString damaged = dir_.filePath("unsealed-damaged.h5");
    QFile out(damaged);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(bytes);
    out.close();

    auto document = makeDocument();
    QVERIFY(openAndWait(*document, good_).opened);
    const Outcome outcome = openAndWait(*document, damaged);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.message.startsWith(damaged + ": "), qPrintable(outcome.message));
    if (outcome.message.contains("crashed")) {
      QVERIFY2(outcome.message.contains("the checker crashed reading it (signal "), qPrintable(outcome.message));
    } else {
      qInfo("this libhdf5 refuses the damaged heap without crashing: %s", qPrintable(outcome.message));
    }
    QCOMPARE(document->path(), good_);
    QCOMPARE(document->session().runs.size(), size_t(10));
    QCOMPARE(document->sessionCheck()->childrenStarted(), 2);
  }

  void problemsAreShownAndTheFileRefused() {
    const QString nan = copyOf(good_, "nan-energy.h5");
    const Session session = readSession(nan.toStdString());
    // Shell 2 NaN in one run; every shell +inf in three others: more problems than are shown.
    std::vector<double> energy(session.runs[0].shellEnergy.data(),
                               session.runs[0].shellEnergy.data() + session.runs[0].shellCount());
    energy[2] = std::numeric_limits<double>::quiet_NaN();
    QVERIFY(setShellEnergies(nan, session.runs[0].id, energy));
    for (std::size_t r = 1; r <= 3; ++r) {
      std::vector<double> infinite(static_cast<std::size_t>(session.runs[r].shellCount()), INFINITY);
      QVERIFY(setShellEnergies(nan, session.runs[r].id, infinite));
    }

    auto document = makeDocument();
    QVERIFY(openAndWait(*document, other_).opened);
    const Outcome outcome = openAndWait(*document, nan);
    QVERIFY(outcome.failed);
    // The file once, then the first few problems in the file's order, then how many more.
    const QStringList lines = outcome.message.split('\n');
    QCOMPARE(lines.size(), SessionCheck::kShownProblems + 2);
    QCOMPARE(lines[0], nan + ":");
    QCOMPARE(lines[1], "/runs/" + QString::fromStdString(session.runs[0].id) + ": shell_energy[2] is NaN");
    QCOMPARE(lines[2], "/runs/" + QString::fromStdString(session.runs[1].id) + ": shell_energy[0] is +inf");
    QVERIFY2(lines.last().contains("more: shellscope-cli info --check"), qPrintable(lines.last()));
    QCOMPARE(document->path(), other_);
    QCOMPARE(document->session().runs.size(), size_t(3));
  }

  void cachedVerdictsAreReusedUntilTheFileChanges() {
    const QString file = copyOf(other_, "cached.h5");
    {
      auto document = makeDocument();
      QVERIFY(openAndWait(*document, file).opened);
      QVERIFY(openAndWait(*document, file).opened);
      QCOMPARE(document->sessionCheck()->childrenStarted(), 1);  // in memory
    }
    // Another process (a new cache on the same file): persisted.
    cache_ = std::make_unique<VerdictCache>(cache_->file());
    auto document = makeDocument();
    QVERIFY(openAndWait(*document, file).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 0);

    // A new modification time, same bytes: checked again.
    QFile handle(file);
    QVERIFY(handle.open(QIODevice::ReadWrite));
    QVERIFY(handle.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
    handle.close();
    QVERIFY(openAndWait(*document, file).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 1);
    QVERIFY(openAndWait(*document, file).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 1);

    // Another size (another session written over it by someone else): checked again.
    writeSession(file.toStdString(), testing::fixtureSession(1, 4, 4));
    QVERIFY(openAndWait(*document, file).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 2);
    QCOMPARE(document->session().runs.size(), size_t(4));

    // Bytes appended in place (size only): the stale good verdict is not used.
    QVERIFY(handle.open(QIODevice::Append));
    handle.write("junk");
    handle.close();
    const Outcome outcome = openAndWait(*document, file);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 3);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.message.contains("cached.h5"), qPrintable(outcome.message));
  }

  void ownSavesAreTrusted() {
    auto document = makeDocument();
    QVERIFY(openAndWait(*document, other_).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 1);
    const QString saved = dir_.filePath("saved-by-gui.h5");
    QSignalSpy done(document.get(), &SessionDocument::saved);
    document->save(saved);
    QVERIFY(done.wait(30000));
    auto reopened = makeDocument();  // the same cache: what this process wrote
    QVERIFY(openAndWait(*reopened, saved).opened);
    QCOMPARE(reopened->sessionCheck()->childrenStarted(), 0);
    QCOMPARE(reopened->session().runs.size(), size_t(3));
  }

  void aNewerOpenAbandonsTheCheck() {
    auto document = makeDocument();
    const QString pidFile = dir_.filePath("slow.pid");
    QFile::remove(pidFile);
    document->sessionCheck()->setCheckerProgram(
        writeScript(dir_.filePath("slow.sh"), "echo $$ > '" + pidFile.toUtf8() + "'\nexec sleep 60"));
    QSignalSpy opened(document.get(), &SessionDocument::opened);
    QSignalSpy failed(document.get(), &SessionDocument::openFailed);
    document->open(good_);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) && QFileInfo(pidFile).size() > 0, 10000);
    QFile pidHandle(pidFile);
    QVERIFY(pidHandle.open(QIODevice::ReadOnly));
    const QString proc = "/proc/" + QString::fromUtf8(pidHandle.readAll()).trimmed();
    QVERIFY(QFileInfo::exists(proc));
    QVERIFY(document->isBusy());

    document->sessionCheck()->setCheckerProgram(checker_);
    const Outcome outcome = openAndWait(*document, other_);
    QVERIFY2(outcome.opened, qPrintable(outcome.message));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().at(0).toString(), other_);
    QVERIFY(failed.isEmpty());  // the abandoned check says nothing
    QCOMPARE(document->path(), other_);
    QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(proc), 10000);  // its child was killed
    QVERIFY(!document->isBusy());

    // clear() abandons a check too: nothing is opened after "new session".
    document->sessionCheck()->setCheckerProgram(dir_.filePath("slow.sh"));
    document->open(good_);
    document->clear();
    QVERIFY(!document->isBusy());
    QTest::qWait(200);
    QVERIFY(document->isEmpty());
    QCOMPARE(opened.size(), 1);
    QVERIFY(failed.isEmpty());
  }

  void aCheckThatRunsTooLongIsStopped() {
    auto document = makeDocument();
    QVERIFY(openAndWait(*document, other_).opened);
    document->sessionCheck()->setCheckerProgram(writeScript(dir_.filePath("hang.sh"), "exec sleep 60"));
    document->sessionCheck()->setTimeoutMs(300);
    const Outcome outcome = openAndWait(*document, good_);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.message.contains(good_ + ": the checker had not finished after 0.3 s"), qPrintable(outcome.message));
    QCOMPARE(document->path(), other_);
    // Not remembered: the next open checks again.
    document->sessionCheck()->setCheckerProgram(checker_);
    document->sessionCheck()->setTimeoutMs(0);
    QVERIFY(openAndWait(*document, good_).opened);
    QCOMPARE(document->sessionCheck()->childrenStarted(), 3);
  }

  void checkerFailuresAreNotVerdicts() {
    auto document = makeDocument();
    document->sessionCheck()->setCheckerProgram(writeScript(dir_.filePath("usage.sh"), "echo 'unknown option' >&2; exit 2"));
    const Outcome outcome = openAndWait(*document, good_);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.message.contains("ended with exit status 2"), qPrintable(outcome.message));
    QVERIFY2(outcome.message.contains("unknown option"), qPrintable(outcome.message));
    QVERIFY(document->isEmpty());
    document->sessionCheck()->setCheckerProgram(checker_);
    QVERIFY(openAndWait(*document, good_).opened);  // not cached
  }

  void withoutACheckerTheFileIsReadInProcessSayingSo_data() {
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("reason");
    QTest::newRow("none beside the executable") << QString() << "shellscope-cli was not found beside";
    QTest::newRow("cannot start") << dir_.filePath("no-such-checker") << "could not be started";
  }
  void withoutACheckerTheFileIsReadInProcessSayingSo() {
    QFETCH(QString, program);
    QFETCH(QString, reason);
    auto document = makeDocument();
    document->sessionCheck()->setCheckerProgram(program);
    QSignalSpy skipped(document.get(), &SessionDocument::checkSkipped);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QRegularExpression::escape(reason)));
    QVERIFY(openAndWait(*document, good_).opened);
    QCOMPARE(skipped.size(), 1);
    QVERIFY2(skipped.first().at(1).toString().contains(reason), qPrintable(skipped.first().at(1).toString()));
    QVERIFY(skipped.first().at(1).toString().contains("good.h5"));
    QCOMPARE(document->sessionCheck()->childrenStarted(), program.isEmpty() ? 0 : 1);
  }

  void theWindowReportsACorruptFileAndKeepsItsSession() {
    MainWindow window;
    window.show();
    window.document()->sessionCheck()->setCache(cache_.get());
    analysis::AnalysisOptions quick;
    quick.bootstrapSamples = 8;
    window.document()->setAnalysisOptions(quick);
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    window.openSession(good_);
    QVERIFY(opened.wait(60000));
    QTRY_VERIFY_WITH_TIMEOUT(!window.document()->isBusy(), 60000);
    window.document()->sessionCheck()->setCheckerProgram(writeScript(dir_.filePath("crash.sh"), "kill -SEGV $$"));
    const QString damaged = copyOf(other_, "damaged-in-window.h5");
    QSignalSpy failed(window.document(), &SessionDocument::openFailed);
    window.openSession(damaged);
    QVERIFY(failed.wait(30000));
    QMessageBox* shown = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
      for (QMessageBox* box : window.findChildren<QMessageBox*>()) {
        if (box->isVisible()) shown = box;
      }
      return shown != nullptr;
    }(), 5000);
    QVERIFY2(shown->text().contains("damaged-in-window.h5 could not be opened. The current session is unchanged."),
             qPrintable(shown->text()));
    QVERIFY2(shown->informativeText().contains("the checker crashed reading it (signal 11"), qPrintable(shown->informativeText()));
    QCOMPARE(window.document()->path(), good_);
    QCOMPARE(window.document()->session().runs.size(), size_t(10));
    QVERIFY(window.windowTitle().startsWith("good.h5"));
    shown->close();
  }

  void identitiesAndCacheFilesThatAreNotOurs() {
    const FileIdentity id = fileIdentity(good_);
    QVERIFY(id.exists() && id.regular);
    QCOMPARE(FileIdentity::fromString(id.toString()), id);
    QVERIFY(!FileIdentity::fromString("12:x").exists());
    QVERIFY(!fileIdentity(dir_.filePath("missing.h5")).exists());
    QVERIFY(!fileIdentity(dir_.path()).regular);
    // A damaged cache file is an empty cache, and is replaced on the next store.
    const QString file = dir_.filePath("damaged-cache.json");
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write("{\"format\": 1, \"files\": {\"x\": 7, \"y\": {\"identity\": \"1:2\"}}} trailing");
    out.close();
    VerdictCache cache(file);
    QVERIFY(!cache.find(good_, id));
    cache.trust(good_, id);
    QVERIFY(VerdictCache(file).find(good_, id).has_value());
    QVERIFY(VerdictCache(file).find(good_, id)->good);
    // Directories and missing files are never remembered.
    cache.trust(dir_.path(), fileIdentity(dir_.path()));
    QVERIFY(!VerdictCache(file).find(dir_.path(), fileIdentity(dir_.path())));
  }
};

QTEST_MAIN(TestSessionCheck)
#include "test_session_check.moc"

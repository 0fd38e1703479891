#pragma once
// Whether a session file is safe to parse in the GUI's process, decided in a child process: the
// command-line checker (`shellscope-cli info --check FILE`: the checksum, every run with the
// meaning checks, then /analysis, the same readers an open uses) reads the file first, so a file
// that crashes libhdf5 itself takes down the child, never the GUI and its open session.
//
// Guarantees: check() returns at once, never blocks, and each check() is followed by exactly one
// finished(), on this object's thread and never from inside check(), unless a later check() or
// cancel() abandons it first (its child is killed and nothing more is heard of it). A child that
// dies by a signal or runs past its time (timeoutMsFor()) is a verdict against the file; a child
// that reports problems (exit status 1) gives the first few of them. Lasting verdicts (good,
// problems, crashed) are remembered by file identity (verdict_cache.h), so an unchanged file is
// checked once; timeouts and checker failures are not, and are tried again on the next open.
// Without a checker beside the executable the verdict is Unchecked: the caller may read the file
// in-process but must say so. Children cannot dump core and die with the GUI (PR_SET_PDEATHSIG).

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include "ui/document/verdict_cache.h"

class QProcess;
class QTimer;

namespace shellscope::ui {

struct SessionVerdict {
  enum class Kind {
    Good,           ///< the checker passed it (or it is in the cache as good, or this process wrote it)
    Problems,       ///< the checker listed problems (exit status 1)
    Crashed,        ///< the checker died by a signal reading it
    TimedOut,       ///< the checker ran past its time and was killed
    CheckerFailed,  ///< the checker could not be started or ended unexpectedly (not about the file)
    Unchecked,      ///< no checker beside the executable: nothing was decided
  };
  Kind kind = Kind::Unchecked;
  /// For the user, naming the file: its problems (the first few), how the checker died, or why the
  /// file is unchecked; empty when good.
  QString message;
  int signal = 0;         ///< Crashed: the signal the checker died by
  FileIdentity identity;  ///< the file as it was checked
  bool cached = false;    ///< from the cache: no child ran
  bool mayOpen() const { return kind == Kind::Good || kind == Kind::Unchecked; }
};

class SessionCheck : public QObject {
  Q_OBJECT
 public:
  /// Problems shown in a verdict's message; the rest are counted.
  static constexpr int kShownProblems = 5;

  explicit SessionCheck(QObject* parent = nullptr);
  ~SessionCheck() override;

  /// shellscope-cli beside this executable (QCoreApplication::applicationDirPath()), or empty.
  static QString bundledChecker();
  /// The time a child gets for a file of `bytes`: 60 s, and 1 s more for every 4 MiB.
  static int timeoutMsFor(qint64 bytes);

  /// The program run as `PROGRAM info --check FILE` (tests: a stand-in); empty: no checker.
  void setCheckerProgram(const QString& program) { program_ = program; }
  QString checkerProgram() const { return program_; }
  /// A fixed time for every child instead of timeoutMsFor() (0: back to timeoutMsFor()).
  void setTimeoutMs(int ms) { fixedTimeoutMs_ = ms; }
  /// Where verdicts are remembered (by default VerdictCache::shared()); not owned.
  void setCache(VerdictCache* cache) { cache_ = cache; }
  VerdictCache* cache() const { return cache_; }

  /// Decides on `path` (abandoning a check still running); finished() follows.
  void check(const QString& path);
  /// Abandons the check in progress, if any: its child is killed, no finished() follows.
  void cancel();
  bool isRunning() const { return pending_; }
  /// Children started so far (tests: a cached verdict starts none).
  int childrenStarted() const { return childrenStarted_; }

 Q_SIGNALS:
  void finished(const QString& path, const shellscope::ui::SessionVerdict& verdict);

 private:
  void startChild(const QString& path, const FileIdentity& identity);
  void onChildFinished(QProcess* child, int exitCode, bool crashed);
  void onChildFailedToStart(QProcess* child);
  void onTimeout();
  void finish(const SessionVerdict& verdict);
  void abandonChild();
  void readOutput();

  QString program_;
  int fixedTimeoutMs_ = 0;
  VerdictCache* cache_;
  bool pending_ = false;
  int generation_ = 0;  ///< a verdict queued for an abandoned check is dropped
  QString path_;
  FileIdentity identity_;
  QPointer<QProcess> child_;
  QTimer* timer_;
  int timeoutMs_ = 0;
  QElapsedTimer clock_;
  QByteArray out_, err_;
  qint64 droppedLines_ = 0;  ///< output lines past the kept 64 KiB
  int childrenStarted_ = 0;
};

}  // namespace shellscope::ui

Q_DECLARE_METATYPE(shellscope::ui::SessionVerdict)

#include "ui/document/session_check.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTimer>
#include <algorithm>
#include <cstring>
#include <limits>

namespace shellscope::ui {

namespace {

constexpr int kBaseTimeoutMs = 60000;
constexpr qint64 kBytesPerExtraSecond = qint64{4} << 20;
constexpr qsizetype kKeptOutputBytes = 64 * 1024;  // a file with a million problems prints a lot

/// Appends `chunk` to `kept` up to the cap; counts the lines that did not fit.
void keep(QByteArray& kept, const QByteArray& chunk, qint64& dropped) {
  const qsizetype room = std::max<qsizetype>(0, kKeptOutputBytes - kept.size());
  kept += chunk.left(room);
  if (chunk.size() > room) dropped += chunk.mid(room).count('\n');
}

QStringList lines(const QByteArray& text) {
  QStringList result;
  for (const QString& line : QString::fromUtf8(text).split('\n')) {
    if (!line.trimmed().isEmpty()) result << line.trimmed();
  }
  return result;
}

QString signalName(int number) {
  const char* name = ::strsignal(number);
  return name ? QString::fromLocal8Bit(name) : QString();
}

}  // namespace

SessionCheck::SessionCheck(QObject* parent)
    : QObject(parent), program_(bundledChecker()), cache_(&VerdictCache::shared()), timer_(new QTimer(this)) {
  qRegisterMetaType<SessionVerdict>();
  timer_->setSingleShot(true);
  connect(timer_, &QTimer::timeout, this, &SessionCheck::onTimeout);
}

SessionCheck::~SessionCheck() { abandonChild(); }

QString SessionCheck::bundledChecker() {
  const QString program = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("shellscope-cli"));
  const QFileInfo info(program);
  return info.isFile() && info.isExecutable() ? program : QString();
}

int SessionCheck::timeoutMsFor(qint64 bytes) {
  const qint64 extra = std::max<qint64>(0, bytes) / kBytesPerExtraSecond * 1000;
  return static_cast<int>(std::min<qint64>(kBaseTimeoutMs + extra, std::numeric_limits<int>::max()));
}

void SessionCheck::check(const QString& path) {
  cancel();
  pending_ = true;
  const int generation = ++generation_;
  path_ = QFileInfo(path).absoluteFilePath();
  identity_ = fileIdentity(path_);

  SessionVerdict verdict;
  verdict.identity = identity_;
  bool decided = false;
  if (const auto known = cache_ ? cache_->find(path_, identity_) : std::nullopt) {
    verdict.kind = known->good ? SessionVerdict::Kind::Good : SessionVerdict::Kind::Problems;
    verdict.message = known->message;
    verdict.cached = true;
    decided = true;
  } else if (program_.isEmpty()) {
    verdict.kind = SessionVerdict::Kind::Unchecked;
    verdict.message = tr("shellscope-cli was not found beside %1, so %2 was read without checking it in a separate "
                         "process first (a damaged file could crash the application)")
                          .arg(QDir::toNativeSeparators(QCoreApplication::applicationDirPath()), path_);
    decided = true;
  }
  if (decided) {
    // Never from inside check(): the caller finishes its own bookkeeping first.
    QMetaObject::invokeMethod(
        this,
        [this, generation, verdict] {
          if (generation == generation_ && pending_) finish(verdict);
        },
        Qt::QueuedConnection);
    return;
  }
  startChild(path_, identity_);
}

void SessionCheck::startChild(const QString& path, const FileIdentity& identity) {
  out_.clear();
  err_.clear();
  droppedLines_ = 0;
  auto* child = new QProcess(this);
  child_ = child;
  child->setProgram(program_);
  child->setArguments({QStringLiteral("info"), QStringLiteral("--check"), path});
  child->setStandardInputFile(QProcess::nullDevice());
  // This child is the checker: shellscope-cli is not to check an unsealed file in a child of its
  // own (app/cli/child_check.cpp), so that a crash in libhdf5 is this child's death, seen here.
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  environment.insert(QStringLiteral("SHELLSCOPE_SESSION_CHECKER_CHILD"), QStringLiteral("1"));
  child->setProcessEnvironment(environment);
  child->setChildProcessModifier([] {
    // Only async-signal-safe calls here (between fork and exec).
    const struct rlimit noCore = {0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);  // a crafted file's crash leaves no core file behind
#ifdef Q_OS_LINUX
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a checker never outlives the GUI
#endif
  });
  connect(child, &QProcess::readyReadStandardOutput, this, &SessionCheck::readOutput);
  connect(child, &QProcess::readyReadStandardError, this, &SessionCheck::readOutput);
  connect(child, &QProcess::finished, this, [this, child](int exitCode, QProcess::ExitStatus status) {
    onChildFinished(child, exitCode, status == QProcess::CrashExit);
  });
  connect(child, &QProcess::errorOccurred, this, [this, child](QProcess::ProcessError error) {
    if (error == QProcess::FailedToStart) onChildFailedToStart(child);
  });
  timeoutMs_ = fixedTimeoutMs_ > 0 ? fixedTimeoutMs_ : timeoutMsFor(identity.size);
  ++childrenStarted_;
  clock_.start();
  timer_->start(timeoutMs_);
  child->start();
}

void SessionCheck::readOutput() {
  if (!child_) return;
  keep(out_, child_->readAllStandardOutput(), droppedLines_);
  keep(err_, child_->readAllStandardError(), droppedLines_);
}

void SessionCheck::onChildFinished(QProcess* child, int exitCode, bool crashed) {
  if (child != child_) return;
  readOutput();
  timer_->stop();
  child_ = nullptr;
  child->deleteLater();
  SessionVerdict verdict;
  verdict.identity = identity_;
  const QString file = path_;
  if (crashed) {
    // QProcess gives the signal's number as the exit code of a child that crashed.
    verdict.kind = SessionVerdict::Kind::Crashed;
    verdict.signal = exitCode;
    if (exitCode == SIGKILL) {
      verdict.message = tr("%1: the checker was killed reading it (signal 9: out of memory, or stopped from outside); "
                           "the file was not opened")
                            .arg(file);
    } else {
      verdict.message = tr("%1: the checker crashed reading it (signal %2, %3): the file is damaged")
                            .arg(file)
                            .arg(exitCode)
                            .arg(signalName(exitCode));
    }
  } else if (exitCode == 0) {
    verdict.kind = SessionVerdict::Kind::Good;
  } else if (exitCode == 1) {
    // Problems, one a line on standard output; an error that stopped the checker on standard error.
    QStringList problems = lines(out_);
    if (problems.isEmpty()) {
      for (QString line : lines(err_)) {
        const QString prefix = QStringLiteral("shellscope-cli info: error: ");
        if (line.startsWith(prefix)) line.remove(0, prefix.size());
        problems << line;
      }
    }
    if (problems.isEmpty()) problems << tr("%1: the checker found problems but did not name them").arg(file);
    const qint64 total = problems.size() + droppedLines_;
    verdict.kind = SessionVerdict::Kind::Problems;
    QStringList shown = problems.mid(0, kShownProblems);
    if (shown.size() > 1) {
      // Several problems of the file: its name once, above them, rather than on every line.
      const QString prefix = file + QStringLiteral(": ");
      for (QString& line : shown) {
        if (line.startsWith(prefix)) line.remove(0, prefix.size());
      }
      shown.prepend(file + ':');
    }
    verdict.message = shown.join('\n');
    if (total > kShownProblems) {
      verdict.message += '\n' + tr("… and %1 more: shellscope-cli info --check %2 lists them all")
                                    .arg(total - kShownProblems)
                                    .arg(file);
    }
  } else {
    verdict.kind = SessionVerdict::Kind::CheckerFailed;
    QStringList said = lines(err_) + lines(out_);
    verdict.message = tr("%1: the checker (%2) ended with exit status %3 instead of a verdict; the file was not opened")
                          .arg(file, program_)
                          .arg(exitCode);
    if (!said.isEmpty()) verdict.message += '\n' + said.mid(0, kShownProblems).join('\n');
  }
  finish(verdict);
}

void SessionCheck::onChildFailedToStart(QProcess* child) {
  if (child != child_) return;
  timer_->stop();
  SessionVerdict verdict;
  verdict.identity = identity_;
  verdict.kind = SessionVerdict::Kind::Unchecked;
  verdict.message = tr("the checker %1 could not be started (%2), so %3 was read without checking it in a separate "
                       "process first (a damaged file could crash the application)")
                        .arg(program_, child->errorString(), path_);
  child_ = nullptr;
  child->deleteLater();
  // QProcess may report this from inside start(), hence inside check(): finish from the event loop.
  const int generation = generation_;
  QMetaObject::invokeMethod(
      this,
      [this, generation, verdict] {
        if (generation == generation_ && pending_) finish(verdict);
      },
      Qt::QueuedConnection);
}

void SessionCheck::onTimeout() {
  if (!child_) return;
  abandonChild();
  SessionVerdict verdict;
  verdict.identity = identity_;
  verdict.kind = SessionVerdict::Kind::TimedOut;
  verdict.message = tr("%1: the checker had not finished after %2 s and was stopped: the file may be damaged "
                       "(it was not opened; opening it again checks it again)")
                        .arg(path_)
                        .arg(timeoutMs_ / 1000.0, 0, 'g', 3);
  finish(verdict);
}

void SessionCheck::finish(const SessionVerdict& verdict) {
  pending_ = false;
  if (cache_ && !verdict.cached) {
    const bool lasting = verdict.kind == SessionVerdict::Kind::Good || verdict.kind == SessionVerdict::Kind::Problems ||
                         (verdict.kind == SessionVerdict::Kind::Crashed && verdict.signal != SIGKILL);
    if (lasting) {
      // Only when the file is still the one checked: it may have been replaced while the child read it.
      if (fileIdentity(path_) == verdict.identity) {
        cache_->store(path_, verdict.identity, CachedVerdict{verdict.kind == SessionVerdict::Kind::Good, verdict.message});
      }
    }
  }
  Q_EMIT finished(path_, verdict);
}

void SessionCheck::cancel() {
  if (!pending_) return;
  pending_ = false;
  ++generation_;  // drops a queued cached verdict
  abandonChild();
}

void SessionCheck::abandonChild() {
  timer_->stop();
  QProcess* child = child_;
  child_ = nullptr;
  if (!child) return;
  disconnect(child, nullptr, this, nullptr);
  if (child->state() == QProcess::NotRunning) {
    child->deleteLater();
    return;
  }
  // Reaped when it has gone, without waiting for it here.
  connect(child, &QProcess::finished, child, &QObject::deleteLater);
  child->kill();
}

}  // namespace shellscope::ui

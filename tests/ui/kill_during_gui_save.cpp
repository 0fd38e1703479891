// kill -9 at random moments of the GUI's save: the session file is always the old one or the new
// one, never a damaged one, it opens (`shellscope-cli info --check` passes) and no run is lost.
//
// The GUI saves through SessionDocument::save (File > Save and Save As call it with the path), on
// its background pool. Each trial is a process doing what the GUI does: open SOURCE (through the
// child-process check and its verdict cache), then save over TARGET, which holds an older session
// with a subset of SOURCE's runs. Starting the application costs ~0.5 s here (most of it
// LibTorch), so this program loads once and forks a fresh child per trial while no Qt object and
// no thread of ours exists in the parent (OpenBLAS's idle worker is re-created after a fork); the
// child builds its QCoreApplication and document, tells the parent on a pipe the moment it calls
// save(), and is killed with SIGKILL after a delay drawn uniformly over 1.25 times the median
// duration of five untimed saves, so kills land in the write, the seal, the fsyncs and the renames,
// and a few after the save.
//
// usage: kill_during_gui_save PATH/TO/shellscope-cli [TRIALS] [SEED]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QObject>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "session_fixtures.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/base/tuned_runtime.h"
#include "shellscope/session/session_file.h"
#include "ui/document/session_document.h"

namespace fs = std::filesystem;
using namespace shellscope;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::cout << "FAIL: " << message << std::endl;
  std::exit(1);
}

std::string bytesOf(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> runIds(const Session& session) {
  std::set<std::string> ids;
  for (const Run& run : session.runs) ids.insert(run.id);
  return ids;
}

/// The names of this process's threads.
std::vector<std::string> threadNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator("/proc/self/task")) {
    std::string name;
    std::getline(std::ifstream(entry.path() / "comm"), name);
    names.push_back(name);
  }
  return names;
}

/// The trial's child: the GUI's document opens `source`, then saves it to `target`. Lines to the
/// parent: "saving CHILDREN" when save() is called (CHILDREN: checker processes it started),
/// "saved" when the document reports it, "failed MESSAGE" otherwise. Never returns.
[[noreturn]] void saveAsTheGuiDoes(int argc, char** argv, const std::string& cli, const std::string& source,
                                   const std::string& target, bool settle, int pipe) {
  auto say = [pipe](const std::string& line) {
    const std::string text = line + "\n";
    if (::write(pipe, text.data(), text.size()) < 0) ::_exit(4);
  };
  {
    QCoreApplication app(argc, argv);
    ui::SessionDocument document;
    document.sessionCheck()->setCheckerProgram(QString::fromStdString(cli));
    analysis::AnalysisOptions quick;  // a saved analysis either way; a short one keeps trials short
    quick.bootstrapSamples = 8;
    document.setAnalysisOptions(quick);
    bool saving = false;
    auto saveWhenSettled = [&] {
      if (saving || (settle && document.isBusy()) || document.isEmpty()) return;
      saving = true;
      say("saving " + std::to_string(document.sessionCheck()->childrenStarted()));
      document.save(QString::fromStdString(target));
    };
    // Settled: once the analysis that starts right after opened() has finished (the file then holds
    // it). Otherwise at once: the session read holds its stored analysis, which is what is saved,
    // while the analysis refresh runs beside the save.
    QObject::connect(&document, &ui::SessionDocument::opened, &app, [&] {
      if (settle) {
        QMetaObject::invokeMethod(&app, saveWhenSettled, Qt::QueuedConnection);
      } else {
        saveWhenSettled();
      }
    });
    QObject::connect(&document, &ui::SessionDocument::busyChanged, &app, [&](bool busy) {
      if (!busy) saveWhenSettled();
    });
    QObject::connect(&document, &ui::SessionDocument::openFailed, &app, [&](const QString&, const QString& m) {
      say("failed open: " + m.toStdString());
      ::_exit(3);
    });
    QObject::connect(&document, &ui::SessionDocument::saveFailed, &app, [&](const QString&, const QString& m) {
      say("failed save: " + m.toStdString());
      ::_exit(3);
    });
    QObject::connect(&document, &ui::SessionDocument::saved, &app, [&] {
      say("saved");
      ::_exit(0);  // nothing of the parent's state is torn down in the child
    });
    document.open(QString::fromStdString(source));
    app.exec();
  }
  ::_exit(5);
}

/// Reads lines from the child until one starts with `prefix` (or the child closes the pipe).
bool waitForLine(FILE* in, const std::string& prefix, std::string* line) {
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, in)) {
    *line = buffer;
    if (line->rfind(prefix, 0) == 0) return true;
    if (line->rfind("failed", 0) == 0) return false;
  }
  line->clear();
  return false;
}

/// What `path` holds: "old", "new", or fail() naming what is wrong. Checked in this process with
/// the checker's own code (every run with the meaning checks, then /analysis: `info --check`), and
/// each new content once more by the real `shellscope-cli info --check`.
std::string verify(const fs::path& path, const std::string& oldBytes, const std::set<std::string>& oldIds,
                   const std::set<std::string>& newIds, std::set<std::string>& checkedByCli, const std::string& cli,
                   int trial) {
  const std::string bytes = bytesOf(path);
  if (bytes == oldBytes) return "old";
  const std::string where = "trial " + std::to_string(trial) + ": ";
  const std::vector<std::string> problems = checkSessionFile(path.string());
  if (!problems.empty()) fail(where + "the session is damaged: " + problems.front());
  Session session;
  try {
    session = readSession(path.string());
    analysis::readAnalysis(path.string(), session);
  } catch (const std::exception& e) {
    fail(where + "the session does not open: " + e.what());
  }
  const std::set<std::string> ids = runIds(session);
  for (const std::string& id : oldIds) {
    if (!ids.count(id)) fail(where + "run " + id + " was lost");
  }
  if (ids != newIds) fail(where + "neither the old runs nor the new ones (" + std::to_string(ids.size()) + " runs)");
  if (!checkedByCli.count(bytes)) {
    const fs::path out = path.parent_path() / "check.out";
    const std::string command = "'" + cli + "' info --check '" + path.string() + "' >'" + out.string() + "' 2>&1";
    if (std::system(command.c_str()) != 0) fail(where + "shellscope-cli info --check: " + bytesOf(out));
    checkedByCli.insert(bytes);
  }
  return "new";
}

}  // namespace

int main(int argc, char** argv) {
  // As the GUI starts; the checker children and the info --check runs then inherit the settings
  // and need no re-execution of their own.
  reexecWithTunedRuntime(argc, argv);
  if (argc < 2) {
    std::cerr << "usage: kill_during_gui_save PATH/TO/shellscope-cli [TRIALS] [SEED]\n";
    return 2;
  }
  const std::string cli = argv[1];
  const int trials = argc > 2 ? std::atoi(argv[2]) : 100;
  const unsigned seed = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 20261201u;
  char pattern[] = "/tmp/kill_during_gui_save-XXXXXX";
  if (!::mkdtemp(pattern)) fail("no temporary folder");
  const fs::path work(pattern);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{work};
  ::setenv("XDG_CACHE_HOME", (work / "cache").c_str(), 1);  // the verdict cache of these "GUIs"
  ::setenv("QT_QPA_PLATFORM", "offscreen", 0);

  // PLAIN: two models' runs, no analysis yet; OLD: the first model's runs only (an older session),
  // copied over TARGET before every save.
  const fs::path plain = work / "plain.h5", source = work / "source.h5", old = work / "old.h5",
                 target = work / "session.h5";
  writeSession(plain.string(), testing::fixtureSession(2, 5, 16));
  const Session written = readSession(plain.string());
  Session subset;
  for (const Run& run : written.runs) {
    if (run.meta.modelName == written.runs.front().meta.modelName) subset.runs.push_back(run);
  }
  writeSession(old.string(), subset);
  const std::string oldBytes = bytesOf(old);
  const std::set<std::string> oldIds = runIds(subset), newIds = runIds(written);
  std::set<std::string> checkedByCli;
  {
    const std::string command = "'" + cli + "' info --check '" + old.string() + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) fail("the old session does not pass info --check");
  }
  // Fork copies only the calling thread. LibTorch's OpenBLAS starts its worker thread when loaded
  // (it re-creates it after a fork); nothing else may run here.
  std::string mainName;
  std::getline(std::ifstream("/proc/self/comm"), mainName);
  for (const std::string& name : threadNames()) {
    if (name != mainName) fail("a thread '" + name + "' runs in the parent: forking is not safe");
  }

  int checkerChildren = 0, opens = 0;
  /// One save by a fresh child: killed `killAfterMs` after it calls save(), or waited for (< 0).
  /// Returns the save's duration when waited for, and whether the child was killed.
  struct Trial {
    double saveMs = 0;
    bool killed = false;
  };
  auto runTrial = [&](const fs::path& from, bool settle, double killAfterMs, int number) {
    fs::copy_file(old, target, fs::copy_options::overwrite_existing);
    int fds[2];
    if (::pipe(fds) != 0) fail("pipe");
    std::cout.flush();
    const pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
      ::close(fds[0]);
      saveAsTheGuiDoes(argc, argv, cli, from.string(), target.string(), settle, fds[1]);
    }
    ::close(fds[1]);
    FILE* in = ::fdopen(fds[0], "r");
    std::string line;
    const std::string where = "trial " + std::to_string(number) + ": ";
    if (!waitForLine(in, "saving", &line)) fail(where + "the child did not save: " + line);
    const auto saving = Clock::now();
    ++opens;
    checkerChildren += std::atoi(line.c_str() + std::strlen("saving "));
    Trial trial;
    if (killAfterMs < 0) {
      if (!waitForLine(in, "saved", &line)) fail(where + "the save failed: " + line);
      trial.saveMs = std::chrono::duration<double, std::milli>(Clock::now() - saving).count();
    } else {
      std::this_thread::sleep_until(saving + std::chrono::duration<double, std::milli>(killAfterMs));
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::fclose(in);
    trial.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (!trial.killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      fail(where + "the child ended with status " + std::to_string(status));
    }
    return trial;
  };

  // The GUI's first save of PLAIN, once its analysis has settled, is the session the trials open
  // (its stored analysis is what they save); then three untimed saves give the save's duration.
  const auto begin = Clock::now();
  runTrial(plain, true, -1, 0);
  if (verify(target, oldBytes, oldIds, newIds, checkedByCli, cli, 0) != "new") fail("the first save did not replace the file");
  fs::copy_file(target, source, fs::copy_options::overwrite_existing);
  std::vector<double> durations;
  for (int i = 0; i < 5; ++i) {
    durations.push_back(runTrial(source, false, -1, 0).saveMs);
    if (verify(target, oldBytes, oldIds, newIds, checkedByCli, cli, 0) != "new") fail("an untimed save did not replace the file");
  }
  std::sort(durations.begin(), durations.end());
  const double saveMs = durations[durations.size() / 2];  // the median: one slow save under load would stretch the spread

  std::mt19937 random(seed);
  const double spreadMs = 1.25 * saveMs;
  int killed = 0, finished = 0, oldSeen = 0, newSeen = 0, leftovers = 0;
  double lastOldMs = 0, firstNewMs = spreadMs;
  for (int number = 1; number <= trials; ++number) {
    const double delayMs = std::uniform_real_distribution<double>(0.0, spreadMs)(random);
    (runTrial(source, false, delayMs, number).killed ? killed : finished) += 1;
    const std::string outcome = verify(target, oldBytes, oldIds, newIds, checkedByCli, cli, number);
    if (outcome == "old") {
      ++oldSeen;
      lastOldMs = std::max(lastOldMs, delayMs);
    } else {
      ++newSeen;
      firstNewMs = std::min(firstNewMs, delayMs);
    }
    // A killed save leaves its staging files beside the target (nothing removes them on SIGKILL):
    // ".session.h5.staging-PID" and "..session.h5.staging-PID.tmp-PID-N".
    for (const auto& entry : fs::directory_iterator(work)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(".session.h5.", 0) == 0 || name.rfind("..session.h5.", 0) == 0) {
        ++leftovers;
        fs::remove(entry.path());
      }
    }
  }
  const double totalS = std::chrono::duration<double>(Clock::now() - begin).count();
  std::cout << trials << " trials (seed " << seed << "): the GUI's save of " << newIds.size() << " runs over " << oldIds.size()
            << " takes " << saveMs << " ms here (median of 5, " << durations.front() << "-" << durations.back()
            << "); killed 0-" << spreadMs << " ms after save(): " << killed << " killed, " << finished
            << " finished first; the file was the old session " << oldSeen << " times (killed up to " << lastOldMs
            << " ms) and the new one " << newSeen << " times (from " << firstNewMs
            << " ms), and opened and checked clean after every one ("
            << checkedByCli.size() << " distinct new files passed shellscope-cli info --check); " << leftovers
            << " temporary files left by killed saves; " << checkerChildren << " checker process(es) for " << opens
            << " opens (the verdict cache); " << totalS << " s in all" << std::endl;
  if (killed < trials / 4) fail("fewer than a quarter of the trials were killed mid-save");
  std::cout << "PASS" << std::endl;
  return 0;
}

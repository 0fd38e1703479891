#include "cli/child_check.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "shellscope/session/session_file.h"

extern char** environ;

namespace shellscope::cli {

namespace {

constexpr const char* kChildVariable = "SHELLSCOPE_SESSION_CHECKER_CHILD";

/// Generous: a sound file of a few hundred MB checks in seconds; a loop in a damaged one never ends.
double timeLimitSeconds(const std::string& path) {
  struct stat status {};
  const double megabytes = ::stat(path.c_str(), &status) == 0 ? static_cast<double>(status.st_size) / 1e6 : 0.0;
  return 60.0 + megabytes;  // a second per MB beyond the first minute
}

}  // namespace

void checkSessionInChild(const std::string& path) {
  // The checker's environment: ours, plus the variable that keeps it from checking in a child.
  std::vector<std::string> variables{std::string(kChildVariable) + "=1"};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, kChildVariable, std::strlen(kChildVariable)) != 0) variables.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string program = "/proc/self/exe", command = "info", flag = "--check", file = path;
  char* argv[] = {program.data(), command.data(), flag.data(), file.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  const int spawned = posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw SessionFileError(path, std::string("cannot start the checker process: ") + std::strerror(spawned) +
                                     " (files without a checksum are checked in a child first)");
  }
  const double limit = timeLimitSeconds(path);
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) throw SessionFileError(path, "lost the checker process");
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      throw SessionFileError(path, "checking the file did not finish in " + std::to_string(static_cast<int>(limit)) +
                                       " s: it is damaged (the file has no checksum; the HDF5 library loops on it)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    throw SessionFileError(path, "the HDF5 library crashed reading it (signal " + std::to_string(signal) + ", " +
                                     strsignal(signal) + ", in a checker process): the file is damaged");
  }
}

void checkUnsealedSessionsInChild() {
  if (std::getenv(kChildVariable)) return;
  setUnsealedSessionCheck(checkSessionInChild);
}

}  // namespace shellscope::cli

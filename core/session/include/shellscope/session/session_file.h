#pragma once
// The HDF5 session file, format version 1 (docs/session-format.md).
//
// Saving is atomic: the new content is written to a temporary file beside the target, flushed to
// disk and renamed over it, so a crash or cancel leaves either the old file or the new one.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "shellscope/session/session.h"

namespace shellscope {

inline constexpr const char* kSessionFormat = "shellscope-session";
inline constexpr int kSessionFormatVersion = 1;

/// A session file that cannot be read or written; what() names the file and the problem.
class SessionFileError : public std::runtime_error {
 public:
  SessionFileError(const std::string& path, const std::string& problem);
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

/// Reads and validates every run of a session file: shapes, and what the values mean
/// (spectral/run_checks.h); the first problem of a run is an error naming the file and the run.
Session readSession(const std::string& path);

/// Accepts a deliberate change by another program (h5py, h5edit): the checksum is rewritten to
/// match the file as it is now (readSession then checks everything else). Sessions are sealed with a checksum on every save
/// and it is verified before the HDF5 library parses them (a mismatch is "the file changed
/// after it was written").
void resealSession(const std::string& path);

/// Runs before the HDF5 library parses a session file that carries no checksum (older sessions,
/// files written by other programs), once per version of the file and process; throwing refuses
/// the file. libhdf5 is not hardened against damaged files, so a program that must survive them
/// checks such a file in a child process first (shellscope-cli does: app/cli/child_check.cpp; the
/// GUI checks every file it did not write itself). Sealed files need none: their checksum is
/// verified before anything is parsed. Set once at start-up; an empty function removes the check.
using UnsealedSessionCheck = std::function<void(const std::string& path)>;
void setUnsealedSessionCheck(UnsealedSessionCheck check);

/// Every problem of the file ("<path>: /runs/<id>: shell_energy[4] is NaN", ...), or the one
/// structural error that stops reading it; empty for a sound session (`info --check`).
std::vector<std::string> checkSessionFile(const std::string& path);

/// Called after the temporary file is complete and before it replaces the target (tests use it
/// to simulate a crash in between).
using BeforeCommitHook = std::function<void(const std::string& temporaryPath)>;

/// Writes the whole session, replacing `path` atomically.
void writeSession(const std::string& path, const Session& session, const BeforeCommitHook& hook = {});

/// Adds runs to the session at `path` (created when missing), keeping everything else the file
/// holds, atomically. Returns the ids given to the new runs.
std::vector<std::string> appendRuns(const std::string& path, std::vector<Run> runs,
                                    const BeforeCommitHook& hook = {});

/// Stores training logs in the session at `path` (created when missing), replacing logs of the
/// same models and keeping everything else, atomically.
void writeTrainingLogs(const std::string& path, const std::vector<TrainingLog>& logs,
                       const BeforeCommitHook& hook = {});

}  // namespace shellscope

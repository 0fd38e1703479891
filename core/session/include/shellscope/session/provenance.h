#pragma once
// Finding a run's inputs again: the checkpoint and the token data a run was computed from, looked
// up from wherever the session is opened, and checked against the fingerprints the run recorded.
// Candidates, in order: the absolute path, the path relative to the session file, the path as
// given (relative to the working directory), and that path relative to the session file's folder.
// Sessions written before the provenance attributes existed have only the paths as given.

#include <string>

#include "shellscope/spectral/run.h"

namespace shellscope {

enum class InputState {
  BuiltIn,      ///< a built-in model or its synthetic data: nothing on disk
  Unchanged,    ///< found, and its fingerprint is the recorded one
  Unverified,   ///< found, but the run recorded no fingerprint (older session, or a file above 1 GiB)
  Changed,      ///< found, but its contents differ from the recorded fingerprint
  Missing,      ///< none of the candidates exists
  NotRecorded,  ///< the run does not say where it was (data of sessions older than the provenance attributes)
};

struct InputCheck {
  InputState state = InputState::NotRecorded;
  std::string path;     ///< the candidate found (empty unless found)
  std::string message;  ///< one line for people
};

struct RunInputs {
  InputCheck checkpoint, data;
};

/// Looks for the run's inputs from the session file `sessionPath` (fingerprints files it finds:
/// cached, so only changed files are read).
RunInputs checkRunInputs(const RunMetadata& meta, const std::string& sessionPath);

std::string toString(InputState state);

}  // namespace shellscope

#pragma once
// Sessions without a checksum (older ones, files written by h5py or another program) are parsed
// by libhdf5 with no integrity check in front of it, and libhdf5 crashes on some damaged files.
// shellscope-cli therefore checks such a file in a child process first: this program itself,
// re-run as `info --check FILE`. A child that dies by a signal or hangs means the file is damaged,
// and the command stops with that message instead of crashing. Sealed files (every file this
// build writes) are verified by their checksum instead and never pay for a child.
// Tested in tests/app/cli_end_to_end.sh (an unsealed file whose checker crashes).

#include <string>

namespace shellscope::cli {

/// Installs the check (setUnsealedSessionCheck); a no-op inside the checker child itself.
void checkUnsealedSessionsInChild();

/// Runs `/proc/self/exe info --check path` and throws SessionFileError naming `path` when the
/// child is killed by a signal or runs past its time limit. A child that exits normally (with
/// or without problems) returns: the caller's own reading then reports those problems.
void checkSessionInChild(const std::string& path);

}  // namespace shellscope::cli

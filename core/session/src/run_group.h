#pragma once
// One run as a group of a session file (/runs/<id>; docs/session-format.md), for the writers in
// this library that build files of their own out of runs (the campaign's partial sessions).

#include <H5Cpp.h>

#include <filesystem>
#include <string>

#include "shellscope/spectral/run.h"

namespace shellscope {

/// Writes `run` as the group runs/<run.id>; relative paths are derived against `sessionFolder`.
void writeRun(H5::Group& runs, const Run& run, const std::filesystem::path& sessionFolder);
/// Reads /runs/<id>; `checkMeaning`: also the meaning checks (run_checks.h), the first problem an error.
Run readRun(const std::string& filePath, H5::Group group, const std::string& id, bool checkMeaning);

}  // namespace shellscope

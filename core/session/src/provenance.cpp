#include "shellscope/session/provenance.h"

#include <filesystem>
#include <functional>

#include "shellscope/base/file_digest.h"
#include "shellscope/data/checkpoint_series.h"

namespace shellscope {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> candidates(const std::string& absolute, const std::string& relative, const std::string& given,
                                    const std::string& sessionPath) {
  const fs::path folder = fs::absolute(sessionPath).lexically_normal().parent_path();
  std::vector<std::string> list;
  if (!absolute.empty()) list.push_back(absolute);
  if (!relative.empty()) list.push_back((folder / relative).lexically_normal().string());
  if (!given.empty()) {
    list.push_back(given);
    if (fs::path(given).is_relative()) list.push_back((folder / given).lexically_normal().string());
  }
  return list;
}

/// The files of token data at `path` in `format` (what the run fingerprinted).
std::vector<std::string> dataFiles(const std::string& path, const std::string& format) {
  if (format.rfind("MMIDIDX", 0) == 0) return {path + ".bin", path + ".idx"};
  return {path};
}

bool dataExists(const std::string& path, const std::string& format) {
  for (const std::string& file : dataFiles(path, format)) {
    if (!fs::is_regular_file(file)) return false;
  }
  return true;
}

InputCheck verdict(const std::string& found, const std::string& recordedDigest,
                   const std::function<std::string()>& currentDigest) {
  InputCheck c;
  c.path = found;
  if (recordedDigest.empty()) {
    c.state = InputState::Unverified;
    c.message = found + " (found; the run recorded no fingerprint to compare)";
    return c;
  }
  try {
    const bool same = currentDigest() == recordedDigest;
    c.state = same ? InputState::Unchanged : InputState::Changed;
    c.message = found + (same ? " (found, unchanged)" : " (found, but its contents changed since the run)");
  } catch (const std::exception& e) {
    c.state = InputState::Changed;
    c.message = found + " (found, but cannot be read: " + e.what() + ")";
  }
  return c;
}

}  // namespace

std::string toString(InputState state) {
  switch (state) {
    case InputState::BuiltIn: return "built in";
    case InputState::Unchanged: return "unchanged";
    case InputState::Unverified: return "found, not verified";
    case InputState::Changed: return "changed";
    case InputState::Missing: return "missing";
    case InputState::NotRecorded: return "not recorded";
  }
  return "unknown";
}

RunInputs checkRunInputs(const RunMetadata& meta, const std::string& sessionPath) {
  RunInputs inputs;
  // The checkpoint.
  if (meta.checkpoint.rfind("builtin:", 0) == 0) {
    inputs.checkpoint.state = InputState::BuiltIn;
    inputs.checkpoint.message = meta.checkpoint + " (built in)";
  } else {
    inputs.checkpoint.state = InputState::Missing;
    inputs.checkpoint.message = meta.checkpoint + " (not found)";
    for (const std::string& c : candidates(meta.checkpointAbsolute, meta.checkpointRelative, meta.checkpoint, sessionPath)) {
      if (!isCheckpointFolder(c)) continue;
      inputs.checkpoint = verdict(c, meta.checkpointSha256, [&] { return filesDigest(checkpointFileList(locateCheckpoint(c))); });
      break;
    }
  }
  // The token data.
  if (meta.dataFormat == "builtin" || (meta.dataPath.empty() && meta.dataSource.rfind("builtin:", 0) == 0)) {
    inputs.data.state = InputState::BuiltIn;
    inputs.data.message = meta.dataSource + " (built in)";
  } else if (meta.dataPath.empty()) {
    inputs.data.state = InputState::NotRecorded;
    inputs.data.message = meta.dataSource + " (as stored; this session predates recorded data paths)";
  } else {
    inputs.data.state = InputState::Missing;
    inputs.data.message = meta.dataPath + " (not found)";
    for (const std::string& c : candidates(meta.dataAbsolute, meta.dataRelative, meta.dataPath, sessionPath)) {
      if (!dataExists(c, meta.dataFormat)) continue;
      inputs.data = verdict(c, meta.dataSha256, [&] { return filesDigest(dataFiles(c, meta.dataFormat)); });
      break;
    }
  }
  return inputs;
}

}  // namespace shellscope

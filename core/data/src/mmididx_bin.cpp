// The bytes of an MMIDIDX .bin, whole or in Pythia's shards (mmididx_bin.h).
#include "mmididx_bin.h"

#include <glob.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>

#include "shellscope/base/file_error.h"

namespace shellscope {

namespace fs = std::filesystem;

namespace {

/// "<prefix>-NNNNN-of-MMMMM.bin" (5 digits each, as EleutherAI names them).
const std::regex kShardName(R"((.*)-([0-9]{5})-of-([0-9]{5})\.bin)");

std::string shardName(const std::string& prefix, int index, int last) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.bin", index, last);
  return prefix + suffix;
}

bool isGlob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> expandGlob(const std::string& pattern) {
  glob_t found{};
  std::vector<std::string> paths;
  if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) paths.emplace_back(found.gl_pathv[i]);
  }
  ::globfree(&found);
  return paths;
}

/// The shard count's last index N of the shards of `prefix` found in its folder (or by `given`'s
/// glob); -1 when there are none. Shards of differing counts are an error.
int lastShardIndex(const std::string& prefix, const std::string& given) {
  std::vector<std::string> candidates;
  if (isGlob(given)) {
    candidates = expandGlob(given);
  } else {
    const fs::path folder = fs::path(prefix).parent_path().empty() ? fs::path(".") : fs::path(prefix).parent_path();
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
      candidates.push_back((fs::path(prefix).parent_path() / entry.path().filename()).string());
    }
  }
  std::set<int> counts;
  for (const std::string& path : candidates) {
    std::smatch m;
    if (std::regex_match(path, m, kShardName) && m[1].str() == prefix) counts.insert(std::stoi(m[3].str()));
  }
  if (counts.size() > 1) {
    throw FileFormatError(shardName(prefix, 0, *counts.rbegin()),
                          "shards of " + prefix + " disagree on their count (-of-" + std::to_string(*counts.begin()) +
                              " and -of-" + std::to_string(*counts.rbegin()) + ")");
  }
  return counts.empty() ? -1 : *counts.begin();
}

}  // namespace

std::string MmidIdxBin::shardPrefix(const std::string& path) {
  if (isGlob(path)) {
    // "dir/document-*.bin": the prefix is what precedes the dash before the first wildcard.
    const std::size_t dash = path.rfind('-', path.find_first_of("*?["));
    const bool bin = path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
    return bin && dash != std::string::npos ? path.substr(0, dash) : "";
  }
  std::smatch m;
  return std::regex_match(path, m, kShardName) ? m[1].str() : "";
}

MmidIdxBin MmidIdxBin::open(const std::string& prefix, const std::string& given) {
  MmidIdxBin bin;
  const bool namesShards = !shardPrefix(given).empty();
  if (!namesShards && fs::exists(prefix + ".bin")) {
    bin.files_.push_back(MappedFile::open(prefix + ".bin"));
    bin.starts_.push_back(0);
    bin.total_ = bin.files_.back()->size();
    return bin;
  }
  const int last = lastShardIndex(prefix, given);
  if (last < 0 && isGlob(given)) throw FileFormatError(given, "matches no shards " + shardName(prefix, 0, 20) + " ...");
  if (last < 0) {
    throw FileFormatError(prefix + ".bin", "missing (an MMIDIDX dataset is a .bin and .idx pair), and no shards " +
                                           shardName(prefix, 0, 20) + " ... either");
  }
  bin.shardedNames_ = true;
  for (int i = 0; i <= last; ++i) {
    const std::string path = shardName(prefix, i, last);
    if (!fs::exists(path)) {
      throw FileFormatError(path, "missing: shard " + std::to_string(i) + " of the " + std::to_string(last + 1) +
                                      " shards of " + prefix + " (" + prefix + ".idx indexes them all)");
    }
    bin.files_.push_back(MappedFile::open(path));
    bin.starts_.push_back(bin.total_);
    bin.total_ += bin.files_.back()->size();
  }
  const std::uint64_t shardSize = bin.files_.front()->size();
  if (shardSize == 0 && last > 0) throw FileFormatError(bin.files_.front()->path(), "is empty: not a shard of tokens");
  for (int i = 1; i <= last; ++i) {
    const MappedFile& f = *bin.files_[static_cast<std::size_t>(i)];
    if ((i < last && f.size() != shardSize) || f.size() > shardSize) {
      throw FileFormatError(f.path(), "holds " + std::to_string(f.size()) + " bytes, shard 0 holds " +
                                          std::to_string(shardSize) + ": every shard but the last has shard 0's size" +
                                          (f.size() < shardSize ? " (truncated)" : ", the last no more"));
    }
  }
  return bin;
}

std::vector<std::string> MmidIdxBin::files() const {
  std::vector<std::string> paths;
  for (const auto& f : files_) paths.push_back(f->path());
  return paths;
}

const std::uint8_t* MmidIdxBin::bytes(std::uint64_t offset, std::size_t count, std::vector<std::uint8_t>& scratch) const {
  std::size_t file = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  const std::uint64_t within = offset - starts_[file];
  if (within + count <= files_[file]->size()) return files_[file]->data() + within;
  scratch.resize(count);
  for (std::size_t done = 0; done < count;) {
    while (offset + done >= starts_[file] + files_[file]->size()) ++file;  // skips empty files
    const std::uint64_t at = offset + done - starts_[file];
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(count - done, files_[file]->size() - at));
    std::memcpy(scratch.data() + done, files_[file]->data() + at, take);
    done += take;
  }
  return scratch.data();
}

}  // namespace shellscope

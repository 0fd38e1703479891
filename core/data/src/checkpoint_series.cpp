#include "shellscope/data/checkpoint_series.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"

namespace shellscope {

namespace fs = std::filesystem;

std::string toString(CheckpointFiles::Layout layout) {
  switch (layout) {
    case CheckpointFiles::Layout::Safetensors: return "safetensors";
    case CheckpointFiles::Layout::ShardedSafetensors: return "sharded safetensors";
    case CheckpointFiles::Layout::TorchBin: return "pytorch_model.bin";
    case CheckpointFiles::Layout::ShardedTorchBin: return "sharded pytorch_model.bin";
  }
  return "unknown";
}

namespace {

const std::pair<const char*, CheckpointFiles::Layout> kWeightFiles[] = {
    {"model.safetensors", CheckpointFiles::Layout::Safetensors},
    {"model.safetensors.index.json", CheckpointFiles::Layout::ShardedSafetensors},
    {"pytorch_model.bin", CheckpointFiles::Layout::TorchBin},
    {"pytorch_model.bin.index.json", CheckpointFiles::Layout::ShardedTorchBin},
};

bool isFile(const fs::path& p) {
  std::error_code error;
  return fs::is_regular_file(p, error);  // follows symlinks, as the Hugging Face cache needs
}

std::string readFirstLine(const fs::path& p) {
  requireRegularFile(p.string());
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

std::string basename(const fs::path& p) {
  const fs::path clean = p.has_filename() ? p : p.parent_path();
  return clean.filename().string();
}

/// "models--EleutherAI--pythia-70m" -> "pythia-70m".
std::string cacheModelName(const std::string& folder) {
  const std::size_t at = folder.rfind("--");
  return at == std::string::npos ? folder : folder.substr(at + 2);
}

bool isHuggingFaceCache(const fs::path& p) {
  std::error_code error;
  return fs::is_directory(p / "snapshots", error) && basename(p).rfind("models--", 0) == 0;
}

void sortByStep(std::vector<CheckpointEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const CheckpointEntry& a, const CheckpointEntry& b) {
    const bool aKnown = a.step >= 0, bKnown = b.step >= 0;
    if (aKnown != bKnown) return aKnown;
    if (a.step != b.step) return a.step < b.step;
    return a.label < b.label;
  });
}

/// The series a checkpoint named `label` belongs to: the model, or "<model>-<trajectory>" for
/// OLMo 2's stage-2 ingredients (their steps restart at 0).
std::string seriesName(const std::string& model, const std::string& label) {
  const std::string trajectory = trajectoryFromName(label);
  return trajectory.empty() ? model : model + "-" + trajectory;
}

std::vector<CheckpointEntry> discoverCache(const fs::path& cache) {
  const std::string model = cacheModelName(basename(cache));
  std::map<std::string, std::vector<std::string>> revisionsOfHash;
  std::error_code error;
  if (fs::is_directory(cache / "refs", error)) {
    for (const auto& ref : fs::recursive_directory_iterator(cache / "refs", error)) {
      if (!ref.is_regular_file()) continue;
      const std::string revision = fs::relative(ref.path(), cache / "refs").string();
      revisionsOfHash[readFirstLine(ref.path())].push_back(revision);
    }
  }
  std::vector<CheckpointEntry> entries;
  for (const auto& snapshot : fs::directory_iterator(cache / "snapshots", error)) {
    if (!isCheckpointFolder(snapshot.path().string())) continue;
    const std::string hash = basename(snapshot.path());
    CheckpointEntry entry;
    entry.path = snapshot.path().string();
    entry.modelName = model;
    entry.label = hash;
    // Prefer a revision that names a step ("step1000" over "main" for the same weights).
    for (const std::string& revision : revisionsOfHash[hash]) {
      const std::int64_t step = stepFromName(revision);
      if (entry.step < 0 || (step >= 0 && step < entry.step)) {
        if (step >= 0 || entry.label == hash) entry.label = revision;
        if (step >= 0) entry.step = step;
      }
    }
    entry.modelName = seriesName(model, entry.label);
    entries.push_back(entry);
  }
  return entries;
}

CheckpointEntry singleCheckpoint(const fs::path& folder) {
  CheckpointEntry entry;
  entry.path = folder.string();
  entry.label = basename(folder);
  entry.step = stepFromName(entry.label);
  const fs::path parent = folder.has_filename() ? folder.parent_path() : folder.parent_path().parent_path();
  if (basename(parent) == "snapshots" && isHuggingFaceCache(parent.parent_path())) {
    // A snapshot: its step comes from the revision that points at it.
    for (const CheckpointEntry& e : discoverCache(parent.parent_path())) {
      if (fs::equivalent(e.path, folder)) return e;
    }
  }
  entry.modelName = entry.step >= 0 ? seriesName(basename(parent), entry.label) : entry.label;
  if (entry.modelName.empty()) entry.modelName = entry.label;
  return entry;
}

}  // namespace

bool isCheckpointFolder(const std::string& folder) {
  if (!isFile(fs::path(folder) / "config.json")) return false;
  for (const auto& [file, layout] : kWeightFiles) {
    if (isFile(fs::path(folder) / file)) return true;
  }
  return false;
}

std::vector<std::string> checkpointFileList(const CheckpointFiles& files) {
  std::vector<std::string> list{files.config, files.weights};
  if (files.layout == CheckpointFiles::Layout::ShardedSafetensors ||
      files.layout == CheckpointFiles::Layout::ShardedTorchBin) {
    requireRegularFile(files.weights);
    std::ifstream in(files.weights);
    const nlohmann::json index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    std::set<std::string> shards;
    if (index.is_object() && index.contains("weight_map") && index["weight_map"].is_object()) {
      for (const auto& [name, shard] : index["weight_map"].items()) {
        if (shard.is_string()) shards.insert(shard.get<std::string>());
      }
    }
    for (const std::string& shard : shards) list.push_back((std::filesystem::path(files.folder) / shard).string());
  }
  return list;
}

CheckpointFiles locateCheckpoint(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw FileFormatError(folder, "not a folder");
  CheckpointFiles files;
  files.folder = folder;
  files.config = (fs::path(folder) / "config.json").string();
  if (!isFile(files.config)) throw FileFormatError(folder, "no config.json: not a Hugging Face checkpoint folder");
  for (const auto& [file, layout] : kWeightFiles) {
    const fs::path candidate = fs::path(folder) / file;
    if (isFile(candidate)) {
      files.layout = layout;
      files.weights = candidate.string();
      return files;
    }
  }
  throw FileFormatError(folder, "no weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
                                "pytorch_model.bin.index.json)");
}

namespace {

/// Length of OLMo 2's stage prefix ("stage1-", "stage2-ingredient3-") at the start of `name`, 0 when none.
std::size_t stagePrefixLength(const std::string& name) {
  static const std::regex stage(R"(^stage[0-9]+-(ingredient[0-9]+-)?)");
  std::smatch match;
  return std::regex_search(name, match, stage) ? static_cast<std::size_t>(match.length(0)) : 0;
}

}  // namespace

std::string trajectoryFromName(const std::string& name) {
  const std::size_t prefix = stagePrefixLength(name);
  if (prefix == 0 || name.rfind("stage1-", 0) == 0) return {};
  return name.substr(0, prefix - 1);  // without the dash
}

std::int64_t stepFromName(const std::string& fullName) {
  const std::string name = fullName.substr(stagePrefixLength(fullName));
  // Pythia step1000, OLMo step1000-tokens4B, TinyLlama step-50K-token-105B, SmolLM2 step-125000,
  // Amber ckpt_000 (the checkpoint's index), Trainer checkpoint-1000, Megatron iter_0001000.
  for (const char* prefix : {"global_step", "checkpoint-", "checkpoint_", "step-", "step_", "step", "iter_", "ckpt_",
                             "ckpt-"}) {
    const std::string p = prefix;
    if (name.rfind(p, 0) != 0 || name.size() == p.size()) continue;
    std::string digits = name.substr(p.size());
    const std::size_t suffix = digits.find("-token");  // "-tokens4B", "-token-105B": the tokens seen
    if (suffix != std::string::npos) digits.resize(suffix);
    std::int64_t multiplier = 1;
    if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
      multiplier = 1000;
      digits.pop_back();
    }
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    if (digits.size() > 15) return -1;
    return std::stoll(digits) * multiplier;
  }
  return -1;
}

std::vector<CheckpointEntry> discoverCheckpoints(const std::string& path) {
  const fs::path root(path);
  std::error_code error;
  if (!fs::exists(root, error)) throw FileFormatError(path, "no such file or folder");
  if (!fs::is_directory(root, error)) throw FileFormatError(path, "not a folder (give a checkpoint folder or a folder of them)");
  if (isCheckpointFolder(path)) return {singleCheckpoint(root)};

  std::vector<CheckpointEntry> entries;
  if (isHuggingFaceCache(root)) {
    entries = discoverCache(root);
  } else {
    const std::string model = basename(root);
    for (const auto& child : fs::directory_iterator(root, error)) {
      const std::string name = basename(child.path());
      if (isHuggingFaceCache(child.path())) {
        for (CheckpointEntry& e : discoverCache(child.path())) entries.push_back(e);
      } else if (child.is_directory(error) && !isCheckpointFolder(child.path().string()) &&
                 isFile(child.path() / "config.json")) {
        // A checkpoint folder without its weights (a download cut short, files deleted): an
        // error, not a skip, or a series would silently lose checkpoints. (Our writer puts
        // config.json last, so a save that was killed leaves no config.json and no such folder.)
        locateCheckpoint(child.path().string());  // throws, naming what is missing
      } else if (isCheckpointFolder(child.path().string())) {
        CheckpointEntry entry;
        entry.path = child.path().string();
        entry.label = name;
        entry.step = stepFromName(name);
        entry.modelName = seriesName(model, name);
        entries.push_back(entry);
      }
    }
  }
  if (entries.empty()) {
    throw FileFormatError(path, "holds no checkpoint (expected config.json with weights, step folders such as "
                                "step1000/, or a Hugging Face cache folder models--org--name)");
  }
  sortByStep(entries);
  std::set<std::pair<std::string, std::int64_t>> seen;
  for (const CheckpointEntry& e : entries) {
    if (e.step >= 0 && !seen.insert({e.modelName, e.step}).second) {
      throw FileFormatError(path, "two checkpoints of " + e.modelName + " claim step " + std::to_string(e.step));
    }
  }
  return entries;
}

}  // namespace shellscope

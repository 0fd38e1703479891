#include "fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "checkpoints/checkpoint_io.h"
#include "shellscope/data/token_data.h"

namespace shellscope::fuzz {

namespace fs = std::filesystem;

namespace {

struct ScratchFolder {
  std::string path;
  ScratchFolder() {
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    path = (base / ("shellscope-fuzz-" + std::to_string(::getpid()))).string();
    fs::create_directories(path);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

const std::string& scratchDir() {
  static ScratchFolder folder;
  return folder.path;
}

std::string writeScratch(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = (fs::path(scratchDir()) / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw std::runtime_error("fuzz: cannot write " + path);
  return path;
}

std::string tinyConfigJson() {
  return nlohmann::json{{"model_type", "gpt_neox"}, {"architectures", {"GPTNeoXForCausalLM"}},
                        {"hidden_size", 16}, {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                        {"intermediate_size", 24}, {"vocab_size", 11}, {"max_position_embeddings", 64},
                        {"rotary_pct", 0.25}, {"use_parallel_residual", true}, {"torch_dtype", "float32"}}
      .dump(2);
}

std::string tinyCheckpoint(const std::string& layout) {
  static std::map<std::string, std::string> written;
  if (auto found = written.find(layout); found != written.end()) return found->second;
  using Layout = CheckpointFiles::Layout;
  const std::map<std::string, std::pair<Layout, int>> layouts{{"safetensors", {Layout::Safetensors, 1}},
                                                              {"sharded-safetensors", {Layout::ShardedSafetensors, 2}},
                                                              {"bin", {Layout::TorchBin, 1}},
                                                              {"sharded-bin", {Layout::ShardedTorchBin, 2}}};
  const auto& [kind, shards] = layouts.at(layout);
  const std::string folder = (fs::path(scratchDir()) / ("checkpoint-" + layout)).string();
  const auto model = engine::randomModel(nlohmann::json::parse(tinyConfigJson()), "config.json", 7);
  engine::saveCheckpoint(*model, folder, kind, at::kFloat, shards);
  return written[layout] = folder;
}

void readTokenStream(const TokenStream& stream) {
  std::vector<std::int64_t> tokens(static_cast<std::size_t>(std::min<std::int64_t>(stream.size(), 1 << 16)));
  stream.read(0, static_cast<std::int64_t>(tokens.size()), tokens.data());
  for (std::int64_t r = 0; r < std::min<std::int64_t>(stream.rowCount(), 1024); ++r) {
    (void)stream.rowStart(r);
    (void)stream.rowLength(r);
  }
}

std::vector<std::uint8_t> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fuzz: cannot read " + path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace shellscope::fuzz

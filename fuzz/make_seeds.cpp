// shellscope-fuzz-seeds OUT: the seed corpus of every fuzz target, written by the project's own
// writers into OUT/<target>/ (small valid inputs of every layout and dtype, and a few near misses).
// Nothing of it is committed: fuzz/run-fuzzers.sh makes it in the build folder.
#include <caffe2/serialize/inline_container.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "checkpoints/checkpoint_io.h"
#include "checkpoints/safetensors.h"
#include "checkpoints/torch_state_dict.h"
#include "fuzz_support.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/analysis/session_analysis.h"
#include "shellscope/data/token_data.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/series_transport.h"
#include "shellscope/transport/transport_file.h"
#include "synthetic_runs.h"

using namespace shellscope;
namespace fs = std::filesystem;

namespace {

fs::path out;

void seed(const std::string& target, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(out / target);
  std::ofstream file(out / target / name, std::ios::binary);
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void seed(const std::string& target, const std::string& name, const std::string& text) {
  seed(target, name, std::vector<std::uint8_t>(text.begin(), text.end()));
}
void seedFile(const std::string& target, const std::string& name, const fs::path& file) {
  seed(target, name, fuzz::readBytes(file.string()));
}
fs::path scratch(const std::string& name) { return fs::path(fuzz::scratchDir()) / name; }

void checkpointSeeds() {
  std::vector<std::pair<std::string, at::Tensor>> tensors{
      {"a.weight", at::arange(6, at::kFloat).reshape({2, 3})},
      {"b.bias", at::ones({3}, at::kHalf)},
      {"c", at::zeros({0}, at::kBFloat16)},
      {"d", at::arange(4, at::kDouble)}};
  engine::writeSafetensors(scratch("s.safetensors").string(), tensors, {{"format", "pt"}});
  seedFile("safetensors", "four-dtypes", scratch("s.safetensors"));
  engine::writeSafetensors(scratch("e.safetensors").string(), {}, {});
  seedFile("safetensors", "empty", scratch("e.safetensors"));
  seedFile("safetensors", "tiny-model", fs::path(fuzz::tinyCheckpoint("safetensors")) / "model.safetensors");

  engine::writeTorchStateDict(scratch("s.bin").string(), tensors);
  seedFile("torch_bin", "four-dtypes", scratch("s.bin"));
  seedFile("torch_bin", "tiny-model", fs::path(fuzz::tinyCheckpoint("bin")) / "pytorch_model.bin");
  // The pickles inside, for the unpickler on its own.
  for (const char* file : {"s.bin"}) {
    caffe2::serialize::PyTorchStreamReader reader(scratch(file).string());
    const auto [data, size] = reader.getRecord("data.pkl");
    const auto* bytes = static_cast<const std::uint8_t*>(data.get());
    seed("unpickler", "four-dtypes", std::vector<std::uint8_t>(bytes, bytes + size));
  }
  seed("unpickler", "empty-dict", std::string("\x80\x02}q\x00.", 6));

  const fs::path sharded = fuzz::tinyCheckpoint("sharded-safetensors");
  seedFile("shard_index", "valid", sharded / "model.safetensors.index.json");
  seed("shard_index", "no-map", R"({"metadata": {"total_size": 0}})");

  seed("config_json", "tiny", fuzz::tinyConfigJson());
  seedFile("config_json", "as-saved", sharded / "config.json");
  seed("config_json", "rotary-nested",
       R"({"model_type": "gpt_neox", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
           "intermediate_size": 12, "vocab_size": 5, "tie_word_embeddings": false,
           "rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5, "rope_theta": 500}})");
}

void tokenSeeds() {
  const std::vector<std::vector<std::int64_t>> documents{{1, 2, 3}, {4}, {5, 6, 7, 8, 9}};
  for (const char* dtype : {"u16", "i32", "i64", "u8"}) {
    const std::string prefix = scratch(std::string("m-") + dtype).string();
    writeMmidIdx(prefix, documents, parseTokenDType(dtype));
    std::vector<std::uint8_t> input;
    const auto bin = fuzz::readBytes(prefix + ".bin"), idx = fuzz::readBytes(prefix + ".idx");
    input.push_back(static_cast<std::uint8_t>(bin.size() & 0xff));
    input.push_back(static_cast<std::uint8_t>(bin.size() >> 8));
    input.insert(input.end(), idx.begin(), idx.end());
    seed("mmididx", dtype, input);
    // The same .bin in three shards of ceil(size / 3) bytes (tokens straddle them), for mmididx_shards.
    const std::size_t third = (bin.size() + 2) / 3;
    std::vector<std::uint8_t> sharded{2};
    for (std::size_t i = 0; i < 3; ++i) {
      sharded.push_back(static_cast<std::uint8_t>(std::min(third, bin.size() - std::min(bin.size(), i * third))));
    }
    sharded.insert(sharded.end(), idx.begin(), idx.end());
    seed("mmididx_shards", dtype, sharded);

    const std::string npy = scratch(std::string("n-") + dtype + ".npy").string();
    writeNpy(npy, {0, 1, 2, 3, 4, 5, 6, 7}, parseTokenDType(dtype));
    seedFile("npy", dtype, npy);
  }
  seed("npy", "two-d", std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                           "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }" + std::string(55, ' ') +
                           "\n" + std::string(12, '\x01'));
  for (int d = 0; d < 8; ++d) {
    std::vector<std::uint8_t> raw{static_cast<std::uint8_t>(d)};
    for (int i = 0; i < 32; ++i) raw.push_back(static_cast<std::uint8_t>(i));
    seed("raw_tokens", "dtype-" + std::to_string(d), raw);
  }
}

void tokenizerSeeds() {
  seedFile("tokenizer_json", "small", SHELLSCOPE_TEST_DATA "/tokenizer_small.json");
  seed("tokenizer_json", "minimal",
       R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
           "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}],
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}})");
  seedFile("tokenizer_json", "llama", SHELLSCOPE_TEST_DATA "/tokenizer_llama_small.json");
  seed("tokenizer_json", "metaspace",
       R"({"model": {"type": "BPE", "vocab": {"<unk>": 0, "\u2581": 1, "a": 2, "\u2581a": 3, "<0x62>": 4},
                     "merges": [["\u2581", "a"]], "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true},
           "added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
           "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
           "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false}})");
  seed("tokenizer_json", "split-digits",
       R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "1": 3, "\u0120": 4}, "merges": ["a b"]},
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
             {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}|\\s+(?!\\S)|\\s+|[^\\s\\p{N}]+"}, "behavior": "Isolated", "invert": false},
             {"type": "Digits", "individual_digits": true},
             {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
           "post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel"}]}})");
  seed("tokenizer_text", "english", "The quick brown fox jumps over the lazy dog.\n  It's 1,234 steps.");
  seed("tokenizer_text", "unicode", "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 e\xcc\x81");
  seed("tokenizer_text", "special", "<|endoftext|>x<|padding|>    y\t\r\n");
}

void sessionSeeds() {
  // Small on purpose: every HDF5 object costs the fuzzer time per input.
  Session small;
  small.runs.push_back(syntheticRun(theoryCurve(-2.0, 0.2, 0.5), 0.15, 2, 5, -4, 3, "m", 10));
  const std::string smallPath = scratch("small.h5").string();
  writeSession(smallPath, small);
  seedFile("session", "one-run", smallPath);
  const std::string smallAnalysed = scratch("small-analysed.h5").string();
  analysis::AnalysisOptions quick;
  quick.bootstrapSamples = 8;
  writeSessionWithAnalysis(smallAnalysed, small, analysis::analyzeSession(small, quick));
  seedFile("session", "one-run-analysed", smallAnalysed);
  Session session;
  for (int step : {100, 1000}) {
    Run run = syntheticRun(theoryCurve(-2.0, 0.2, 0.5), 0.15, 3, static_cast<std::uint64_t>(step), -8, 8, "synthetic",
                           step);
    session.runs.push_back(run);
  }
  const std::string plain = scratch("plain.h5").string();
  writeSession(plain, session);
  seedFile("session", "two-runs", plain);
  const std::string analysed = scratch("analysed.h5").string();
  writeSessionWithAnalysis(analysed, session, analysis::analyzeSession(session, quick));
  seedFile("session", "two-runs-analysed", analysed);
  // The GUI's view states: two named JSON texts (the core stores them, never parses them).
  Session withStates = session;
  withStates.viewStates = {{"figure 2a", R"({"format": "shellscope-view-state", "version": 1, "tab": "profile"})"},
                           {"talk", "{}"}};
  const std::string states = scratch("view-states.h5").string();
  writeSession(states, withStates);
  seedFile("session", "view-states", states);

  // The theory lab's groups: runs with the polarised quadratures of --cross-dissipation and a
  // held-out side, the /transport estimated from them, and a small /lab run with held-out points.
  Session polarised = session;
  for (std::size_t k = 0; k < polarised.runs.size(); ++k) {
    Run& run = polarised.runs.edit(k);
    run.meta.observable = "lm-logprob";
    const Eigen::Index batches = run.ritzValues.rows();
    PolarisedQuadratures& q = run.polarisation;
    q.plusValues = q.minusValues = run.ritzValues;
    q.plusWeights = q.minusWeights = run.ritzWeights;
    q.plusNorm2 = Eigen::VectorXd::Constant(batches, 2.0);
    q.minusNorm2 = 2.0 * run.errorNorm2;
    // A held-out side too (compute --held-out-data): its arrays shaped like the run's.
    HeldOutSpectra& h = run.heldOut;
    h.ritzValues = run.ritzValues;
    h.ritzWeights = run.ritzWeights;
    h.errorNorm2 = run.errorNorm2;
    h.loss = run.loss;
    h.ritzRates = -run.ritzValues.cwiseProduct(run.ritzWeights);
    h.rateDirect.resize(batches);
    for (Eigen::Index b = 0; b < batches; ++b) {
      h.batchIndex.push_back(batches + b);
      h.nTokens.push_back(256);
      double sum = 0;
      for (Eigen::Index j = 0; j < h.ritzRates.cols(); ++j) sum += std::isnan(h.ritzRates(b, j)) ? 0.0 : h.ritzRates(b, j);
      h.rateDirect(b) = sum;
    }
    // and its cross-entropy split (compute --held-out-cross-entropy), the same arrays again.
    HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
    c.ritzValues = run.ritzValues;
    c.ritzWeights = run.ritzWeights;
    c.ritzRates = h.ritzRates;
    c.rateDirect = h.rateDirect;
    h.computeShells(run.window, run.ritzValues);
  }
  const std::string withTransport = scratch("transport.h5").string();
  writeSession(withTransport, polarised);
  transport::TransportSettings transportSettings;
  transportSettings.schedule = "constant:0.001";
  transportSettings.bootstrapSamples = 8;
  transport::appendTransport(withTransport, transport::estimateTransport(polarised, transportSettings));
  seedFile("session", "polarised-transport", withTransport);

  LabRunSettings lab;
  lab.model = "builtin:mlp";
  lab.points = 8;
  lab.learningRate = 0.05;
  lab.steps = 4;
  lab.every = 2;
  lab.seed = 1;
  lab.threads = 1;
  lab.heldOutPoints = 8;
  const std::string withLab = scratch("lab.h5").string();
  writeSession(withLab, small);
  appendLabRun(withLab, runLab(lab));
  seedFile("session", "lab-run", withLab);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: shellscope-fuzz-seeds OUT\n";
    return 2;
  }
  out = argv[1];
  try {
    checkpointSeeds();
    tokenSeeds();
    tokenizerSeeds();
    sessionSeeds();
  } catch (const std::exception& e) {
    std::cerr << "shellscope-fuzz-seeds: " << e.what() << "\n";
    return 1;
  }
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out)) files += entry.is_regular_file();
  std::cout << "shellscope-fuzz-seeds: " << files << " seeds in " << out.string() << "\n";
  return 0;
}

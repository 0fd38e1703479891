#include "shellscope/engine/checkpoint_writer.h"

#include <stdexcept>

#include "checkpoints/checkpoint_io.h"
#include "models/builtin_models.h"
#include "models/gpt2.h"
#include "models/gpt_neox.h"
#include "models/llama.h"

namespace shellscope {

namespace {

engine::GptNeoxConfig pythiaShape(std::int64_t layers, std::int64_t hidden, std::int64_t heads,
                                  std::int64_t vocab = 50304) {
  engine::GptNeoxConfig c;
  c.vocabSize = vocab;
  c.hiddenSize = hidden;
  c.numLayers = layers;
  c.numHeads = heads;
  c.intermediateSize = 4 * hidden;
  c.rotaryPct = 0.25;
  c.maxPositions = 2048;
  return c;
}

/// GPT-2 small (openai-community/gpt2, and Stanford CRFM's Mistral runs): 124M parameters.
engine::Gpt2Config gpt2Small() {
  engine::Gpt2Config c;
  c.vocabSize = 50257;
  c.hiddenSize = 768;
  c.numLayers = 12;
  c.numHeads = 12;
  c.maxPositions = 1024;
  return c;
}

engine::LlamaConfig llamaShape(std::int64_t vocab, std::int64_t hidden, std::int64_t intermediate, std::int64_t layers,
                               std::int64_t heads, std::int64_t kvHeads, std::int64_t positions, double eps, double theta,
                               bool tied) {
  engine::LlamaConfig c;
  c.vocabSize = vocab;
  c.hiddenSize = hidden;
  c.intermediateSize = intermediate;
  c.numLayers = layers;
  c.numHeads = heads;
  c.numKeyValueHeads = kvHeads;
  c.maxPositions = positions;
  c.rmsNormEps = eps;
  c.ropeTheta = theta;
  c.tieWordEmbeddings = tied;
  return c;
}

/// The Llama-family shapes, from the published config.json files.
bool llamaShapeNamed(const std::string& name, engine::LlamaConfig& config) {
  if (name == "smollm2-135m") {  // HuggingFaceTB/SmolLM2-135M: GQA 9/3, tied
    config = llamaShape(49152, 576, 1536, 30, 9, 3, 8192, 1e-5, 100000.0, true);
  } else if (name == "tinyllama-1.1b") {  // TinyLlama/TinyLlama-1.1B intermediate checkpoints: GQA 32/4
    config = llamaShape(32000, 2048, 5632, 22, 32, 4, 2048, 1e-5, 10000.0, false);
  } else if (name == "amber-7b") {  // LLM360/Amber: Llama-7B shape
    config = llamaShape(32000, 4096, 11008, 32, 32, 32, 2048, 1e-6, 10000.0, false);
  } else if (name == "olmo2-7b") {  // allenai/OLMo-2-1124-7B: post-sublayer norms and q/k norms, 7.30B parameters
    config = llamaShape(100352, 4096, 11008, 32, 32, 32, 4096, 1e-6, 500000.0, false);
    config.variant = engine::LlamaConfig::Variant::Olmo2;
  } else {
    return false;
  }
  return true;
}

engine::GptNeoxConfig shapeNamed(const std::string& name) {
  if (name == "pythia-14m") return pythiaShape(6, 128, 4);
  if (name == "pythia-70m") return pythiaShape(6, 512, 8);
  if (name == "pythia-160m") return pythiaShape(12, 768, 12);
  if (name == "pythia-410m") return pythiaShape(24, 1024, 16);
  if (name == "pythia-1b") return pythiaShape(16, 2048, 8);
  if (name == "pythia-1.4b") return pythiaShape(24, 2048, 16);
  if (name == "pythia-2.8b") return pythiaShape(32, 2560, 32);
  if (name == "pythia-6.9b") return pythiaShape(32, 4096, 32, 50432);
  for (const char* builtin : {"tiny-lm", "small-lm", "base-lm"}) {
    if (name == builtin) return engine::builtinLmConfig(name);
  }
  std::string known;
  for (const auto& s : knownModelShapes()) known += (known.empty() ? "" : ", ") + s;
  throw std::invalid_argument("unknown model shape '" + name + "' (known: " + known + ")");
}

at::ScalarType storeType(const std::string& text) {
  if (text == "float32") return at::kFloat;
  if (text == "float16") return at::kHalf;
  if (text == "bfloat16") return at::kBFloat16;
  throw std::invalid_argument("unknown storage dtype '" + text + "' (expected float32, float16 or bfloat16)");
}

}  // namespace

std::vector<std::string> knownModelShapes() {
  return {"pythia-14m", "pythia-70m", "pythia-160m", "pythia-410m", "pythia-1b", "pythia-1.4b", "pythia-2.8b",
          "pythia-6.9b", "tiny-lm", "small-lm", "base-lm", "gpt2-small", "smollm2-135m", "tinyllama-1.1b", "amber-7b",
          "olmo2-7b"};
}

CheckpointFiles::Layout parseLayout(const std::string& text) {
  using Layout = CheckpointFiles::Layout;
  if (text == "safetensors") return Layout::Safetensors;
  if (text == "sharded-safetensors") return Layout::ShardedSafetensors;
  if (text == "bin") return Layout::TorchBin;
  if (text == "sharded-bin") return Layout::ShardedTorchBin;
  throw std::invalid_argument("unknown layout '" + text + "' (expected safetensors, sharded-safetensors, bin or sharded-bin)");
}

std::int64_t writeRandomCheckpoint(const std::string& folder, const RandomCheckpointOptions& options) {
  // A named shape is a GPT-NeoX, GPT-2 or Llama config; a config.json may be of any family this build knows.
  engine::LlamaConfig llama;
  const nlohmann::json config = !options.configPath.empty() ? engine::readJsonFile(options.configPath)
                                : options.shape == "gpt2-small"
                                    ? engine::gpt2ConfigJson(gpt2Small(), options.storeDtype)
                                : llamaShapeNamed(options.shape, llama)
                                    ? engine::llamaConfigJson(llama, options.storeDtype)
                                    : engine::gptNeoxConfigJson(shapeNamed(options.shape), options.storeDtype);
  const std::string source = options.configPath.empty() ? "shape " + options.shape : options.configPath;
  const auto model = engine::randomModel(config, source, options.seed);
  engine::saveCheckpoint(*model, folder, options.layout, storeType(options.storeDtype), options.shards);
  return model->parameterCount();
}

}  // namespace shellscope

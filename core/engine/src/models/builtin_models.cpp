#include "models/builtin_models.h"

#include <stdexcept>

#include "models/synthetic_data.h"

namespace shellscope::engine {

namespace {

std::string nameOf(const std::string& spec) {
  return spec.rfind(kBuiltinPrefix, 0) == 0 ? spec.substr(std::string(kBuiltinPrefix).size()) : spec;
}

GptNeoxConfig lmConfig(std::int64_t vocab, std::int64_t hidden, std::int64_t layers, std::int64_t heads) {
  GptNeoxConfig c;
  c.vocabSize = vocab;
  c.hiddenSize = hidden;
  c.numLayers = layers;
  c.numHeads = heads;
  c.intermediateSize = 4 * hidden;
  return c;
}

const MlpConfig kMlp{8, 32, 2};

}  // namespace

bool isBuiltinModel(const std::string& spec) { return spec.rfind(kBuiltinPrefix, 0) == 0; }

std::vector<std::string> builtinNames() { return {"tiny-lm", "small-lm", "base-lm", "mlp"}; }

GptNeoxConfig builtinLmConfig(const std::string& name) {
  if (name == "tiny-lm") return lmConfig(64, 32, 2, 4);      // ~35k parameters
  if (name == "small-lm") return lmConfig(512, 128, 4, 4);   // ~0.9M
  if (name == "base-lm") return lmConfig(2048, 256, 4, 8);   // ~4.2M
  throw std::invalid_argument("'" + name + "' is not a built-in language model");
}

std::unique_ptr<ModelFunction> makeBuiltinModel(const std::string& spec, std::uint64_t seed) {
  const std::string name = nameOf(spec);
  if (name == "mlp") return std::make_unique<MlpRegressor>(kMlp, seed);
  for (const std::string& known : builtinNames()) {
    if (known == name) return GptNeoxModel::randomlyInitialised(builtinLmConfig(name), seed);
  }
  std::string list;
  for (const std::string& known : builtinNames()) list += (list.empty() ? "" : ", ") + std::string(kBuiltinPrefix) + known;
  throw std::invalid_argument("unknown built-in model '" + spec + "' (known: " + list + ")");
}

std::unique_ptr<BatchSource> makeBuiltinData(const ModelFunction& model, std::int64_t batches, std::int64_t batchSize,
                                             std::int64_t seqLen, std::uint64_t seed) {
  const ModelDescription d = model.description();
  if (model.observable().targets() == TargetKind::RealValues) {
    return std::make_unique<RegressionSource>(static_cast<int>(d.inputDimension), batches, batchSize * seqLen, seed);
  }
  const std::int64_t vocab = d.vocabularySize;
  const std::int64_t length = batches * batchSize * (seqLen + 1);
  auto stream = std::make_shared<shellscope::InMemoryTokenStream>(
      markovTokenStream(vocab, length, seed),
      "builtin:markov(vocab=" + std::to_string(vocab) + ",seed=" + std::to_string(seed) + ")");
  return std::make_unique<TokenWindowSource>(stream, batches, batchSize, seqLen, vocab);
}

}  // namespace shellscope::engine

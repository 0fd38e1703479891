// shellscope-cli with one more model family registered: "toy_bigram", a test-only language model
// whose logits for the next token are a table row, z(x) = W[x] + b (parameters bigram.weight [V, V]
// and bigram.bias [V]). It has no linearisation of its own, so the engine takes LibTorch's
// autograd path. tests/app/cli_model_family.sh runs init-checkpoint, compute and eval on its
// checkpoint folders through this program, which is shellscope-cli's own runCli: no driver knows
// the family, and the script checks the numbers against an independent numpy computation.
#include <nlohmann/json.hpp>

#include "cli/cli_main.h"
#include "models/model_family.h"
#include "shellscope/base/file_error.h"

namespace {

using namespace shellscope::engine;

class BigramModel final : public ModelFunction {
 public:
  BigramModel(std::int64_t vocabulary, const TensorSource& source)
      : ModelFunction(languageModelLogProb()), vocabulary_(vocabulary) {
    params_ = {source("bigram.weight", {vocabulary, vocabulary}, TensorRole::Weight),
               source("bigram.bias", {vocabulary}, TensorRole::Bias)};
    names_ = {"bigram.weight", "bigram.bias"};
    for (auto& p : params_) p = p.detach().set_requires_grad(true);
  }

  ModelDescription description() const override {
    ModelDescription d;
    d.family = "toy_bigram";
    d.vocabularySize = vocabulary_;
    d.parameterGroups = {{"table", vocabulary_ * vocabulary_}, {"bias", vocabulary_}};
    return d;
  }
  ModelOutput output() const override { return ModelOutput::Logits; }
  const std::vector<at::Tensor>& parameters() const override { return params_; }
  const std::vector<std::string>& parameterNames() const override { return names_; }
  at::Tensor rawOutputs(const std::vector<at::Tensor>& p, const Batch& batch) const override {
    return at::embedding(p[0], batch.inputs) + p[1];
  }
  void to(at::Device device, at::ScalarType dtype) override { convertParameters(params_, device, dtype); }

 private:
  std::int64_t vocabulary_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
};

class BigramFamily final : public ModelFamily {
 public:
  std::string modelType() const override { return "toy_bigram"; }
  std::unique_ptr<ModelFunction> build(const nlohmann::json& config, const std::string& configPath,
                                       const TensorSource& tensors) const override {
    if (!config.contains("vocab_size") || !config["vocab_size"].is_number_integer() || config["vocab_size"] <= 0) {
      throw shellscope::FileFormatError(configPath, "'vocab_size' is missing or not a positive integer");
    }
    return std::make_unique<BigramModel>(config["vocab_size"].get<std::int64_t>(), tensors);
  }
  nlohmann::json configOf(const ModelFunction& model, const std::string& torchDtype) const override {
    return {{"model_type", modelType()}, {"vocab_size", model.description().vocabularySize}, {"torch_dtype", torchDtype}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  ModelFamilyRegistry::instance().add(std::make_unique<BigramFamily>());
  return shellscope::cli::runCli(argc, argv);
}

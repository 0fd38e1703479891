#pragma once
// Model families: what the engine knows about checkpoints of one architecture. config.json's
// model_type (or an entry of its architectures) selects the family; the family reads the rest of
// config.json, asks for every tensor by its Hugging Face name and shape, and builds the
// ModelFunction (with its own linearisation, where it has one). Loading, saving and random
// initialisation go through here (checkpoints/checkpoint_io.h), so drivers never name a family.
//
// A new family: implement ModelFamily in models/<family>_family.cpp and add it in
// ModelFamilyRegistry's constructor (model_family.cpp); tests and plug-ins may add() their own.
// The models a family builds must say its modelType() as their description().family: saving a
// checkpoint finds the family (and so its config.json) that way.

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model_function.h"

namespace shellscope::engine {

/// What a parameter tensor is, so that random initialisation can fill it without knowing the family.
enum class TensorRole { Weight, Bias, NormWeight, NormBias };

/// Supplies the tensor for a Hugging Face parameter name with the expected shape.
using TensorSource =
    std::function<at::Tensor(const std::string& name, const std::vector<std::int64_t>& shape, TensorRole role)>;

/// Random initialisation (float32, in the order tensors are asked for): weights N(0, std), biases
/// 0, norm weights 1, norm biases 0, as GPT-NeoX and Llama initialise.
TensorSource randomTensors(std::uint64_t seed, double std);

/// Asks `source` for the tensor `name` of `shape`, checks it, appends it to `params` and `names`
/// and returns its index there (the models' constructors use it for every parameter). Throws
/// std::invalid_argument for a missing or mis-shaped tensor.
int takeParameter(const TensorSource& source, const std::string& name, const std::vector<std::int64_t>& shape,
                  TensorRole role, std::vector<at::Tensor>& params, std::vector<std::string>& names);

class ModelFamily {
 public:
  virtual ~ModelFamily() = default;
  /// config.json's model_type, e.g. "gpt_neox".
  virtual std::string modelType() const = 0;
  /// Entries of config.json's architectures that also select this family, e.g. "GPTNeoXForCausalLM".
  virtual std::vector<std::string> architectures() const { return {}; }
  /// The model described by `config` (read from `configPath`, named in errors) with its tensors
  /// from `tensors`. Throws FileFormatError naming configPath for a config it cannot use.
  virtual std::unique_ptr<ModelFunction> build(const nlohmann::json& config, const std::string& configPath,
                                               const TensorSource& tensors) const = 0;
  /// The parameter name a stored tensor name stands for, for families whose checkpoints spell
  /// names in more than one way (GPT-2 with or without "transformer."); default: the name itself.
  virtual std::string parameterName(const std::string& stored) const { return stored; }
  /// Stored tensors (by parameterName()) that are not parameters (legacy buffers) and are skipped when loading.
  virtual bool isIgnoredTensor(const std::string& name) const { return false; }
  /// The config.json of a model this family built (for writing checkpoints); `torchDtype` is the
  /// storage dtype ("float16", ...). Throws std::invalid_argument for a model of another family.
  virtual nlohmann::json configOf(const ModelFunction& model, const std::string& torchDtype) const = 0;
  /// Standard deviation of random initialisation for `config` (its initializer_range).
  virtual double initializerRange(const nlohmann::json& config) const;
};

class ModelFamilyRegistry {
 public:
  /// The families of this build (GPT-NeoX, GPT-2, Llama, OLMo 2), plus any added since.
  static ModelFamilyRegistry& instance();

  /// Adds a family; throws std::invalid_argument when its model_type is taken.
  void add(std::unique_ptr<ModelFamily> family);
  /// The family config.json selects (model_type, else architectures); throws FileFormatError naming
  /// `configPath` and listing the families this build knows.
  const ModelFamily& forConfig(const nlohmann::json& config, const std::string& configPath) const;
  /// The family with this model_type; throws std::invalid_argument listing the known ones.
  const ModelFamily& named(const std::string& modelType) const;
  /// model_type of every family, in the order they were added.
  std::vector<std::string> modelTypes() const;

 private:
  ModelFamilyRegistry();
  std::string knownList() const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<ModelFamily>> families_;
};

}  // namespace shellscope::engine

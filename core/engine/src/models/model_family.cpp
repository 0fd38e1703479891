#include "models/model_family.h"

#include <stdexcept>

#include "models/gpt2.h"
#include "models/gpt_neox.h"
#include "models/llama.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

TensorSource randomTensors(std::uint64_t seed, double std) {
  auto generator = std::make_shared<at::Generator>(at::detail::createCPUGenerator(seed));
  return [generator, std](const std::string&, const std::vector<std::int64_t>& shape, TensorRole role) {
    switch (role) {
      case TensorRole::Weight: return at::empty(shape, at::kFloat).normal_(0.0, std, *generator);
      case TensorRole::NormWeight: return at::ones(shape, at::kFloat);
      case TensorRole::Bias:
      case TensorRole::NormBias: break;
    }
    return at::zeros(shape, at::kFloat);
  };
}

int takeParameter(const TensorSource& source, const std::string& name, const std::vector<std::int64_t>& shape,
                  TensorRole role, std::vector<at::Tensor>& params, std::vector<std::string>& names) {
  at::Tensor value = source(name, shape, role);
  if (!value.defined() || value.sizes() != at::IntArrayRef(shape)) {
    throw std::invalid_argument("tensor '" + name + "' is missing or has the wrong shape");
  }
  params.push_back(value);
  names.push_back(name);
  return static_cast<int>(params.size()) - 1;
}

double ModelFamily::initializerRange(const nlohmann::json& config) const {
  const auto found = config.find("initializer_range");
  return found != config.end() && found->is_number() ? found->get<double>() : 0.02;
}

ModelFamilyRegistry::ModelFamilyRegistry() {
  // The families of this build. A new one is added here (and gets its own models/ files).
  families_.push_back(makeGptNeoxFamily());
  families_.push_back(makeGpt2Family());
  families_.push_back(makeLlamaFamily());
  families_.push_back(makeOlmo2Family());
}

ModelFamilyRegistry& ModelFamilyRegistry::instance() {
  static ModelFamilyRegistry registry;
  return registry;
}

void ModelFamilyRegistry::add(std::unique_ptr<ModelFamily> family) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& known : families_) {
    if (known->modelType() == family->modelType()) {
      throw std::invalid_argument("model family '" + family->modelType() + "' is registered already");
    }
  }
  families_.push_back(std::move(family));
}

std::string ModelFamilyRegistry::knownList() const {
  std::string list;
  for (const auto& family : families_) list += (list.empty() ? "" : ", ") + family->modelType();
  return list;
}

const ModelFamily& ModelFamilyRegistry::forConfig(const nlohmann::json& config, const std::string& configPath) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!config.is_object()) throw FileFormatError(configPath, "not a JSON object");
  const auto type = config.find("model_type");
  if (type != config.end()) {
    if (!type->is_string()) throw FileFormatError(configPath, "'model_type' is not a string");
    for (const auto& family : families_) {
      if (family->modelType() == type->get<std::string>()) return *family;
    }
    throw FileFormatError(configPath, "model_type '" + type->get<std::string>() +
                                          "' is not a model family this build knows (known: " + knownList() + ")");
  }
  const auto architectures = config.find("architectures");
  if (architectures != config.end() && architectures->is_array()) {
    for (const auto& entry : *architectures) {
      if (!entry.is_string()) continue;
      for (const auto& family : families_) {
        for (const std::string& name : family->architectures()) {
          if (name == entry.get<std::string>()) return *family;
        }
      }
    }
  }
  throw FileFormatError(configPath, "no model_type (and no known architectures entry): cannot tell the model family "
                                    "(known: " + knownList() + ")");
}

const ModelFamily& ModelFamilyRegistry::named(const std::string& modelType) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& family : families_) {
    if (family->modelType() == modelType) return *family;
  }
  throw std::invalid_argument("no model family '" + modelType + "' in this build (known: " + knownList() + ")");
}

std::vector<std::string> ModelFamilyRegistry::modelTypes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> types;
  for (const auto& family : families_) types.push_back(family->modelType());
  return types;
}

}  // namespace shellscope::engine

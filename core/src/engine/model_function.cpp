#include "engine/model_function.h"

namespace shellscope::engine {

std::string observableName(Observable observable) {
  return observable == Observable::LanguageModelLogProb ? "lm-logprob" : "mse";
}

at::Tensor ModelFunction::errors(const at::Tensor& outputs, const Batch& batch) const {
  if (observable() == Observable::LanguageModelLogProb) return -outputs;
  return batch.targets.reshape({-1}).to(outputs.scalar_type()) - outputs;
}

std::int64_t ModelFunction::parameterCount() const {
  std::int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

void convertParameters(std::vector<at::Tensor>& params, at::Device device, at::ScalarType dtype) {
  for (auto& p : params) p = p.detach().to(device, dtype).clone().set_requires_grad(true);
}

}  // namespace shellscope::engine

#include "engine/mlp_regressor.h"

#include <cmath>

namespace shellscope::engine {

MlpRegressor::MlpRegressor(const MlpConfig& config, std::uint64_t seed) : config_(config) {
  auto generator = at::detail::createCPUGenerator(seed);
  int fanIn = config.inputDim;
  const int layers = config.hiddenLayers + 1;
  for (int l = 0; l < layers; ++l) {
    const int fanOut = l + 1 < layers ? config.hiddenDim : 1;
    const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    params_.push_back(at::empty({fanOut, fanIn}, at::kDouble).uniform_(-bound, bound, generator));
    params_.push_back(at::empty({fanOut}, at::kDouble).uniform_(-bound, bound, generator));
    names_.push_back("layers." + std::to_string(l) + ".weight");
    names_.push_back("layers." + std::to_string(l) + ".bias");
    fanIn = fanOut;
  }
  convertParameters(params_, at::kCPU, at::kFloat);
}

at::Tensor MlpRegressor::outputs(const std::vector<at::Tensor>& params, const Batch& batch) const {
  at::Tensor h = batch.inputs;
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    h = at::linear(h, params[2 * l], params[2 * l + 1]);
    if (l + 1 < layers) h = at::tanh(h);
  }
  return h.reshape({-1});
}

}  // namespace shellscope::engine

#include "models/mlp_regressor.h"

#include <cmath>

namespace shellscope::engine {

MlpRegressor::MlpRegressor(const MlpConfig& config, std::uint64_t seed, std::shared_ptr<const Observable> observable)
    : ModelFunction(std::move(observable)), config_(config) {
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

ModelDescription MlpRegressor::description() const {
  ModelDescription d;
  d.family = "mlp";
  d.inputDimension = config_.inputDim;
  d.parameterGroups = {{"layers", parameterCount()}};
  return d;
}

at::Tensor MlpRegressor::rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const {
  at::Tensor h = batch.inputs;
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    h = at::linear(h, params[2 * l], params[2 * l + 1]);
    if (l + 1 < layers) h = at::tanh(h);
  }
  return h.reshape({-1});
}

namespace {

/// Tangent pass of the MLP: with a_0 = x, h_l = a_l W_l^T + b_l, a_{l+1} = tanh(h_l),
///   ḣ_l = ȧ_l W_l^T + a_l Ẇ_l^T + ḃ_l,   ȧ_{l+1} = (1 - a_{l+1}^2) ḣ_l,   ȧ_0 = 0.
class MlpLinearization final : public ModelLinearization {
 public:
  MlpLinearization(const std::vector<at::Tensor>& params, const Batch& batch) : params_(params) {
    at::AutoGradMode enableGrad(true);
    at::Tensor a = batch.inputs;
    const size_t layers = params.size() / 2;
    for (size_t l = 0; l < layers; ++l) {
      layerInputs_.push_back(a.detach());
      a = at::linear(a, params[2 * l], params[2 * l + 1]);
      if (l + 1 < layers) {
        a = at::tanh(a);
        tanhSlopes_.push_back(1.0 - a.detach().square());
      }
    }
    graphOutputs_ = a.reshape({-1});
    outputs_ = graphOutputs_.detach();
  }

  const at::Tensor& outputs() const override { return outputs_; }

  std::vector<at::Tensor> vjp(const at::Tensor& u) override { return reverseModeVjp(graphOutputs_, params_, u); }

  at::Tensor jvp(const std::vector<at::Tensor>& g) override {
    at::NoGradGuard noGrad;
    at::Tensor aDot;
    for (size_t l = 0; l < layerInputs_.size(); ++l) {
      at::Tensor hDot = at::linear(layerInputs_[l], g[2 * l], g[2 * l + 1]);
      if (aDot.defined()) hDot.add_(at::linear(aDot, params_[2 * l]));
      aDot = l < tanhSlopes_.size() ? tanhSlopes_[l] * hDot : hDot;
    }
    return aDot.reshape({-1});
  }

 private:
  const std::vector<at::Tensor>& params_;
  std::vector<at::Tensor> layerInputs_, tanhSlopes_;
  at::Tensor graphOutputs_, outputs_;
};

}  // namespace

std::unique_ptr<ModelLinearization> MlpRegressor::linearize(const Batch& batch, const LinearizationOptions&) const {
  if (!observable().isModelOutput()) return nullptr;
  return std::make_unique<MlpLinearization>(params_, batch);
}

}  // namespace shellscope::engine

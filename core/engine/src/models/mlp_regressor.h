#pragma once
// A small tanh MLP regressor R^d -> R: the paper's Section 2 setting (MSE, e = y - f).

#include "models/model_function.h"

namespace shellscope::engine {

struct MlpConfig {
  int inputDim = 8;
  int hiddenDim = 32;
  int hiddenLayers = 2;
};

class MlpRegressor final : public ModelFunction {
 public:
  /// PyTorch's default Linear initialisation (uniform ±1/sqrt(fan_in)), from `seed`.
  MlpRegressor(const MlpConfig& config, std::uint64_t seed,
               std::shared_ptr<const Observable> observable = meanSquaredError());

  const MlpConfig& config() const { return config_; }
  ModelDescription description() const override;
  ModelOutput output() const override { return ModelOutput::Scalar; }
  const std::vector<at::Tensor>& parameters() const override { return params_; }
  const std::vector<std::string>& parameterNames() const override { return names_; }
  /// The prediction for every point, [n].
  at::Tensor rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const override;
  /// The hand-written tangent pass, for observables that are the output itself (mse).
  std::unique_ptr<ModelLinearization> linearize(const Batch& batch,
                                                const LinearizationOptions& options = {}) const override;
  void to(at::Device device, at::ScalarType dtype) override { convertParameters(params_, device, dtype); }

 private:
  MlpConfig config_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
};

}  // namespace shellscope::engine

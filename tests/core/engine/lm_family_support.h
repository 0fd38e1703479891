#pragma once
// Shared checks for the language-model family tests (test_gpt2.cpp, test_llama.cpp): random
// models with non-trivial norms, a fixed sample batch, the operator's products against an
// explicit Jacobian, checkpoint folders written with one change, and a loaded checkpoint's
// spectrum through the ordinary compute path against a dense eigendecomposition.
#include <QtTest>
#include <Eigen/Eigenvalues>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "checkpoints/checkpoint_io.h"
#include "checkpoints/safetensors.h"
#include "jacobian_support.h"
#include "operator/linearization.h"
#include "operator/operators.h"
#include "shellscope/data/token_data.h"
#include "shellscope/engine/compute.h"
#include "test_support.h"

namespace shellscope::test {

/// Weights N(0, std), norm weights 1 + N(0, std), so a reference sees every parameter non-trivially.
template <typename Model, typename Config>
std::unique_ptr<Model> randomFamilyModel(const Config& config, std::uint64_t seed, double std) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  return std::make_unique<Model>(config, [&](const std::string&, const std::vector<std::int64_t>& shape,
                                             engine::TensorRole role) {
    at::Tensor t = at::empty(shape, at::kFloat).normal_(0.0, std, generator);
    return role == engine::TensorRole::NormWeight ? t.add_(1.0) : t;
  });
}

/// Two windows of `length` tokens in [0, vocab).
inline engine::Batch sampleBatch(std::int64_t vocab, std::int64_t length = 7) {
  engine::Batch batch;
  batch.inputs = at::remainder(at::arange(0, 2 * length, at::kLong) * 7 + 3, vocab).view({2, length});
  batch.targets = at::remainder(at::arange(0, 2 * length, at::kLong) * 5 + 1, vocab).view({2, length});
  return batch;
}

inline at::Tensor logProbs(const engine::ModelFunction& model) {
  at::NoGradGuard noGrad;
  return model.outputs(model.parameters(), sampleBatch(model.description().vocabularySize)).detach();
}

/// M u, J^T u and J g of `method` against the explicit Jacobian j of the model on the batch.
inline void checkProductsAgainstJacobian(const engine::ModelFunction& model, const engine::Batch& batch,
                                         const Eigen::MatrixXd& j, JvpMethod method) {
  using namespace shellscope::engine;
  BatchLinearization lin(model, batch, method);
  FunctionSpaceOperator op(lin);
  const Eigen::VectorXd u = randomVector(j.rows(), 1);
  Eigen::VectorXd out(u.size());
  op.apply(u, out);
  SHELLSCOPE_COMPARE_ERROR(relativeError(out, j * (j.transpose() * u) / double(j.rows())), 1e-10);
  const std::vector<at::Tensor> g = lin.vjp(toTensor(u, lin.outputs().options()));
  SHELLSCOPE_COMPARE_ERROR(relativeError(flatten(g), j.transpose() * u), 1e-12);
  const Eigen::VectorXd tangent = randomVector(j.cols(), 5);
  std::vector<at::Tensor> tangentTensors;
  Eigen::Index offset = 0;
  for (const auto& p : model.parameters()) {
    tangentTensors.push_back(toTensor(tangent.segment(offset, p.numel()), p.options()).view(p.sizes()));
    offset += p.numel();
  }
  SHELLSCOPE_COMPARE_ERROR(relativeError(toEigen(lin.jvp(tangentTensors)), j * tangent), 1e-12);
}

using TensorList = std::vector<std::pair<std::string, at::Tensor>>;

/// A float32 model.safetensors folder of `model` with `config` (changed by changeConfig) and its
/// tensors changed by changeTensors.
inline std::string writeChangedFolder(const engine::ModelFunction& model, nlohmann::json config, const std::string& folder,
                                      const std::function<void(nlohmann::json&)>& changeConfig,
                                      const std::function<void(TensorList&)>& changeTensors) {
  std::filesystem::create_directories(folder);
  changeConfig(config);
  std::ofstream(folder + "/config.json") << config.dump(2) << "\n";
  TensorList tensors;
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    tensors.emplace_back(model.parameterNames()[i], model.parameters()[i].detach());
  }
  changeTensors(tensors);
  engine::writeSafetensors(folder + "/model.safetensors", tensors);
  return folder;
}

/// `model` saved to `folder` in `layout` and read back by `compute` (settings.models = {modelPath})
/// on 40 tokens of vocabulary 11 in float64 with m = 20 >= n = 12: the Ritz values with weight equal
/// eigenvalues of the dense J J^T / n of the loaded model. `step` < 0: the series step is not checked.
inline void checkSpectrumThroughCompute(const engine::ModelFunction& model, const std::string& folder,
                                        const std::string& modelPath, const std::string& tokensPath,
                                        CheckpointFiles::Layout layout, at::ScalarType stored, std::int64_t step) {
  using namespace shellscope::engine;
  saveCheckpoint(model, folder, layout, stored);
  std::vector<std::int64_t> tokens;
  for (int i = 0; i < 40; ++i) tokens.push_back((i * 7 + 2) % 11);
  writeNpy(tokensPath, tokens, TokenDType::I32);
  ComputeSettings settings;
  settings.models = {modelPath};
  settings.data = tokensPath;
  settings.batches = 1;
  settings.batchSize = 2;
  settings.seqLen = 6;
  settings.lanczosSteps = 20;
  settings.dtype = ComputeDType::Float64;
  const std::vector<CheckpointEntry> entries = resolveModels(settings);
  QCOMPARE(entries.size(), size_t(1));
  if (step >= 0) QCOMPARE(entries[0].step, step);
  CheckpointComputation computation(settings, entries[0], openComputeData(settings, entries[0].path));
  const BatchSpectrum spectrum = computation.computeBatch(0);

  LoadedCheckpoint loaded = loadCheckpoint(folder, at::kDouble);
  const at::Tensor stream = at::tensor(std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 14)).view({2, 7});
  Batch batch;
  batch.inputs = stream.narrow(1, 0, 6).contiguous();
  batch.targets = stream.narrow(1, 1, 6).contiguous();
  const Eigen::MatrixXd j = jacobianByRows(*loaded.model, batch);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / 12.0);
  int compared = 0;
  for (Eigen::Index i = 0; i < spectrum.ritzValues.size(); ++i) {
    if (spectrum.ritzWeights(i) < 1e-9) continue;
    const double nearest = (dense.eigenvalues().array() - spectrum.ritzValues(i)).abs().minCoeff();
    SHELLSCOPE_COMPARE_ERROR(nearest / spectrum.ritzValues(i), 1e-8);
    ++compared;
  }
  QVERIFY(compared >= 3);
}

}  // namespace shellscope::test

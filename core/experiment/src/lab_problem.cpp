// The lab's model on its fixed points (lab_problem.h): f_α, e, L, the gradient step and the exact
// Jacobian J = ∂f_α/∂θ, whose rows make M = J Jᵀ/n (docs/lab.md, "The driver").
#include "lab_problem.h"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "compute/batch_source.h"
#include "models/builtin_models.h"
#include "models/gpt_neox.h"
#include "models/mlp_regressor.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/experiment/synthetic_language.h"

namespace shellscope::engine {

namespace {
/// Points per group of the regressor's Jacobian (each group is one small graph).
constexpr std::int64_t kRegressorGroup = 32;
}  // namespace

LabProblem::LabProblem(std::unique_ptr<ModelFunction> model, Batch points, double outputScale, bool scaleRawOutput,
                       Batch heldOut)
    : model_(std::move(model)), alpha_(outputScale), scaleRaw_(scaleRawOutput) {
  model_->to(at::kCPU, at::kDouble);
  train_ = record(std::move(points));
  if (heldOut.inputs.defined()) heldOut_ = record(std::move(heldOut));
}

LabProblem::PointSet LabProblem::record(Batch points) const {
  PointSet set;
  set.points = std::move(points);
  if (set.points.inputs.is_floating_point()) set.points.inputs = set.points.inputs.to(at::kDouble);
  if (set.points.targets.is_floating_point()) set.points.targets = set.points.targets.to(at::kDouble);
  at::NoGradGuard noGrad;
  set.raw0 = model_->rawOutputs(model_->parameters(), set.points).detach();
  set.f0 = model_->observable().value(set.raw0, set.points.targets).detach();
  // Independent groups of points: a language model's windows (rows), chunks of the regressor's points.
  const bool tokens = model_->output() == ModelOutput::Logits;
  const std::int64_t rows = set.points.inputs.size(0);
  const std::int64_t perGroup = tokens ? 1 : kRegressorGroup;
  const std::int64_t pointsPerRow = tokens ? set.points.targets.size(1) : 1;
  for (std::int64_t r = 0; r < rows; r += perGroup) {
    const std::int64_t count = std::min(perGroup, rows - r);
    Group g;
    g.batch.index = set.points.index;
    g.batch.inputs = set.points.inputs.narrow(0, r, count);
    g.batch.targets = set.points.targets.narrow(0, r, count);
    g.raw0 = set.raw0.narrow(0, r, count);
    g.first = r * pointsPerRow;
    g.f0 = set.f0.narrow(0, g.first, count * pointsPerRow);
    set.groups.push_back(std::move(g));
  }
  return set;
}

const LabProblem::PointSet& LabProblem::heldOutSet() const {
  if (!hasHeldOut()) throw std::logic_error("this lab problem has no held-out points");
  return heldOut_;
}

at::Tensor LabProblem::scaledOutputs(const at::Tensor& raw, const at::Tensor& raw0, const at::Tensor& f0,
                                     const at::Tensor& targets) const {
  const Observable& observable = model_->observable();
  if (alpha_ == 1.0) return observable.value(raw, targets);
  if (scaleRaw_) return observable.value((raw - raw0) * alpha_ + raw0, targets);
  return (observable.value(raw, targets) - f0) * alpha_ + f0;
}

at::Tensor LabProblem::outputsOf(const PointSet& set, const std::vector<at::Tensor>& params) const {
  return scaledOutputs(model_->rawOutputs(params, set.points), set.raw0, set.f0, set.points.targets);
}

at::Tensor LabProblem::outputs(const std::vector<at::Tensor>& params) const { return outputsOf(train_, params); }

at::Tensor LabProblem::errors(const at::Tensor& f) const { return model_->observable().error(f, train_.points.targets); }

at::Tensor LabProblem::loss(const at::Tensor& e, lab::Objective objective) {
  return objective == lab::Objective::MseOfError ? 0.5 * e.square().mean() : e.mean();
}

Eigen::VectorXd LabProblem::errorVectorOf(const PointSet& set) const {
  at::NoGradGuard noGrad;
  const at::Tensor f = outputsOf(set, model_->parameters());
  const at::Tensor e = model_->observable().error(f, set.points.targets).to(at::kDouble).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(e.data_ptr<double>(), e.numel());
}

Eigen::VectorXd LabProblem::errorVector() const { return errorVectorOf(train_); }

Eigen::VectorXd LabProblem::heldOutErrorVector() const { return errorVectorOf(heldOutSet()); }

double LabProblem::currentLoss(lab::Objective objective) const {
  at::NoGradGuard noGrad;
  return loss(errors(outputs(model_->parameters())), objective).item<double>();
}

double LabProblem::gradientStep(lab::Objective objective, double stepSize, const std::vector<std::int64_t>& rows,
                                double momentum) {
  const std::vector<at::Tensor>& params = model_->parameters();
  at::Tensor value;
  std::vector<at::Tensor> grads;
  {
    at::AutoGradMode enableGrad(true);
    at::Tensor e = errors(outputs(params));
    if (!rows.empty()) {
      // The points of the chosen rows: row r holds points r·L .. r·L + L − 1 (L = 1 for the regressor).
      const std::int64_t perRow = e.numel() / rowCount();
      std::vector<std::int64_t> picked;
      for (std::int64_t r : rows) {
        for (std::int64_t i = 0; i < perRow; ++i) picked.push_back(r * perRow + i);
      }
      e = e.index_select(0, at::tensor(picked, at::kLong));
    }
    value = loss(e, objective);
    grads = torch::autograd::grad({value}, params, {}, false, false, /*allow_unused=*/true);
  }
  at::NoGradGuard noGrad;
  if (momentum > 0 && velocity_.empty()) {
    for (const at::Tensor& p : params) velocity_.push_back(at::zeros_like(p));
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (!grads[k].defined()) continue;
    if (momentum > 0) {
      velocity_[k].mul_(momentum).add_(grads[k]);
      params[k].sub_(velocity_[k], stepSize);
    } else {
      params[k].sub_(grads[k], stepSize);
    }
  }
  return value.item<double>();
}

at::Tensor LabProblem::jacobian(const ProgressToken& progress) const { return jacobianOf(train_, progress); }

at::Tensor LabProblem::heldOutJacobian(const ProgressToken& progress) const { return jacobianOf(heldOutSet(), progress); }

at::Tensor LabProblem::jacobianOf(const PointSet& set, const ProgressToken& progress) const {
  const std::vector<at::Tensor>& params = model_->parameters();
  const std::int64_t n = set.points.pointCount();
  at::Tensor j = at::zeros({n, parameterCount()}, at::TensorOptions().dtype(at::kDouble));
  at::AutoGradMode enableGrad(true);
  std::int64_t done = 0;
  for (const Group& g : set.groups) {
    const at::Tensor f = scaledOutputs(model_->rawOutputs(params, g.batch), g.raw0, g.f0, g.batch.targets);
    const std::int64_t m = f.numel();
    for (std::int64_t i = 0; i < m; ++i) {
      progress.throwIfCancelled();
      const auto grads = torch::autograd::grad({f[i]}, params, {}, /*retain_graph=*/i + 1 < m, false, true);
      at::Tensor row = j[g.first + i];
      std::int64_t offset = 0;
      for (std::size_t k = 0; k < params.size(); ++k) {
        const std::int64_t size = params[k].numel();
        if (grads[k].defined()) row.narrow(0, offset, size).copy_(grads[k].detach().reshape({-1}));
        offset += size;
      }
      if (++done % 16 == 0) progress.report(static_cast<double>(done) / n, "Jacobian");
    }
  }
  return j;
}

Eigen::MatrixXd LabProblem::gram(const at::Tensor& jacobian) {
  at::NoGradGuard noGrad;
  const std::int64_t n = jacobian.size(0);
  const at::Tensor m = (jacobian.mm(jacobian.t()) / static_cast<double>(n)).contiguous();
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(m.data_ptr<double>(), n, n);
}

Eigen::MatrixXd LabProblem::crossKernel(const at::Tensor& heldOutJacobian, const at::Tensor& jacobian) {
  at::NoGradGuard noGrad;
  const at::Tensor k = heldOutJacobian.mm(jacobian.t()).contiguous();
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(k.data_ptr<double>(), k.size(0), k.size(1));
}

std::vector<std::int64_t> characterTokens(const std::string& text) {
  std::vector<std::int64_t> ids;
  ids.reserve(text.size());
  for (const char raw : text) {
    const int c = std::tolower(static_cast<unsigned char>(raw));
    if (c == ' ') ids.push_back(1);
    else if (c == '.') ids.push_back(2);
    else if (c == ',') ids.push_back(3);
    else if (c >= 'a' && c <= 'z') ids.push_back(4 + (c - 'a'));
    else ids.push_back(0);
  }
  return ids;
}

namespace {

std::string nameOf(const std::string& spec) {
  return spec.rfind(kBuiltinPrefix, 0) == 0 ? spec.substr(std::string(kBuiltinPrefix).size()) : spec;
}

GptNeoxConfig labLmConfig(const std::string& name, int seqLen) {
  GptNeoxConfig c;
  if (name == "nano-lm") {  // ~7.6k parameters
    c.vocabSize = 32;
    c.hiddenSize = 16;
    c.numLayers = 2;
    c.numHeads = 2;
    c.intermediateSize = 64;
  } else {
    c = builtinLmConfig(name);  // tiny-lm: ~35k parameters, vocabulary 64
  }
  c.maxPositions = std::max<std::int64_t>(256, seqLen);
  return c;
}

}  // namespace

LabSetup makeLabSetup(const std::string& model, int points, int seqLen, std::uint64_t seed, int heldOutPoints,
                      double labelNoise) {
  const std::string name = nameOf(model);
  LabSetup setup;
  setup.modelName = name;
  if (name == "mlp") {
    setup.model = makeBuiltinModel("builtin:mlp", seed);
    const int inputs = static_cast<int>(setup.model->description().inputDimension);
    RegressionSource source(inputs, 1, points, seed);
    setup.points = source.batch(0, at::kDouble);
    setup.dataSource = source.description() + ", " + std::to_string(points) + " points";
    if (labelNoise > 0) {
      std::mt19937_64 rng(seed ^ 0x6c6162656c6e6f69ull);  // "labelnoi"
      std::normal_distribution<double> normal(0.0, labelNoise);
      double* y = setup.points.targets.data_ptr<double>();
      for (std::int64_t i = 0; i < setup.points.targets.numel(); ++i) y[i] += normal(rng);
      char text[64];
      std::snprintf(text, sizeof text, ", label noise N(0, %g^2)", labelNoise);
      setup.dataSource += text;
    }
    if (heldOutPoints > 0) {
      // Batch 1 of the same task: other inputs, the same target function, clean targets.
      setup.heldOut = RegressionSource(inputs, 2, heldOutPoints, seed).batch(1, at::kDouble);
      setup.heldOutSource = source.description() + ", " + std::to_string(heldOutPoints) +
                            " other points (batch 1), clean targets";
    }
    return setup;
  }
  if (name != "nano-lm" && name != "tiny-lm") {
    throw SettingError("model", "'" + model + "' is not a lab model (known: builtin:mlp, builtin:nano-lm, builtin:tiny-lm)");
  }
  if (labelNoise > 0) throw SettingError("label_noise", "needs the regressor (builtin:mlp)");
  const std::int64_t windows = points / seqLen, heldWindows = heldOutPoints / seqLen;
  const std::int64_t need = (windows + heldWindows) * (seqLen + 1);
  SyntheticLanguageOptions options;
  options.seed = seed;
  options.targetBytes = static_cast<std::size_t>(need) + 4096;
  const SyntheticCorpus corpus = generateSyntheticLanguage(options);
  std::string text;
  for (const std::string& document : corpus.documents) {
    text += document;
    text += '\n';
    if (static_cast<std::int64_t>(text.size()) >= need) break;
  }
  if (static_cast<std::int64_t>(text.size()) < need) throw std::runtime_error("the synthetic language is too short");
  const std::vector<std::int64_t> ids = characterTokens(text.substr(0, static_cast<std::size_t>(need)));
  at::Tensor all = at::empty({windows + heldWindows, seqLen + 1}, at::kLong);
  std::copy(ids.begin(), ids.end(), all.data_ptr<std::int64_t>());
  const at::Tensor train = all.narrow(0, 0, windows);
  setup.points.inputs = train.narrow(1, 0, seqLen).contiguous();
  setup.points.targets = train.narrow(1, 1, seqLen).contiguous();
  setup.model = GptNeoxModel::randomlyInitialised(labLmConfig(name, seqLen), seed);
  const std::string language = corpus.description.substr(0, corpus.description.find(',')) + "), characters as " +
                               std::to_string(kCharacterVocabulary) + " tokens, ";
  setup.dataSource = language + std::to_string(windows) + " windows of " + std::to_string(seqLen) + "+1 from the start";
  if (heldWindows > 0) {
    const at::Tensor held = all.narrow(0, windows, heldWindows);
    setup.heldOut.index = 1;
    setup.heldOut.inputs = held.narrow(1, 0, seqLen).contiguous();
    setup.heldOut.targets = held.narrow(1, 1, seqLen).contiguous();
    setup.heldOutSource = language + std::to_string(heldWindows) + " windows of " + std::to_string(seqLen) +
                          "+1 after the training windows";
  }
  return setup;
}

}  // namespace shellscope::engine

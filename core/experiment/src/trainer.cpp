#include "trainer.h"

#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoints/safetensors.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

namespace {

class CrossEntropy final : public TrainingObjective {
 public:
  std::string name() const override { return "cross-entropy"; }
  at::Tensor loss(const ModelFunction& model, const std::vector<at::Tensor>& params, const Batch& batch) const override {
    if (model.output() != ModelOutput::Logits) throw std::invalid_argument("cross-entropy needs a model with logits");
    const at::Tensor logProbs = at::log_softmax(model.rawOutputs(params, batch), -1);
    return -logProbs.gather(-1, batch.targets.unsqueeze(-1)).reshape({-1}).mean();
  }
};

}  // namespace

std::shared_ptr<const TrainingObjective> crossEntropy() {
  static const auto objective = std::make_shared<const CrossEntropy>();
  return objective;
}

double learningRateAt(const TrainerSettings& s, int step) {
  if (step < s.warmupSteps) return s.maxLearningRate * (step + 1) / s.warmupSteps;
  const double progress = std::min(1.0, static_cast<double>(step - s.warmupSteps) /
                                            std::max(1, s.steps - s.warmupSteps));
  return s.minLearningRate + 0.5 * (s.maxLearningRate - s.minLearningRate) * (1.0 + std::cos(M_PI * progress));
}

Trainer::Trainer(ModelFunction& model, std::shared_ptr<const TokenStream> rows, int seqLen, TrainerSettings settings,
                 std::shared_ptr<const TrainingObjective> objective)
    : model_(model), objective_(std::move(objective)), rows_(std::move(rows)), seqLen_(seqLen), settings_(settings) {
  if (rows_->rowCount() < settings.batchSize) {
    throw std::invalid_argument(rows_->description() + ": fewer rows than one training batch");
  }
  for (const at::Tensor& p : model_.parameters()) {
    firstMoment_.push_back(at::zeros_like(p));
    secondMoment_.push_back(at::zeros_like(p));
  }
}

Batch Trainer::batchForStep(int step) const {
  const std::int64_t B = settings_.batchSize, window = seqLen_ + 1;
  at::Tensor windows = at::empty({B, window}, at::kLong);
  for (std::int64_t j = 0; j < B; ++j) {
    const std::int64_t row = (static_cast<std::int64_t>(step) * B + j) % rows_->rowCount();
    if (rows_->rowLength(row) < window) throw std::invalid_argument(rows_->description() + ": a training row is too short");
    rows_->read(rows_->rowStart(row), window, windows.data_ptr<std::int64_t>() + j * window);
  }
  Batch batch;
  batch.index = step;
  batch.inputs = windows.narrow(1, 0, seqLen_).contiguous();
  batch.targets = windows.narrow(1, 1, seqLen_).contiguous();
  return batch;
}

void Trainer::trainStep() {
  const auto& params = model_.parameters();
  const Batch batch = batchForStep(step_);
  at::Tensor loss;
  std::vector<at::Tensor> grads;
  {
    at::AutoGradMode enableGrad(true);
    loss = objective_->loss(model_, params, batch);
    grads = torch::autograd::grad({loss}, params);
  }
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> squares;
  for (const auto& g : grads) squares.push_back(g.square().sum());
  const double norm = std::sqrt(at::stack(squares).sum().item<double>());
  const double clip = norm > settings_.clipNorm ? settings_.clipNorm / (norm + 1e-6) : 1.0;
  const double lr = learningRateAt(settings_, step_);
  const int t = step_ + 1;
  const double correction1 = 1.0 - std::pow(settings_.beta1, t), correction2 = 1.0 - std::pow(settings_.beta2, t);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const at::Tensor g = grads[i] * clip;
    firstMoment_[i].mul_(settings_.beta1).add_(g, 1.0 - settings_.beta1);
    secondMoment_[i].mul_(settings_.beta2).addcmul_(g, g, 1.0 - settings_.beta2);
    const at::Tensor denominator = (secondMoment_[i] / correction2).sqrt_().add_(settings_.epsilon);
    at::Tensor p = params[i];
    if (p.dim() >= 2) p.mul_(1.0 - lr * settings_.weightDecay);  // decoupled decay on weight matrices
    p.addcdiv_(firstMoment_[i], denominator, -lr / correction1);
  }
  log_.push_back({step_, loss.item<double>(), lr});
  ++step_;
}

void Trainer::saveState(const std::string& path) const {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (std::size_t i = 0; i < firstMoment_.size(); ++i) {
    tensors.emplace_back("m." + model_.parameterNames()[i], firstMoment_[i]);
    tensors.emplace_back("v." + model_.parameterNames()[i], secondMoment_[i]);
  }
  nlohmann::json log = nlohmann::json::array();
  for (const auto& e : log_) log.push_back({e.step, e.loss, e.learningRate});
  const std::string temporary = path + ".tmp";
  writeSafetensors(temporary, tensors, {{"step", std::to_string(step_)}, {"log", log.dump()}});
  if (std::rename(temporary.c_str(), path.c_str()) != 0) throw FileFormatError(path, "cannot replace the trainer state");
}

void Trainer::loadState(const std::string& path) {
  std::map<std::string, std::string> metadata;
  const std::vector<StoredTensor> tensors = readSafetensors(path, &metadata);
  std::map<std::string, const StoredTensor*> byName;
  for (const auto& t : tensors) byName[t.name] = &t;
  for (std::size_t i = 0; i < firstMoment_.size(); ++i) {
    for (auto [prefix, target] : {std::make_pair("m.", &firstMoment_[i]), std::make_pair("v.", &secondMoment_[i])}) {
      const auto found = byName.find(prefix + model_.parameterNames()[i]);
      if (found == byName.end()) throw FileFormatError(path, "trainer state lacks " + std::string(prefix) + model_.parameterNames()[i]);
      *target = found->second->load().to(target->options()).clone();
    }
  }
  try {
    step_ = std::stoi(metadata.at("step"));
    log_.clear();
    for (const auto& e : nlohmann::json::parse(metadata.at("log"))) {
      log_.push_back({e[0].get<int>(), e[1].get<double>(), e[2].get<double>()});
    }
  } catch (const std::exception& e) {
    throw FileFormatError(path, std::string("bad trainer state metadata: ") + e.what());
  }
}

}  // namespace shellscope::engine

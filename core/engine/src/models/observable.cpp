// The two observables (observable.h). For lm-logprob the logit gradient is g_i = e_{y_i} - p_i with
// p_i = softmax(z_i), so (G G^T)(i, j) = δ(y_i, y_j) - p_j[y_i] - p_i[y_j] + p_i · p_j,
// a_i = W[y_i] - p_i^T W and ḟ_i = ż_i[y_i] - p_i · ż_i. Verified against the explicit Jacobian in
// tests/core/engine/test_operator.cpp (outputLayerSplitIsExact).
#include "models/observable.h"

#include <stdexcept>

namespace shellscope::engine {

namespace {

/// Rows of the vocabulary-sized tensors handled at once, to bound the transient memory.
constexpr std::int64_t kVocabularyChunk = 256;

/// Log-probabilities, p and the logit Gram block are computed in float32 for a bfloat16 or
/// float16 model (as its matrix products accumulate), in the model's dtype otherwise.
at::ScalarType accumulationType(at::ScalarType model) {
  return model == at::kBFloat16 || model == at::kHalf ? at::kFloat : model;
}

class LogProbLinearization final : public LogitLinearization {
 public:
  /// Logits, f and p in chunks of rows; the [n, V] logits never exist at once.
  LogProbLinearization(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets)
      : targets_(targets.reshape({-1})) {
    const std::int64_t n = hidden.size(0);
    const at::TensorOptions options = hidden.options().dtype(accumulationType(hidden.scalar_type()));
    probabilities_ = at::empty({n, weight.size(0)}, options);
    values_ = at::empty({n}, options);
    for (std::int64_t start = 0; start < n; start += kVocabularyChunk) {
      const std::int64_t count = std::min(kVocabularyChunk, n - start);
      const at::Tensor logProbs =
          at::log_softmax(at::matmul(hidden.narrow(0, start, count), weight.t()), 1, options.dtype().toScalarType());
      values_.narrow(0, start, count).copy_(logProbs.gather(1, targets_.narrow(0, start, count).unsqueeze(1)).squeeze(1));
      probabilities_.narrow(0, start, count).copy_(logProbs.exp());
    }
  }

  const at::Tensor& values() const override { return values_; }

  at::Tensor hiddenSlope(const at::Tensor& weight) const override {
    return weight.index_select(0, targets_) - at::matmul(probabilities_, weight.to(probabilities_.scalar_type())).to(weight.scalar_type());
  }

  at::Tensor logitGram() const override {
    const at::Tensor atTargets = probabilities_.index_select(1, targets_);  // (i, j) = p_i[y_j]
    const at::Tensor sameTarget = targets_.unsqueeze(1).eq(targets_.unsqueeze(0)).to(probabilities_.scalar_type());
    return sameTarget - atTargets - atTargets.t() + at::matmul(probabilities_, probabilities_.t());
  }

  at::Tensor weightGradient(const at::Tensor& rows, const at::Tensor& weight) const override {
    at::Tensor gradient = at::zeros_like(weight).index_add_(0, targets_, rows.to(weight.scalar_type()));
    return gradient.sub_(at::matmul(probabilities_.t(), rows.to(probabilities_.scalar_type())).to(weight.scalar_type()));
  }

  at::Tensor tangent(const at::Tensor& logitsDot, std::int64_t start, std::int64_t count) const override {
    const at::Tensor atTarget = logitsDot.gather(1, targets_.narrow(0, start, count).unsqueeze(1)).squeeze(1);
    return (atTarget - (probabilities_.narrow(0, start, count) * logitsDot).sum(1)).to(logitsDot.scalar_type());
  }

 private:
  at::Tensor targets_;        ///< y, [n]
  at::Tensor values_;         ///< f, [n]
  at::Tensor probabilities_;  ///< p, [n, V]
};

class LanguageModelLogProb final : public Observable {
 public:
  std::string name() const override { return "lm-logprob"; }
  ModelOutput reads() const override { return ModelOutput::Logits; }
  TargetKind targets() const override { return TargetKind::TokenIds; }
  at::Tensor value(const at::Tensor& logits, const at::Tensor& targets) const override {
    const at::Tensor logProbs = at::log_softmax(logits, -1, accumulationType(logits.scalar_type()));
    return logProbs.gather(-1, targets.unsqueeze(-1)).reshape({-1});
  }
  at::Tensor error(const at::Tensor& f, const at::Tensor&) const override { return -f; }
  bool linearizesAtLogits() const override { return true; }
  std::unique_ptr<LogitLinearization> linearizeAtLogits(const at::Tensor& hidden, const at::Tensor& weight,
                                                         const at::Tensor& targets) const override {
    return std::make_unique<LogProbLinearization>(hidden, weight, targets);
  }
};

class MeanSquaredError final : public Observable {
 public:
  std::string name() const override { return "mse"; }
  ModelOutput reads() const override { return ModelOutput::Scalar; }
  TargetKind targets() const override { return TargetKind::RealValues; }
  at::Tensor value(const at::Tensor& output, const at::Tensor&) const override { return output.reshape({-1}); }
  at::Tensor error(const at::Tensor& f, const at::Tensor& targets) const override {
    return targets.reshape({-1}).to(f.scalar_type()) - f;
  }
  bool isModelOutput() const override { return true; }
};

}  // namespace

std::unique_ptr<LogitLinearization> Observable::linearizeAtLogits(const at::Tensor&, const at::Tensor&,
                                                                  const at::Tensor&) const {
  throw std::logic_error("observable '" + name() + "' has no linearisation at the logits");
}

std::shared_ptr<const Observable> languageModelLogProb() {
  static const auto observable = std::make_shared<const LanguageModelLogProb>();
  return observable;
}

std::shared_ptr<const Observable> meanSquaredError() {
  static const auto observable = std::make_shared<const MeanSquaredError>();
  return observable;
}

std::shared_ptr<const Observable> observableNamed(const std::string& name) {
  for (const auto& observable : {languageModelLogProb(), meanSquaredError()}) {
    if (observable->name() == name) return observable;
  }
  throw std::invalid_argument("unknown observable '" + name + "' (known: lm-logprob, mse)");
}

}  // namespace shellscope::engine

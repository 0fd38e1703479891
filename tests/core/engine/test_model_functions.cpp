// The model functions and their data: windows cut exactly as science.md §1 says, bad token ids
// rejected before compute, deterministic synthetic data, and a GPT-NeoX that is a causal LM whose
// outputs are log-probabilities of the targets.
#include <set>

#include "compute/batch_source.h"
#include "models/builtin_models.h"
#include "models/synthetic_data.h"
#include "jacobian_support.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::messageOf;

namespace {

std::shared_ptr<InMemoryTokenStream> countingStream(std::int64_t length) {
  std::vector<std::int64_t> tokens(static_cast<size_t>(length));
  for (std::int64_t i = 0; i < length; ++i) tokens[static_cast<size_t>(i)] = i;
  return std::make_shared<InMemoryTokenStream>(tokens, "counting");
}


}  // namespace

class TestModelFunctions : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void windowsAreCutInOrderWithoutOverlap() {
    // Window k = tokens[k(L+1) .. k(L+1)+L]; batch b = windows bB .. bB+B-1.
    const TokenWindowSource source(countingStream(100), 2, 3, 4, 1000);
    const Batch batch = source.batch(1, at::kFloat);
    QCOMPARE(batch.inputs.sizes(), at::IntArrayRef({3, 4}));
    for (std::int64_t w = 0; w < 3; ++w) {
      const std::int64_t start = (3 + w) * 5;
      for (std::int64_t t = 0; t < 4; ++t) {
        QCOMPARE(batch.inputs[w][t].item<std::int64_t>(), start + t);
        QCOMPARE(batch.targets[w][t].item<std::int64_t>(), start + t + 1);
      }
    }
    QCOMPARE(batch.pointCount(), std::int64_t(12));
  }

  void outOfVocabularyTokenIsRejectedUpFront() {
    std::vector<std::int64_t> tokens(60, 3);
    tokens[13] = 70;
    auto stream = std::make_shared<InMemoryTokenStream>(tokens, "tokens.bin");
    const QString message = messageOf([&] { TokenWindowSource(stream, 2, 2, 9, 64); });
    QVERIFY2(message.contains("tokens.bin: token id 70 at position 13 is outside the model's vocabulary [0, 64)"),
             qPrintable(message));
    tokens[13] = -1;
    stream = std::make_shared<InMemoryTokenStream>(tokens, "tokens.bin");
    QVERIFY(messageOf([&] { TokenWindowSource(stream, 2, 2, 9, 64); }).contains("token id -1"));
  }

  void tooShortStreamIsRejected() {
    const QString message = messageOf([&] { TokenWindowSource(countingStream(50), 3, 4, 4, 1000); });
    QVERIFY2(message.contains("need 60 tokens, the data has 50"), qPrintable(message));
  }

  void markovStreamIsDeterministicAndStructured() {
    const auto a = markovTokenStream(64, 20000, 1);
    QCOMPARE(markovTokenStream(64, 20000, 1), a);
    QVERIFY(markovTokenStream(64, 20000, 2) != a);
    // Conditional entropy H(next | current) is far below log(64): there is structure to learn.
    std::vector<std::vector<double>> counts(64, std::vector<double>(64, 0.0));
    for (size_t i = 0; i + 1 < a.size(); ++i) counts[static_cast<size_t>(a[i])][static_cast<size_t>(a[i + 1])] += 1;
    double entropy = 0;
    for (const auto& row : counts) {
      double total = 0;
      for (double c : row) total += c;
      for (double c : row) {
        if (c > 0) entropy -= c / double(a.size() - 1) * std::log(c / total);
      }
    }
    QVERIFY2(entropy < 0.5 * std::log(64.0), qPrintable(QString::number(entropy)));
  }

  void regressionBatchesDependOnlyOnSeedAndIndex() {
    const RegressionSource few(8, 2, 16, 5), many(8, 10, 16, 5);
    QVERIFY(at::equal(few.batch(1, at::kDouble).inputs, many.batch(1, at::kDouble).inputs));
    QVERIFY(at::equal(few.batch(1, at::kDouble).targets, many.batch(1, at::kDouble).targets));
    QVERIFY(!at::equal(few.batch(0, at::kDouble).inputs, few.batch(1, at::kDouble).inputs));
  }

  void builtinLmsHaveTheGptNeoxParameterLayout() {
    for (const char* name : {"tiny-lm", "small-lm", "base-lm"}) {
      const GptNeoxConfig c = builtinLmConfig(name);
      const std::int64_t H = c.hiddenSize, I = c.intermediateSize, V = c.vocabSize;
      const std::int64_t perLayer = 4 * H + (3 * H * H + 3 * H) + (H * H + H) + (I * H + I) + (H * I + H);
      auto model = makeBuiltinModel(std::string("builtin:") + name, 0);
      QCOMPARE(model->parameterCount(), 2 * V * H + c.numLayers * perLayer + 2 * H);
      QCOMPARE(model->parameterNames().front(), std::string("gpt_neox.embed_in.weight"));
      QCOMPARE(model->parameterNames().back(), std::string("embed_out.weight"));
    }
    QVERIFY(messageOf([] { makeBuiltinModel("builtin:huge-lm", 0); }).contains("known: builtin:tiny-lm"));
  }

  void lmOutputsAreTargetLogProbabilities() {
    auto model = GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(), 3);
    model->to(at::kCPU, at::kDouble);
    auto data = makeBuiltinData(*model, 1, 2, 6, 4);
    const Batch batch = data->batch(0, at::kDouble);
    const at::Tensor f = model->outputs(model->parameters(), batch).detach();
    const at::Tensor logits = model->logits(model->parameters(), batch.inputs).detach();
    // f_i = z_i[y_i] - log Σ_v exp z_i[v], written out plainly.
    for (std::int64_t w = 0; w < 2; ++w) {
      for (std::int64_t t = 0; t < 6; ++t) {
        double sum = 0;
        for (std::int64_t v = 0; v < logits.size(2); ++v) sum += std::exp(logits[w][t][v].item<double>());
        const double expected = logits[w][t][batch.targets[w][t].item<std::int64_t>()].item<double>() - std::log(sum);
        QVERIFY(std::abs(f[w * 6 + t].item<double>() - expected) < 1e-12);
      }
    }
  }

  void lmIsCausal() {
    auto model = GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(), 3);
    model->to(at::kCPU, at::kDouble);
    Batch batch;
    batch.inputs = at::arange(1, 7, at::kLong).unsqueeze(0);
    batch.targets = at::remainder(at::arange(2, 8, at::kLong), 7).unsqueeze(0);
    const at::Tensor before = model->outputs(model->parameters(), batch).detach();
    batch.inputs[0][4] = 0;  // change the input at position 4 only
    const at::Tensor after = model->outputs(model->parameters(), batch).detach();
    QVERIFY(at::equal(before.narrow(0, 0, 4), after.narrow(0, 0, 4)));  // positions < 4 cannot see it
    QVERIFY(!at::allclose(before.narrow(0, 4, 2), after.narrow(0, 4, 2)));
  }

  void mlpErrorIsTargetMinusOutput() {
    auto model = makeBuiltinModel("builtin:mlp", 2);
    model->to(at::kCPU, at::kDouble);
    auto data = makeBuiltinData(*model, 1, 2, 8, 2);
    const Batch batch = data->batch(0, at::kDouble);
    const at::Tensor f = model->outputs(model->parameters(), batch).detach();
    QCOMPARE(f.numel(), std::int64_t(16));
    QVERIFY(at::allclose(model->errors(f, batch), batch.targets - f));
    QCOMPARE(model->observable().name(), std::string("mse"));
    QVERIFY(model->observable().targets() == TargetKind::RealValues);
  }

  void descriptionsCountEveryParameterOnce() {
    for (const char* name : {"builtin:tiny-lm", "builtin:mlp"}) {
      const auto model = makeBuiltinModel(name, 1);
      const ModelDescription d = model->description();
      std::int64_t total = 0;
      for (const ParameterGroup& g : d.parameterGroups) {
        QVERIFY(g.count > 0);
        total += g.count;
      }
      QCOMPARE(total, model->parameterCount());
    }
    const auto lm = GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(), 1);
    const ModelDescription d = lm->description();
    QCOMPARE(d.family, std::string("gpt_neox"));
    QCOMPARE(d.vocabularySize, std::int64_t(7));
    QCOMPARE(d.parameterGroups.back().name, std::string("output"));
    QCOMPARE(d.parameterGroups.back().count, std::int64_t(7 * 8));  // embed_out [V, H]
    QCOMPARE(d.parameterGroups.front().count, std::int64_t(7 * 8));  // embed_in
  }

  void invalidConfigsAreRejected() {
    GptNeoxConfig c = shellscope::test::microLmConfig();
    c.numHeads = 3;  // 8 is not a multiple of 3
    QVERIFY(messageOf([&] { c.validate(); }).contains("multiple of num_attention_heads"));
  }
};

QTEST_APPLESS_MAIN(TestModelFunctions)
#include "test_model_functions.moc"

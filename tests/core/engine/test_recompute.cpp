// Activation recompute (compute --recompute-activations, models/recomputed_body.h): keeping only
// each layer's input and running the layers again in every product gives the products of the
// kept activations, on tiny random GPT-NeoX (parallel, sequential, no bias), GPT-2 (tied) and
// Llama / OLMo 2 (tied, untied) models: J^T u, J g, the split's J_r J_r^T u and M u, in float64
// (to 1e-14 relative; measured: bitwise) and float32 (to 1e-6; measured: bitwise), and a full
// Lanczos run from e gives the same Ritz values and weights.
#include "lm_family_support.h"
#include "models/gpt2.h"
#include "models/gpt_neox.h"
#include "models/llama.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::randomVector;

namespace {

std::unique_ptr<ModelFunction> makeModel(const QString& name) {
  if (name.startsWith("neox")) {
    return GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(name != "neox-sequential", name != "neox-no-bias"), 5);
  }
  if (name == "gpt2") {
    Gpt2Config c;
    c.vocabSize = 11;
    c.hiddenSize = 8;
    c.numLayers = 2;
    c.numHeads = 2;
    c.maxPositions = 9;
    c.initializerRange = 0.4;
    return shellscope::test::randomFamilyModel<Gpt2Model>(c, 3, c.initializerRange);
  }
  LlamaConfig c;
  c.vocabSize = 11;
  c.hiddenSize = 8;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKeyValueHeads = 2;
  c.intermediateSize = 12;
  c.maxPositions = 16;
  c.ropeTheta = 500.0;
  c.attentionBias = true;
  c.mlpBias = !name.startsWith("olmo2");
  c.tieWordEmbeddings = name.endsWith("tied") && !name.endsWith("untied");
  c.initializerRange = 0.4;
  if (name.startsWith("olmo2")) c.variant = LlamaConfig::Variant::Olmo2;
  return shellscope::test::randomFamilyModel<LlamaModel>(c, 4, c.initializerRange);
}

std::vector<at::Tensor> randomTangent(const ModelFunction& model, unsigned seed) {
  std::vector<at::Tensor> tangent;
  for (const auto& p : model.parameters()) {
    tangent.push_back(toTensor(randomVector(p.numel(), seed++), p.options()).view(p.sizes()));
  }
  return tangent;
}

/// max |a - b| / max |b|, and whether every entry is bitwise equal.
struct Difference {
  double relative = 0.0;
  bool bitwise = true;
};
Difference compare(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.detach().to(at::kDouble), y = b.detach().to(at::kDouble);
  const double scale = std::max(y.abs().max().item<double>(), 1e-300);
  return {(x - y).abs().max().item<double>() / scale, at::equal(a.detach(), b.detach())};
}

}  // namespace

class TestRecompute : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void productsMatchKeptActivations_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("float64");
    for (const char* m : {"neox-parallel", "neox-sequential", "neox-no-bias", "gpt2", "llama-gqa-tied",
                          "llama-mha-untied", "olmo2-gqa-tied", "olmo2-untied"}) {
      QTest::newRow((std::string(m) + " float64").c_str()) << QString(m) << true;
      QTest::newRow((std::string(m) + " float32").c_str()) << QString(m) << false;
    }
  }
  void productsMatchKeptActivations() {
    QFETCH(QString, model);
    QFETCH(bool, float64);
    const at::ScalarType dtype = float64 ? at::kDouble : at::kFloat;
    const double tolerance = float64 ? 1e-14 : 1e-6;
    auto m = makeModel(model);
    m->to(at::kCPU, dtype);
    Batch batch = shellscope::test::sampleBatch(m->description().vocabularySize);
    BatchLinearization kept(*m, batch, JvpMethod::ForwardMode, false);
    BatchLinearization recomputed(*m, batch, JvpMethod::ForwardMode, true);
    QVERIFY(compare(recomputed.outputs(), kept.outputs()).bitwise);

    const at::Tensor u = toTensor(randomVector(kept.pointCount(), 7), kept.outputs().options());
    const std::vector<at::Tensor> vKept = kept.vjp(u), vRecomputed = recomputed.vjp(u);
    QCOMPARE(vRecomputed.size(), vKept.size());
    Difference vjp;
    for (size_t i = 0; i < vKept.size(); ++i) {
      const Difference d = compare(vRecomputed[i], vKept[i]);
      vjp.relative = std::max(vjp.relative, d.relative);
      vjp.bitwise = vjp.bitwise && d.bitwise;
    }
    const std::vector<at::Tensor> g = randomTangent(*m, 11);
    const Difference jvp = compare(recomputed.jvp(g), kept.jvp(g));
    const Difference gram = compare(recomputed.gramProduct(u), kept.gramProduct(u));
    qInfo("%s: J^T u %s (%.1e), J g %s (%.1e), J J^T u %s (%.1e)", qPrintable(model),
          vjp.bitwise ? "bitwise" : "differs", vjp.relative, jvp.bitwise ? "bitwise" : "differs", jvp.relative,
          gram.bitwise ? "bitwise" : "differs", gram.relative);
    SHELLSCOPE_COMPARE_ERROR(vjp.relative, tolerance);
    SHELLSCOPE_COMPARE_ERROR(jvp.relative, tolerance);
    SHELLSCOPE_COMPARE_ERROR(gram.relative, tolerance);

    // The split (GPT-NeoX, untied Llama): K and J_r J_r^T u on their own.
    auto ownKept = m->linearize(batch, {false});
    LinearizationOptions recompute;
    recompute.recomputeActivations = true;
    auto ownRecomputed = m->linearize(batch, recompute);
    QVERIFY(ownKept && ownRecomputed);
    QCOMPARE(ownRecomputed->fixedBlock().defined(), ownKept->fixedBlock().defined());
    if (ownKept->fixedBlock().defined()) {
      QVERIFY(compare(ownRecomputed->fixedBlock(), ownKept->fixedBlock()).bitwise);
      const Difference rest = compare(ownRecomputed->restProduct(u), ownKept->restProduct(u));
      qInfo("%s: J_r J_r^T u %s (%.1e)", qPrintable(model), rest.bitwise ? "bitwise" : "differs", rest.relative);
      SHELLSCOPE_COMPARE_ERROR(rest.relative, tolerance);
    }
  }

  void lanczosMatchesKeptActivations_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"neox-sequential", "gpt2", "llama-mha-untied", "olmo2-gqa-tied"}) QTest::newRow(m) << QString(m);
  }
  void lanczosMatchesKeptActivations() {
    QFETCH(QString, model);
    auto m = makeModel(model);
    m->to(at::kCPU, at::kDouble);
    Batch batch = shellscope::test::sampleBatch(m->description().vocabularySize);
    BatchLinearization kept(*m, batch, JvpMethod::ForwardMode, false);
    BatchLinearization recomputed(*m, batch, JvpMethod::ForwardMode, true);
    LanczosOptions options;
    options.maxSteps = static_cast<int>(kept.pointCount());
    options.relativeTolerance = 1e-12;
    const Eigen::VectorXd e = toEigen(kept.errors());
    FunctionSpaceOperator keptOperator(kept), recomputedOperator(recomputed);
    const LanczosResult a = lanczos(keptOperator, e, options);
    const LanczosResult b = lanczos(recomputedOperator, e, options);
    QCOMPARE(b.ritzValues.size(), a.ritzValues.size());
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(b.ritzValues, a.ritzValues), 1e-12);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(b.ritzWeights, a.ritzWeights), 1e-12);
    qInfo("%s: %d Ritz values, values %s, weights %s", qPrintable(model), int(a.ritzValues.size()),
          b.ritzValues == a.ritzValues ? "bitwise" : "differ", b.ritzWeights == a.ritzWeights ? "bitwise" : "differ");
  }
};

QTEST_APPLESS_MAIN(TestRecompute)
#include "test_recompute.moc"

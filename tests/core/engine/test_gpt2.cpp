// The GPT-2 family: a plain scalar-loop forward written out in this test (Conv1D weights read as
// [in, out], [q | k | v] split, learned positions, tied output) agrees with Gpt2Model in float64 on
// tiny configs covering the attention-scaling options and both GELUs; the hand-written tangent pass
// and the VJP agree with an explicit Jacobian (itself checked by finite differences); every layout
// and storage dtype gives bit-identical log-probs; checkpoints without the "transformer." prefix,
// with legacy buffers and the tied lm_head copy load the same; a loaded checkpoint's spectrum
// through the ordinary compute path matches a dense eigendecomposition; malformed configs and
// tensors give one clear error naming the file and the key or tensor.
#include <QTemporaryDir>
#include <map>

#include "lm_family_support.h"
#include "models/gpt2.h"
#include "shellscope/base/file_error.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::messageOf;
using shellscope::test::logProbs;
using shellscope::test::sampleBatch;
namespace fs = std::filesystem;
using Layout = CheckpointFiles::Layout;
using json = nlohmann::json;

namespace {

Gpt2Config tinyConfig(bool scaleWeights = true, bool inverseLayer = false, bool exactGelu = false,
                      std::int64_t inner = 0) {
  Gpt2Config c;
  c.vocabSize = 11;
  c.hiddenSize = 8;
  c.numLayers = 2;
  c.numHeads = 2;
  c.innerSize = inner;
  c.maxPositions = 9;
  c.scaleAttnWeights = scaleWeights;
  c.scaleAttnByInverseLayerIdx = inverseLayer;
  c.activation = exactGelu ? Gpt2Config::Activation::GeluExact : Gpt2Config::Activation::GeluTanh;
  c.initializerRange = 0.4;  // far from the linear regime
  return c;
}

std::unique_ptr<Gpt2Model> randomModel(const Gpt2Config& c, std::uint64_t seed) {
  return shellscope::test::randomFamilyModel<Gpt2Model>(c, seed, c.initializerRange);
}

/// log q(y_t | x_<=t) for one sequence, with scalar loops in double precision, from the HF
/// definition: Conv1D y[o] = b[o] + Σ_i x[i] W[i][o].
std::vector<double> plainLogProbs(const Gpt2Model& model, const std::vector<std::int64_t>& ids,
                                  const std::vector<std::int64_t>& targets) {
  const Gpt2Config& c = model.config();
  std::map<std::string, at::Tensor> w;
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    w[model.parameterNames()[i]] = model.parameters()[i].detach().to(at::kDouble).contiguous();
  }
  auto W = [&](const std::string& name) { return w.at(name).accessor<double, 2>(); };
  auto V = [&](const std::string& name) { return w.at(name).accessor<double, 1>(); };
  const int T = static_cast<int>(ids.size()), H = static_cast<int>(c.hiddenSize);
  const int heads = static_cast<int>(c.numHeads), hs = H / heads;
  using Matrix = std::vector<std::vector<double>>;
  auto layerNorm = [&](const Matrix& x, const std::string& prefix) {
    Matrix y(T, std::vector<double>(H));
    auto g = V(prefix + ".weight"), b = V(prefix + ".bias");
    for (int t = 0; t < T; ++t) {
      double mean = 0, var = 0;
      for (int h = 0; h < H; ++h) mean += x[t][h] / H;
      for (int h = 0; h < H; ++h) var += (x[t][h] - mean) * (x[t][h] - mean) / H;
      for (int h = 0; h < H; ++h) y[t][h] = (x[t][h] - mean) / std::sqrt(var + c.layerNormEps) * g[h] + b[h];
    }
    return y;
  };
  auto conv1d = [&](const Matrix& x, const std::string& prefix) {
    auto m = W(prefix + ".weight");
    auto b = V(prefix + ".bias");
    const int in = static_cast<int>(m.size(0)), out = static_cast<int>(m.size(1));
    Matrix y(T, std::vector<double>(out));
    for (int t = 0; t < T; ++t) {
      for (int o = 0; o < out; ++o) {
        double sum = b[o];
        for (int i = 0; i < in; ++i) sum += x[t][i] * m[i][o];
        y[t][o] = sum;
      }
    }
    return y;
  };
  Matrix x(T, std::vector<double>(H));
  auto wte = W("transformer.wte.weight"), wpe = W("transformer.wpe.weight");
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < H; ++h) x[t][h] = wte[ids[t]][h] + wpe[t][h];
  }
  for (int l = 0; l < c.numLayers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    const Matrix qkv = conv1d(layerNorm(x, p + "ln_1"), p + "attn.c_attn");
    double scale = c.scaleAttnWeights ? 1.0 / std::sqrt(static_cast<double>(hs)) : 1.0;
    if (c.scaleAttnByInverseLayerIdx) scale /= (l + 1);
    Matrix merged(T, std::vector<double>(H, 0.0));
    for (int n = 0; n < heads; ++n) {
      // q, k, v are the three H-wide thirds of c_attn's output; head n is columns n*hs ... of each.
      auto at = [&](int t, int part, int d) { return qkv[t][part * H + n * hs + d]; };
      for (int t = 0; t < T; ++t) {
        std::vector<double> scores(t + 1);
        double top = -1e300;
        for (int s = 0; s <= t; ++s) {
          double dot = 0;
          for (int d = 0; d < hs; ++d) dot += at(t, 0, d) * at(s, 1, d);
          scores[s] = dot * scale;
          top = std::max(top, scores[s]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - top));
        for (int s = 0; s <= t; ++s) {
          for (int d = 0; d < hs; ++d) merged[t][n * hs + d] += scores[s] / total * at(s, 2, d);
        }
      }
    }
    const Matrix attn = conv1d(merged, p + "attn.c_proj");
    for (int t = 0; t < T; ++t) {
      for (int h = 0; h < H; ++h) x[t][h] += attn[t][h];
    }
    Matrix hidden = conv1d(layerNorm(x, p + "ln_2"), p + "mlp.c_fc");
    for (auto& row : hidden) {
      for (double& v : row) {
        v = c.activation == Gpt2Config::Activation::GeluTanh
                ? 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)))
                : 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      }
    }
    const Matrix m = conv1d(hidden, p + "mlp.c_proj");
    for (int t = 0; t < T; ++t) {
      for (int h = 0; h < H; ++h) x[t][h] += m[t][h];
    }
  }
  const Matrix final = layerNorm(x, "transformer.ln_f");
  std::vector<double> out;
  for (int t = 0; t < T; ++t) {
    std::vector<double> logits(static_cast<size_t>(c.vocabSize));
    for (int v = 0; v < c.vocabSize; ++v) {
      for (int h = 0; h < H; ++h) logits[v] += final[t][h] * wte[v][h];  // lm_head = wte
    }
    double top = *std::max_element(logits.begin(), logits.end()), total = 0;
    for (double z : logits) total += std::exp(z - top);
    out.push_back(logits[targets[t]] - top - std::log(total));
  }
  return out;
}

}  // namespace

class TestGpt2 : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

  /// A float32 safetensors checkpoint of tinyConfig with `changeConfig` and `changeTensors` applied.
  std::string folderWith(const std::string& name, const std::function<void(json&)>& changeConfig,
                         const std::function<void(shellscope::test::TensorList&)>& changeTensors) {
    const auto model = randomModel(tinyConfig(), 1);
    return shellscope::test::writeChangedFolder(*model, gpt2ConfigJson(model->config(), "float32"), path(name), changeConfig,
                                                changeTensors);
  }

 private Q_SLOTS:
  void forwardMatchesPlainComputation_data() {
    QTest::addColumn<bool>("scaleWeights");
    QTest::addColumn<bool>("inverseLayer");
    QTest::addColumn<bool>("exactGelu");
    QTest::addColumn<int>("inner");
    QTest::newRow("GPT-2 defaults (gelu_new, 1/sqrt(hs))") << true << false << false << 0;
    QTest::newRow("scale_attn_by_inverse_layer_idx, n_inner 12") << true << true << false << 12;
    QTest::newRow("unscaled attention, exact gelu") << false << false << true << 0;
  }
  void forwardMatchesPlainComputation() {
    QFETCH(bool, scaleWeights);
    QFETCH(bool, inverseLayer);
    QFETCH(bool, exactGelu);
    QFETCH(int, inner);
    auto model = randomModel(tinyConfig(scaleWeights, inverseLayer, exactGelu, inner), 7);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = sampleBatch(11);
    const at::Tensor f = logProbs(*model);
    for (std::int64_t b = 0; b < 2; ++b) {
      std::vector<std::int64_t> ids, targets;
      for (std::int64_t t = 0; t < 7; ++t) {
        ids.push_back(batch.inputs[b][t].item<std::int64_t>());
        targets.push_back(batch.targets[b][t].item<std::int64_t>());
      }
      const std::vector<double> plain = plainLogProbs(*model, ids, targets);
      for (std::int64_t t = 0; t < 7; ++t) {
        const double truth = plain[static_cast<size_t>(t)];
        SHELLSCOPE_COMPARE_ERROR(std::abs(f[b * 7 + t].item<double>() - truth) / std::max(1.0, std::abs(truth)), 1e-6);
      }
    }
  }

  void parametersHaveHuggingFaceNamesAndTheOutputIsCountedOnce() {
    const auto model = randomModel(tinyConfig(), 1);
    const auto& names = model->parameterNames();
    QCOMPARE(names.front(), std::string("transformer.wte.weight"));
    QCOMPARE(names[1], std::string("transformer.wpe.weight"));
    QCOMPARE(names[4], std::string("transformer.h.0.attn.c_attn.weight"));
    QCOMPARE(model->parameters()[4].sizes(), at::IntArrayRef({8, 24}));  // Conv1D: [in, out]
    QCOMPARE(names.back(), std::string("transformer.ln_f.bias"));
    QVERIFY(std::find(names.begin(), names.end(), "lm_head.weight") == names.end());
    std::int64_t total = 0;
    for (const auto& g : model->description().parameterGroups) total += g.count;
    QCOMPARE(total, model->parameterCount());
    // 11*8 + 9*8 + 2 * (4*8 + 8*24 + 24 + 8*8 + 8 + 8*32 + 32 + 32*8 + 8) + 16
    QCOMPARE(model->parameterCount(), std::int64_t(88 + 72 + 2 * (32 + 192 + 24 + 64 + 8 + 256 + 32 + 256 + 8) + 16));
  }

  void explicitJacobianMatchesFiniteDifferences() {
    auto model = randomModel(tinyConfig(true, true), 3);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = sampleBatch(11, 4);
    const Eigen::MatrixXd rows = shellscope::test::jacobianByRows(*model, batch);
    const Eigen::MatrixXd fd = shellscope::test::jacobianByFiniteDifferences(*model, batch);
    SHELLSCOPE_COMPARE_ERROR((rows - fd).cwiseAbs().maxCoeff() / fd.cwiseAbs().maxCoeff(), 1e-7);
  }

  void productMatchesExplicitJacobian_data() {
    QTest::addColumn<bool>("inverseLayer");
    QTest::addColumn<bool>("exactGelu");
    QTest::addColumn<int>("method");
    for (JvpMethod method : {JvpMethod::ForwardMode, JvpMethod::ForwardAD, JvpMethod::DoubleBackward}) {
      QTest::newRow((std::string("gelu_new ") + toString(method)).c_str()) << false << false << int(method);
    }
    QTest::newRow("inverse layer idx, exact gelu, forward") << true << true << int(JvpMethod::ForwardMode);
  }
  void productMatchesExplicitJacobian() {
    QFETCH(bool, inverseLayer);
    QFETCH(bool, exactGelu);
    QFETCH(int, method);
    auto model = randomModel(tinyConfig(true, inverseLayer, exactGelu), 5);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = sampleBatch(11, 5);
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*model, batch);
    QVERIFY(model->linearize(batch) != nullptr);                 // its own tangent pass
    QVERIFY(!model->linearize(batch)->fixedBlock().defined());  // tied output: the plain product
    shellscope::test::checkProductsAgainstJacobian(*model, batch, j, static_cast<JvpMethod>(method));
  }

  void everyLayoutAndDtypeGivesIdenticalLogProbs_data() {
    QTest::addColumn<int>("layout");
    QTest::addColumn<QString>("dtype");
    for (int layout : {int(Layout::Safetensors), int(Layout::ShardedSafetensors), int(Layout::TorchBin),
                       int(Layout::ShardedTorchBin)}) {
      for (const char* dtype : {"F32", "F16", "BF16"}) {
        QTest::newRow((std::to_string(layout) + " " + dtype).c_str()) << layout << QString(dtype);
      }
    }
  }
  void everyLayoutAndDtypeGivesIdenticalLogProbs() {
    QFETCH(int, layout);
    QFETCH(QString, dtype);
    const at::ScalarType stored = dtype == "F16" ? at::kHalf : dtype == "BF16" ? at::kBFloat16 : at::kFloat;
    const auto model = randomModel(tinyConfig(true, true), 4);
    const std::string folder = path("layout-" + std::to_string(layout) + dtype.toStdString());
    saveCheckpoint(*model, folder, static_cast<Layout>(layout), stored, 3);
    const LoadedCheckpoint loaded = loadCheckpoint(folder, at::kFloat);
    QCOMPARE(loaded.family, std::string("gpt2"));
    QVERIFY(loaded.files.layout == static_cast<Layout>(layout));
    QCOMPARE(QString::fromStdString(loaded.storedDtypes), dtype);
    size_t i = 0;
    const Gpt2Model rounded(model->config(), [&](const std::string&, const std::vector<std::int64_t>&, TensorRole) {
      return model->parameters()[i++].detach().to(stored).to(at::kFloat);
    });
    QVERIFY(at::equal(logProbs(*loaded.model), logProbs(rounded)));
    const auto* gpt2 = dynamic_cast<const Gpt2Model*>(loaded.model.get());
    QVERIFY(gpt2 != nullptr);
    QVERIFY(gpt2->config().scaleAttnByInverseLayerIdx);  // config.json round trip
  }

  void unprefixedNamesBuffersAndTiedCopyLoadTheSame() {
    // openai-community/gpt2 stores "h.0.ln_1.weight", the causal-mask buffers and lm_head.weight.
    const std::string plain = folderWith("plain", [](json&) {}, [](auto&) {});
    const std::string bare = folderWith("bare", [](json&) {}, [](auto& tensors) {
      at::Tensor wte;
      for (auto& [name, t] : tensors) {
        if (name == "transformer.wte.weight") wte = t;
        name = name.substr(std::string("transformer.").size());
      }
      tensors.emplace_back("h.0.attn.bias", at::ones({1, 1, 9, 9}).tril());
      tensors.emplace_back("h.1.attn.masked_bias", at::full({}, -1e4));
      tensors.emplace_back("lm_head.weight", wte);
    });
    const at::Tensor reference = logProbs(*loadCheckpoint(plain, at::kFloat).model);
    QVERIFY(at::equal(logProbs(*loadCheckpoint(bare, at::kFloat).model), reference));
    // The same tensor under both spellings is an error, not a silent choice.
    const std::string both = folderWith("both", [](json&) {}, [](auto& tensors) {
      tensors.emplace_back("ln_f.bias", tensors.back().second.clone());
    });
    const QString message = messageOf([&] { loadCheckpoint(both, at::kFloat); });
    QVERIFY2(message.contains("model.safetensors: tensor '") && message.contains("also appears in"), qPrintable(message));
  }

  void malformedConfigsNameFileAndKey_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");  // JSON; "null" removes the key
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad flag") << "scale_attn_weights" << R"("yes")" << "config.json: 'scale_attn_weights' is not true or false";
    QTest::newRow("bad flag 2") << "reorder_and_upcast_attn" << "1" << "config.json: 'reorder_and_upcast_attn' is not true or false";
    QTest::newRow("activation") << "activation_function" << R"("relu")"
                                << "config.json: 'activation_function' 'relu' is not supported";
    QTest::newRow("untied") << "tie_word_embeddings" << "false" << "config.json: 'tie_word_embeddings' false is not supported";
    QTest::newRow("cross attention") << "add_cross_attention" << "true" << "config.json: 'add_cross_attention' true";
    QTest::newRow("no n_embd") << "n_embd" << "null" << "config.json: missing 'n_embd'";
    QTest::newRow("n_head") << "n_head" << "3" << "config.json: GPT-2 config: n_embd must be a multiple of n_head";
    QTest::newRow("n_layer") << "n_layer" << "2.5" << "config.json: 'n_layer' is not an integer";
  }
  void malformedConfigsNameFileAndKey() {
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const std::string folder = folderWith("config-" + key.toStdString(), [&](json& config) {
      const json v = json::parse(value.toStdString());
      if (v.is_null()) {
        config.erase(key.toStdString());
      } else {
        config[key.toStdString()] = v;
      }
    }, [](auto&) {});
    const QString message = messageOf([&] { loadCheckpoint(folder, at::kFloat); });
    QVERIFY2(message.contains(expected), qPrintable(message));
  }

  void transposedConv1DWeightNamesFileAndTensor() {
    const std::string folder = folderWith("transposed", [](json&) {}, [](auto& tensors) {
      for (auto& [name, t] : tensors) {
        if (name == "transformer.h.1.mlp.c_fc.weight") t = t.t().contiguous();  // stored as nn.Linear would
      }
    });
    const QString message = messageOf([&] { loadCheckpoint(folder, at::kFloat); });
    QVERIFY2(message.contains("model.safetensors: tensor 'transformer.h.1.mlp.c_fc.weight' has shape [32,8], "
                              "config.json implies [8,32]"),
             qPrintable(message));
  }

  void loadedCheckpointSpectrumMatchesDenseEigendecomposition() {
    // folder -> loader -> .npy windows -> Lanczos with m >= n, float64, as `compute` runs it.
    shellscope::test::checkSpectrumThroughCompute(*randomModel(tinyConfig(true, true), 6), path("spectrum/checkpoint-700"),
                                                  path("spectrum"), path("spectrum/tokens.npy"),
                                                  Layout::ShardedSafetensors, at::kFloat, 700);
  }
};

QTEST_APPLESS_MAIN(TestGpt2)
#include "test_gpt2.moc"

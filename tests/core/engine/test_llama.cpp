// The Llama family and its OLMo 2 variant: a plain scalar-loop forward written out in this test
// (RMSNorm, rotary on the full head with fp32 angles, grouped-query attention with key/value head
// h / (heads / kv), SwiGLU, optional biases, tied or untied output; OLMo 2: q_norm/k_norm over the
// whole projections before RoPE, norms on the sublayers' outputs) agrees with LlamaModel in float64; the tangent
// pass, the VJP and (untied) the exact output-layer split agree with an explicit Jacobian (itself
// checked by finite differences); every
// layout and storage dtype gives bit-identical log-probs; malformed configs, unsupported
// rope_scaling kinds and mis-shaped tensors give one clear error naming the file and the key or
// tensor; a loaded checkpoint's spectrum through the ordinary compute path matches a dense
// eigendecomposition.
#include <QTemporaryDir>
#include <map>

#include "lm_family_support.h"
#include "models/llama.h"
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

/// GQA with 2 key/value heads of 4, tied output, biases on (case "gqa"); one of each otherwise.
LlamaConfig tinyConfig(const QString& variant) {
  LlamaConfig c;
  c.vocabSize = 11;
  c.hiddenSize = 8;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKeyValueHeads = 2;
  c.intermediateSize = 12;
  c.maxPositions = 16;
  c.ropeTheta = 500.0;
  c.rmsNormEps = 1e-5;
  c.attentionBias = true;
  c.mlpBias = true;
  c.tieWordEmbeddings = true;
  c.initializerRange = 0.4;
  if (variant == "mha-untied") {
    c.numKeyValueHeads = 4;
    c.attentionBias = c.mlpBias = false;
    c.tieWordEmbeddings = false;
  } else if (variant == "mqa-head-dim-linear-rope") {
    c.numKeyValueHeads = 1;
    c.headDim = 4;  // q_proj is [16, 8]: heads * head_dim != hidden_size
    c.attentionBias = false;
    c.tieWordEmbeddings = false;
    c.ropeLinearFactor = 2.0;
  } else if (variant == "olmo2-gqa-tied") {  // OLMo 2: no MLP biases; attention biases still an option
    c.variant = LlamaConfig::Variant::Olmo2;
    c.mlpBias = false;
  } else if (variant == "olmo2-untied-head-dim") {  // q_norm over 4 heads x 4 = 16 != hidden_size
    c.variant = LlamaConfig::Variant::Olmo2;
    c.numKeyValueHeads = 4;
    c.headDim = 4;
    c.attentionBias = c.mlpBias = false;
    c.tieWordEmbeddings = false;
  }
  return c;
}

const char* const kVariants[] = {"gqa-tied-biases", "mha-untied", "mqa-head-dim-linear-rope", "olmo2-gqa-tied",
                                 "olmo2-untied-head-dim"};
constexpr int kVariantCount = 5;

std::unique_ptr<LlamaModel> randomModel(const LlamaConfig& c, std::uint64_t seed) {
  return shellscope::test::randomFamilyModel<LlamaModel>(c, seed, c.initializerRange);
}

/// log q(y_t | x_<=t) for one sequence with scalar loops in double precision (rotary angles in
/// float32, as Hugging Face computes them).
std::vector<double> plainLogProbs(const LlamaModel& model, const std::vector<std::int64_t>& ids,
                                  const std::vector<std::int64_t>& targets) {
  const LlamaConfig& c = model.config();
  std::map<std::string, at::Tensor> w;
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    w[model.parameterNames()[i]] = model.parameters()[i].detach().to(at::kDouble).contiguous();
  }
  auto has = [&](const std::string& name) { return w.count(name) > 0; };
  auto W = [&](const std::string& name) { return w.at(name).accessor<double, 2>(); };
  auto V = [&](const std::string& name) { return w.at(name).accessor<double, 1>(); };
  const int T = static_cast<int>(ids.size()), H = static_cast<int>(c.hiddenSize);
  const int heads = static_cast<int>(c.numHeads), kv = static_cast<int>(c.numKeyValueHeads);
  const int hd = static_cast<int>(c.headDim > 0 ? c.headDim : c.hiddenSize / c.numHeads);
  using Matrix = std::vector<std::vector<double>>;
  auto rmsNorm = [&](const Matrix& x, const std::string& name) {  // over each row, whatever its width
    Matrix y = x;
    auto g = V(name);
    for (auto& row : y) {
      const double width = static_cast<double>(row.size());
      double square = 0;
      for (double v : row) square += v * v / width;
      for (size_t h = 0; h < row.size(); ++h) row[h] = row[h] / std::sqrt(square + c.rmsNormEps) * g[static_cast<int>(h)];
    }
    return y;
  };
  auto addTo = [&](Matrix& x, const Matrix& y) {
    for (int t = 0; t < T; ++t) {
      for (int h = 0; h < H; ++h) x[t][h] += y[t][h];
    }
  };
  const bool olmo2 = c.variant == LlamaConfig::Variant::Olmo2;
  auto linear = [&](const Matrix& x, const std::string& prefix) {  // y[o] = b[o] + Σ_i W[o][i] x[i]
    auto m = W(prefix + ".weight");
    const bool bias = has(prefix + ".bias");
    Matrix y(T, std::vector<double>(static_cast<size_t>(m.size(0))));
    for (int t = 0; t < T; ++t) {
      for (int o = 0; o < m.size(0); ++o) {
        double sum = bias ? V(prefix + ".bias")[o] : 0.0;
        for (int i = 0; i < m.size(1); ++i) sum += m[o][i] * x[t][i];
        y[t][o] = sum;
      }
    }
    return y;
  };
  auto rotate = [&](std::vector<double> v, int t) {  // half-split rotate_half on the whole head
    const std::vector<double> original = v;
    for (int d = 0; d < hd; ++d) {
      const int i = d % (hd / 2);
      const float inv = 1.0f / std::pow(static_cast<float>(c.ropeTheta), static_cast<float>(2 * i) / static_cast<float>(hd)) /
                        static_cast<float>(c.ropeLinearFactor);
      const float angle = static_cast<float>(t) * inv;
      const double rotated = d < hd / 2 ? -original[d + hd / 2] : original[d - hd / 2];
      v[d] = original[d] * static_cast<double>(std::cos(angle)) + rotated * static_cast<double>(std::sin(angle));
    }
    return v;
  };
  Matrix x(T, std::vector<double>(H));
  auto embed = W("model.embed_tokens.weight");
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < H; ++h) x[t][h] = embed[ids[t]][h];
  }
  for (int l = 0; l < c.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    // Llama normalises the sublayer's input; OLMo 2 its output, and q and k over all heads.
    const Matrix a = olmo2 ? x : rmsNorm(x, p + "input_layernorm.weight");
    Matrix q = linear(a, p + "self_attn.q_proj"), k = linear(a, p + "self_attn.k_proj");
    const Matrix v = linear(a, p + "self_attn.v_proj");
    if (olmo2) {
      q = rmsNorm(q, p + "self_attn.q_norm.weight");
      k = rmsNorm(k, p + "self_attn.k_norm.weight");
    }
    Matrix merged(T, std::vector<double>(static_cast<size_t>(heads * hd), 0.0));
    for (int n = 0; n < heads; ++n) {
      const int g = n / (heads / kv);  // the key/value head serving query head n
      auto head = [&](const Matrix& m, int t, int which) {
        return std::vector<double>(m[t].begin() + which * hd, m[t].begin() + (which + 1) * hd);
      };
      for (int t = 0; t < T; ++t) {
        const std::vector<double> qt = rotate(head(q, t, n), t);
        std::vector<double> scores(t + 1);
        double top = -1e300;
        for (int s = 0; s <= t; ++s) {
          const std::vector<double> ks = rotate(head(k, s, g), s);
          double dot = 0;
          for (int d = 0; d < hd; ++d) dot += qt[d] * ks[d];
          scores[s] = dot / std::sqrt(static_cast<double>(hd));
          top = std::max(top, scores[s]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - top));
        for (int s = 0; s <= t; ++s) {
          for (int d = 0; d < hd; ++d) merged[t][n * hd + d] += scores[s] / total * v[s][g * hd + d];
        }
      }
    }
    const Matrix attn = linear(merged, p + "self_attn.o_proj");
    addTo(x, olmo2 ? rmsNorm(attn, p + "post_attention_layernorm.weight") : attn);
    const Matrix b = olmo2 ? x : rmsNorm(x, p + "post_attention_layernorm.weight");
    const Matrix gate = linear(b, p + "mlp.gate_proj"), up = linear(b, p + "mlp.up_proj");
    Matrix product = gate;
    for (int t = 0; t < T; ++t) {
      for (size_t i = 0; i < gate[t].size(); ++i) product[t][i] = gate[t][i] / (1.0 + std::exp(-gate[t][i])) * up[t][i];
    }
    const Matrix m = linear(product, p + "mlp.down_proj");
    addTo(x, olmo2 ? rmsNorm(m, p + "post_feedforward_layernorm.weight") : m);
  }
  const Matrix final = rmsNorm(x, "model.norm.weight");
  auto out = W(c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  std::vector<double> result;
  for (int t = 0; t < T; ++t) {
    std::vector<double> logits(static_cast<size_t>(c.vocabSize));
    for (int vv = 0; vv < c.vocabSize; ++vv) {
      for (int h = 0; h < H; ++h) logits[vv] += final[t][h] * out[vv][h];
    }
    double top = *std::max_element(logits.begin(), logits.end()), total = 0;
    for (double z : logits) total += std::exp(z - top);
    result.push_back(logits[targets[t]] - top - std::log(total));
  }
  return result;
}

}  // namespace

class TestLlama : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

  /// A float32 safetensors checkpoint of tinyConfig(gqa-tied-biases) with `changeConfig` and `changeTensors` applied.
  std::string folderWith(const std::string& name, const std::function<void(json&)>& changeConfig,
                         const std::function<void(shellscope::test::TensorList&)>& changeTensors) {
    const auto model = randomModel(tinyConfig("gqa-tied-biases"), 1);
    return shellscope::test::writeChangedFolder(*model, llamaConfigJson(model->config(), "float32"), path(name),
                                                changeConfig, changeTensors);
  }

 private Q_SLOTS:
  void forwardMatchesPlainComputation_data() {
    QTest::addColumn<QString>("variant");
    for (const char* v : kVariants) QTest::newRow(v) << QString(v);
  }
  void forwardMatchesPlainComputation() {
    QFETCH(QString, variant);
    auto model = randomModel(tinyConfig(variant), 7);
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

  void tiedOutputIsCountedOnce() {
    const auto tied = randomModel(tinyConfig("gqa-tied-biases"), 1);
    const auto untied = randomModel(tinyConfig("mha-untied"), 1);
    const auto& names = tied->parameterNames();
    QVERIFY(std::find(names.begin(), names.end(), "lm_head.weight") == names.end());
    QCOMPARE(untied->parameterNames().back(), std::string("lm_head.weight"));
    QCOMPARE(names[2], std::string("model.layers.0.self_attn.q_proj.weight"));
    QCOMPARE(tied->parameters()[4].sizes(), at::IntArrayRef({4, 8}));  // k_proj: 2 KV heads of 2
    for (const auto* model : {tied.get(), untied.get()}) {
      std::int64_t total = 0;
      for (const auto& g : model->description().parameterGroups) total += g.count;
      QCOMPARE(total, model->parameterCount());
    }
  }

  void explicitJacobianMatchesFiniteDifferences_data() {
    QTest::addColumn<QString>("variant");
    QTest::newRow("gqa-tied-biases") << QString("gqa-tied-biases");
    QTest::newRow("olmo2-gqa-tied") << QString("olmo2-gqa-tied");
  }
  void explicitJacobianMatchesFiniteDifferences() {
    QFETCH(QString, variant);
    auto model = randomModel(tinyConfig(variant), 3);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = sampleBatch(11, 4);
    const Eigen::MatrixXd rows = shellscope::test::jacobianByRows(*model, batch);
    const Eigen::MatrixXd fd = shellscope::test::jacobianByFiniteDifferences(*model, batch);
    SHELLSCOPE_COMPARE_ERROR((rows - fd).cwiseAbs().maxCoeff() / fd.cwiseAbs().maxCoeff(), 1e-7);
  }

  void productMatchesExplicitJacobian_data() {
    QTest::addColumn<QString>("variant");
    QTest::addColumn<int>("method");
    for (const char* v : kVariants) QTest::newRow((std::string(v) + " forward").c_str()) << QString(v) << int(JvpMethod::ForwardMode);
    QTest::newRow("gqa-tied-biases forward-ad") << QString(kVariants[0]) << int(JvpMethod::ForwardAD);
    QTest::newRow("olmo2-untied-head-dim forward-ad") << QString(kVariants[4]) << int(JvpMethod::ForwardAD);
  }
  void productMatchesExplicitJacobian() {
    QFETCH(QString, variant);
    QFETCH(int, method);
    auto model = randomModel(tinyConfig(variant), 5);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = sampleBatch(11, 5);
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*model, batch);
    QVERIFY(model->linearize(batch) != nullptr);
    shellscope::test::checkProductsAgainstJacobian(*model, batch, j, static_cast<JvpMethod>(method));
    // The output layer: untied, split off exactly (J J^T = K + J_b J_b^T); tied, the plain product.
    auto own = model->linearize(batch);
    if (model->config().tieWordEmbeddings) {
      QVERIFY(!own->fixedBlock().defined());
      return;
    }
    const Eigen::VectorXd u = shellscope::test::randomVector(j.rows(), 13);
    const Eigen::Index outputColumns = model->parameters().back().numel();  // lm_head is last
    const Eigen::MatrixXd jw = j.rightCols(outputColumns), jb = j.leftCols(j.cols() - outputColumns);
    const at::Tensor k = own->fixedBlock().contiguous();
    QVERIFY(k.defined());
    const Eigen::MatrixXd block = Eigen::Map<const Eigen::MatrixXd>(k.data_ptr<double>(), k.size(0), k.size(1));
    const Eigen::MatrixXd truth = jw * jw.transpose();
    SHELLSCOPE_COMPARE_ERROR((block - truth).cwiseAbs().maxCoeff() / truth.cwiseAbs().maxCoeff(), 1e-12);
    const Eigen::VectorXd rest = toEigen(own->restProduct(toTensor(u, at::TensorOptions().dtype(at::kDouble))));
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(rest, jb * (jb.transpose() * u)), 1e-12);
  }

  void everyLayoutAndDtypeGivesIdenticalLogProbs_data() {
    QTest::addColumn<int>("layout");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<QString>("variant");
    for (int layout : {int(Layout::Safetensors), int(Layout::ShardedSafetensors), int(Layout::TorchBin),
                       int(Layout::ShardedTorchBin)}) {
      int row = 0;
      for (const char* dtype : {"F32", "F16", "BF16"}) {
        const char* variant = kVariants[(3 * layout + row++) % kVariantCount];
        QTest::newRow((std::to_string(layout) + " " + dtype + " " + variant).c_str())
            << layout << QString(dtype) << QString(variant);
      }
    }
  }
  void everyLayoutAndDtypeGivesIdenticalLogProbs() {
    QFETCH(int, layout);
    QFETCH(QString, dtype);
    QFETCH(QString, variant);
    const at::ScalarType stored = dtype == "F16" ? at::kHalf : dtype == "BF16" ? at::kBFloat16 : at::kFloat;
    const auto model = randomModel(tinyConfig(variant), 4);
    const std::string folder = path("layout-" + std::to_string(layout) + dtype.toStdString());
    saveCheckpoint(*model, folder, static_cast<Layout>(layout), stored, 3);
    const LoadedCheckpoint loaded = loadCheckpoint(folder, at::kFloat);
    QCOMPARE(loaded.family, model->config().modelType());
    QCOMPARE(QString::fromStdString(loaded.storedDtypes), dtype);
    size_t i = 0;
    const LlamaModel rounded(model->config(), [&](const std::string&, const std::vector<std::int64_t>&, TensorRole) {
      return model->parameters()[i++].detach().to(stored).to(at::kFloat);
    });
    QVERIFY(at::equal(logProbs(*loaded.model), logProbs(rounded)));
    const auto* llama = dynamic_cast<const LlamaModel*>(loaded.model.get());
    QVERIFY(llama != nullptr);
    QCOMPARE(llama->config().numKeyValueHeads, model->config().numKeyValueHeads);
    QCOMPARE(llama->config().headDim, model->config().headDim);
    QCOMPARE(llama->config().ropeLinearFactor, model->config().ropeLinearFactor);
    QVERIFY(llama->config().variant == model->config().variant);
  }

  void olmo2TensorsAndConfig() {
    const auto model = randomModel(tinyConfig("olmo2-untied-head-dim"), 2);
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (size_t i = 0; i < model->parameters().size(); ++i) {
      shapes[model->parameterNames()[i]] = model->parameters()[i].sizes().vec();
    }
    QVERIFY(!shapes.count("model.layers.0.input_layernorm.weight"));
    QCOMPARE(shapes.at("model.layers.1.self_attn.q_norm.weight"), (std::vector<std::int64_t>{16}));
    QCOMPARE(shapes.at("model.layers.1.self_attn.k_norm.weight"), (std::vector<std::int64_t>{16}));
    QCOMPARE(shapes.at("model.layers.1.post_feedforward_layernorm.weight"), (std::vector<std::int64_t>{8}));
    QCOMPARE(model->description().family, std::string("olmo2"));
    const json config = llamaConfigJson(model->config(), "float32");
    QCOMPARE(config["model_type"].get<std::string>(), std::string("olmo2"));
    QCOMPARE(config["architectures"][0].get<std::string>(), std::string("Olmo2ForCausalLM"));
    QVERIFY(!config.contains("mlp_bias"));
    // Selected by architectures alone; mlp_bias true and a model_type of the other variant refused.
    json byArchitecture = config;
    byArchitecture.erase("model_type");
    QVERIFY(ModelFamilyRegistry::instance().forConfig(byArchitecture, "config.json").modelType() == "olmo2");
    json biased = config;
    biased["mlp_bias"] = true;
    QCOMPARE(messageOf([&] { llamaConfigFromJson(biased, "config.json", LlamaConfig::Variant::Olmo2); }),
             QString("config.json: 'mlp_bias' true is not an OLMo 2 option (its MLP has no biases)"));
    QCOMPARE(messageOf([&] { llamaConfigFromJson(config, "config.json"); }), QString("config.json: model_type 'olmo2' is not llama"));
    json defaults = config;
    defaults.erase("rms_norm_eps");
    QCOMPARE(llamaConfigFromJson(defaults, "config.json", LlamaConfig::Variant::Olmo2).rmsNormEps, 1e-5);
  }

  void buffersAndTiedCopyAreSkipped() {
    const std::string plain = folderWith("plain", [](json&) {}, [](auto&) {});
    const std::string extra = folderWith("extra", [](json&) {}, [](auto& tensors) {
      tensors.emplace_back("model.layers.0.self_attn.rotary_emb.inv_freq", at::ones({1}));
      tensors.emplace_back("lm_head.weight", tensors.front().second.clone());
    });
    QVERIFY(at::equal(logProbs(*loadCheckpoint(extra, at::kFloat).model), logProbs(*loadCheckpoint(plain, at::kFloat).model)));
    // Untied: lm_head.weight is required.
    const std::string untied = folderWith("untied", [](json& c) { c["tie_word_embeddings"] = false; }, [](auto&) {});
    const QString message = messageOf([&] { loadCheckpoint(untied, at::kFloat); });
    QVERIFY2(message.contains("model.safetensors: tensor 'lm_head.weight' is missing (config.json implies shape [11,8])"),
             qPrintable(message));
  }

  void malformedConfigsNameFileAndKey_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");  // JSON; "null" removes the key
    QTest::addColumn<QString>("expected");
    QTest::newRow("rope yarn") << "rope_scaling" << R"({"rope_type": "yarn", "factor": 4})"
                               << "config.json: 'rope_scaling' of rope_type 'yarn' is not supported (default or linear)";
    QTest::newRow("rope llama3") << "rope_scaling" << R"({"type": "llama3", "factor": 8})"
                                 << "config.json: 'rope_scaling' of rope_type 'llama3' is not supported";
    QTest::newRow("rope dynamic") << "rope_parameters" << R"({"rope_type": "dynamic"})"
                                  << "config.json: 'rope_parameters' of rope_type 'dynamic' is not supported";
    QTest::newRow("act") << "hidden_act" << R"("gelu")" << R"(config.json: 'hidden_act' "gelu" is not supported (only silu))";
    QTest::newRow("kv heads") << "num_key_value_heads" << "3"
                              << "config.json: Llama config: num_attention_heads must be a multiple of num_key_value_heads";
    QTest::newRow("bias flag") << "attention_bias" << R"("no")" << "config.json: 'attention_bias' is not true or false";
    QTest::newRow("no hidden") << "hidden_size" << "null" << "config.json: missing 'hidden_size'";
    QTest::newRow("theta") << "rope_theta" << R"("big")" << "config.json: 'rope_theta' is not a number";
  }
  void malformedConfigsNameFileAndKey() {
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const std::string folder = folderWith("config-" + QString::number(qHash(value)).toStdString(), [&](json& config) {
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

  void misShapedKeyValueProjectionNamesFileAndTensor() {
    // A checkpoint written for full multi-head attention under a GQA config.
    const std::string folder = folderWith("mha-weights", [](json&) {}, [](auto& tensors) {
      for (auto& [name, t] : tensors) {
        if (name == "model.layers.1.self_attn.v_proj.weight") t = at::zeros({8, 8});
      }
    });
    const QString message = messageOf([&] { loadCheckpoint(folder, at::kFloat); });
    QVERIFY2(message.contains("model.safetensors: tensor 'model.layers.1.self_attn.v_proj.weight' has shape [8,8], "
                              "config.json implies [4,8]"),
             qPrintable(message));
  }

  void loadedCheckpointSpectrumMatchesDenseEigendecomposition() {
    // A single checkpoint folder with a suite's revision name, bf16 .bin, GQA and tied output.
    const std::string folder = path("spectrum/step1000-tokens4B");
    shellscope::test::checkSpectrumThroughCompute(*randomModel(tinyConfig("gqa-tied-biases"), 6), folder, folder,
                                                  path("spectrum/tokens.npy"), Layout::TorchBin, at::kBFloat16, -1);
    // OLMo 2, untied (the output layer split off), sharded safetensors.
    const std::string olmo = path("spectrum-olmo2/step2000-tokens9B");
    shellscope::test::checkSpectrumThroughCompute(*randomModel(tinyConfig("olmo2-untied-head-dim"), 8), olmo, olmo,
                                                  path("spectrum-olmo2/tokens.npy"), Layout::ShardedSafetensors,
                                                  at::kFloat, -1);
  }
};

QTEST_APPLESS_MAIN(TestLlama)
#include "test_llama.moc"

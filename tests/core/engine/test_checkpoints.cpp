// Checkpoint folders: a plain per-token log-prob computation written out in this test agrees with
// the GPT-NeoX forward; the four storage layouts give identical log-probs; F16/BF16 weights load
// as rounded F32; spectra of a loaded tiny model match a dense eigendecomposition; every
// malformed file is refused with a message naming the file and the tensor.
#include <caffe2/serialize/inline_container.h>

#include <QTemporaryDir>
#include <Eigen/Eigenvalues>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoints/checkpoint_io.h"
#include "models/gpt_neox.h"
#include "checkpoints/safetensors.h"
#include "checkpoints/torch_state_dict.h"
#include "jacobian_support.h"
#include "shellscope/engine/compute.h"
#include "shellscope/base/file_error.h"
#include "shellscope/data/token_data.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::messageOf;
namespace fs = std::filesystem;
using Layout = CheckpointFiles::Layout;

namespace {

GptNeoxConfig smallConfig(bool parallel, bool bias) {
  GptNeoxConfig c;
  c.vocabSize = 11;
  c.hiddenSize = 16;
  c.numLayers = 2;
  c.numHeads = 2;  // head size 8, rotary on 4 dims
  c.intermediateSize = 24;
  c.rotaryPct = 0.5;
  c.parallelResidual = parallel;
  c.attentionBias = bias;
  c.initializerRange = 0.3;
  return c;
}

/// log q(y_t | x_<=t) for one sequence, written out with scalar loops in double precision
/// (rotary angles in float32, as Hugging Face computes them).
std::vector<double> plainLogProbs(const GptNeoxModel& model, const std::vector<std::int64_t>& ids,
                                  const std::vector<std::int64_t>& targets) {
  const GptNeoxConfig& c = model.config();
  std::map<std::string, at::Tensor> w;
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    w[model.parameterNames()[i]] = model.parameters()[i].detach().to(at::kDouble).contiguous();
  }
  auto W = [&](const std::string& name) { return w.at(name).accessor<double, 2>(); };
  auto V = [&](const std::string& name) { return w.at(name).accessor<double, 1>(); };
  const int T = static_cast<int>(ids.size()), H = static_cast<int>(c.hiddenSize), I = static_cast<int>(c.intermediateSize);
  const int heads = static_cast<int>(c.numHeads), hs = H / heads, r = static_cast<int>(hs * c.rotaryPct);
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
  auto linear = [&](const Matrix& x, const std::string& prefix, int out, bool hasBias) {
    Matrix y(T, std::vector<double>(out, 0.0));
    auto m = W(prefix + ".weight");
    for (int t = 0; t < T; ++t) {
      for (int o = 0; o < out; ++o) {
        double sum = hasBias ? V(prefix + ".bias")[o] : 0.0;
        for (size_t k = 0; k < x[t].size(); ++k) sum += m[o][static_cast<long>(k)] * x[t][k];
        y[t][o] = sum;
      }
    }
    return y;
  };
  Matrix x(T, std::vector<double>(H));
  auto embed = W("gpt_neox.embed_in.weight");
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < H; ++h) x[t][h] = embed[ids[t]][h];
  }
  for (int l = 0; l < c.numLayers; ++l) {
    const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
    const Matrix a = layerNorm(x, p + "input_layernorm");
    const Matrix qkv = linear(a, p + "attention.query_key_value", 3 * H, c.attentionBias);
    Matrix merged(T, std::vector<double>(H));
    for (int n = 0; n < heads; ++n) {
      auto slice = [&](int t, int part) {  // rows are interleaved per head: q, k, v of head n
        std::vector<double> v(qkv[t].begin() + n * 3 * hs + part * hs, qkv[t].begin() + n * 3 * hs + (part + 1) * hs);
        if (part < 2) {  // rotary on the first r dims, half-split convention
          const std::vector<double> original = v;
          for (int d = 0; d < r; ++d) {
            const int i = d % (r / 2);
            const float inv = 1.0f / std::pow(static_cast<float>(c.rotaryBase), static_cast<float>(2 * i) / static_cast<float>(r));
            const float angle = static_cast<float>(t) * inv;
            const double rotated = d < r / 2 ? -original[d + r / 2] : original[d - r / 2];
            v[d] = original[d] * static_cast<double>(std::cos(angle)) + rotated * static_cast<double>(std::sin(angle));
          }
        }
        return v;
      };
      for (int t = 0; t < T; ++t) {
        const std::vector<double> q = slice(t, 0);
        std::vector<double> scores(t + 1);
        double top = -1e300;
        for (int s = 0; s <= t; ++s) {
          const std::vector<double> k = slice(s, 1);
          double dot = 0;
          for (int d = 0; d < hs; ++d) dot += q[d] * k[d];
          scores[s] = dot / std::sqrt(static_cast<double>(hs));
          top = std::max(top, scores[s]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - top));
        for (int s = 0; s <= t; ++s) {
          const std::vector<double> v = slice(s, 2);
          for (int d = 0; d < hs; ++d) merged[t][n * hs + d] += scores[s] / total * v[d];
        }
      }
    }
    const Matrix attn = linear(merged, p + "attention.dense", H, c.attentionBias);
    auto mlp = [&](const Matrix& input) {
      Matrix h = linear(input, p + "mlp.dense_h_to_4h", I, true);
      for (auto& row : h) {
        for (double& v : row) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      }
      return linear(h, p + "mlp.dense_4h_to_h", H, true);
    };
    if (c.parallelResidual) {
      const Matrix m = mlp(layerNorm(x, p + "post_attention_layernorm"));
      for (int t = 0; t < T; ++t) {
        for (int h = 0; h < H; ++h) x[t][h] += attn[t][h] + m[t][h];
      }
    } else {
      for (int t = 0; t < T; ++t) {
        for (int h = 0; h < H; ++h) x[t][h] += attn[t][h];
      }
      const Matrix m = mlp(layerNorm(x, p + "post_attention_layernorm"));
      for (int t = 0; t < T; ++t) {
        for (int h = 0; h < H; ++h) x[t][h] += m[t][h];
      }
    }
  }
  const Matrix final = layerNorm(x, "gpt_neox.final_layer_norm");
  const Matrix logits = linear(final, "embed_out", static_cast<int>(c.vocabSize), false);
  std::vector<double> out;
  for (int t = 0; t < T; ++t) {
    double top = *std::max_element(logits[t].begin(), logits[t].end()), total = 0;
    for (double z : logits[t]) total += std::exp(z - top);
    out.push_back(logits[t][targets[t]] - top - std::log(total));
  }
  return out;
}

Batch sampleBatch(std::int64_t vocab) {
  Batch batch;
  batch.inputs = at::remainder(at::arange(0, 14, at::kLong) * 7 + 3, vocab).view({2, 7});
  batch.targets = at::remainder(at::arange(0, 14, at::kLong) * 5 + 1, vocab).view({2, 7});
  return batch;
}

at::Tensor logProbs(const ModelFunction& model) {
  at::NoGradGuard noGrad;
  return model.outputs(model.parameters(), sampleBatch(model.description().vocabularySize)).detach();
}

/// config.json of a GPT-NeoX config, as Hugging Face's GPTNeoXConfig writes it.
void writeGptNeoxConfig(const std::string& path, const GptNeoxConfig& config, const std::string& torchDtype) {
  std::ofstream(path) << gptNeoxConfigJson(config, torchDtype).dump(2) << "\n";
}

GptNeoxConfig readGptNeoxConfig(const std::string& path) { return gptNeoxConfigFromJson(readJsonFile(path), path); }

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Pickle building blocks for hand-written pickles (std::string keeps embedded zero bytes).
std::string byte(int value) { return std::string(1, static_cast<char>(value)); }
template <typename T>
std::string littleEndian(T value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}
std::string global(const std::string& module, const std::string& name) { return "c" + module + "\n" + name + "\n"; }

/// A safetensors file written byte by byte, for malformed variants.
void writeRawSafetensors(const std::string& path, const std::string& header, const std::string& data,
                         std::uint64_t declaredLength = 0) {
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t length = declaredLength ? declaredLength : header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << data;
}

}  // namespace

class TestCheckpoints : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

  /// A valid float32 safetensors checkpoint of `config`, with `change` applied to the tensor list.
  std::string folderWith(const std::string& name, const std::function<void(std::vector<std::pair<std::string, at::Tensor>>&)>& change) {
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(true, true), 1);
    const std::string folder = path(name);
    fs::create_directories(folder);
    writeGptNeoxConfig(folder + "/config.json", model->config(), "float32");
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (size_t i = 0; i < model->parameters().size(); ++i) {
      tensors.emplace_back(model->parameterNames()[i], model->parameters()[i].detach());
    }
    change(tensors);
    writeSafetensors(folder + "/model.safetensors", tensors);
    return folder;
  }

 private Q_SLOTS:
  void forwardMatchesPlainComputation_data() {
    QTest::addColumn<bool>("parallel");
    QTest::addColumn<bool>("bias");
    QTest::newRow("parallel residual, biases") << true << true;
    QTest::newRow("sequential residual, no attention bias") << false << false;
  }
  void forwardMatchesPlainComputation() {
    QFETCH(bool, parallel);
    QFETCH(bool, bias);
    auto model = GptNeoxModel::randomlyInitialised(smallConfig(parallel, bias), 7);
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
        SHELLSCOPE_COMPARE_ERROR(std::abs(f[b * 7 + t].item<double>() - plain[static_cast<size_t>(t)]), 1e-6);
      }
    }
  }

  void allLayoutsGiveIdenticalLogProbs_data() {
    QTest::addColumn<int>("layout");
    QTest::newRow("model.safetensors") << int(Layout::Safetensors);
    QTest::newRow("sharded safetensors") << int(Layout::ShardedSafetensors);
    QTest::newRow("pytorch_model.bin") << int(Layout::TorchBin);
    QTest::newRow("sharded pytorch_model.bin") << int(Layout::ShardedTorchBin);
  }
  void allLayoutsGiveIdenticalLogProbs() {
    QFETCH(int, layout);
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(true, true), 3);
    const std::string folder = path("layout-" + std::to_string(layout));
    saveCheckpoint(*model, folder, static_cast<Layout>(layout), at::kFloat, 3);
    const LoadedCheckpoint loaded = loadCheckpoint(folder, at::kFloat);
    QVERIFY(loaded.files.layout == static_cast<Layout>(layout));
    QCOMPARE(loaded.storedDtypes, std::string("F32"));
    QVERIFY(at::equal(logProbs(*loaded.model), logProbs(*model)));
  }

  void halfPrecisionWeightsLoadRounded_data() {
    QTest::addColumn<int>("layout");
    QTest::addColumn<QString>("dtype");
    for (int layout : {int(Layout::Safetensors), int(Layout::TorchBin)}) {
      for (const char* dtype : {"F16", "BF16"}) {
        QTest::newRow((std::to_string(layout) + " " + dtype).c_str()) << layout << QString(dtype);
      }
    }
  }
  void halfPrecisionWeightsLoadRounded() {
    QFETCH(int, layout);
    QFETCH(QString, dtype);
    const at::ScalarType stored = dtype == "F16" ? at::kHalf : at::kBFloat16;
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(true, true), 4);
    const std::string folder = path("half-" + std::to_string(layout) + dtype.toStdString());
    saveCheckpoint(*model, folder, static_cast<Layout>(layout), stored);
    const LoadedCheckpoint loaded = loadCheckpoint(folder, at::kFloat);
    QCOMPARE(QString::fromStdString(loaded.storedDtypes), dtype);
    // The reference: the same weights rounded through the storage dtype.
    size_t i = 0;
    const GptNeoxModel rounded(model->config(), [&](const std::string&, const std::vector<std::int64_t>&,
                                                    TensorRole) {
      return model->parameters()[i++].detach().to(stored).to(at::kFloat);
    });
    QVERIFY(at::equal(logProbs(*loaded.model), logProbs(rounded)));
  }

  void legacyBuffersAreSkipped() {
    const std::string folder = folderWith("legacy", [](auto& tensors) {
      tensors.emplace_back("gpt_neox.layers.0.attention.bias", at::ones({1, 1, 8, 8}, at::kBool).tril());
      tensors.emplace_back("gpt_neox.layers.0.attention.masked_bias", at::full({}, -1e9));
      tensors.emplace_back("gpt_neox.layers.1.attention.rotary_emb.inv_freq", at::ones({2}, at::kHalf));
    });
    QCOMPARE(loadCheckpoint(folder, at::kFloat).model->parameterCount(),
             GptNeoxModel::randomlyInitialised(smallConfig(true, true), 1)->parameterCount());
  }

  void badTensorsNameFileAndTensor_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << 0 << "tensor 'gpt_neox.final_layer_norm.bias' is missing";
    QTest::newRow("extra") << 1 << "unexpected tensor 'gpt_neox.layers.0.mlp.gate.weight'";
    QTest::newRow("mis-shaped") << 2 << "tensor 'embed_out.weight' has shape [11,15], config.json implies [11,16]";
    QTest::newRow("integer dtype") << 3 << "tensor 'gpt_neox.embed_in.weight' has dtype I64";
  }
  void badTensorsNameFileAndTensor() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    const std::string folder = folderWith("bad-tensor-" + std::to_string(kind), [&](auto& tensors) {
      if (kind == 0) tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [](auto& t) { return t.first == "gpt_neox.final_layer_norm.bias"; }), tensors.end());
      if (kind == 1) tensors.emplace_back("gpt_neox.layers.0.mlp.gate.weight", at::zeros({2, 2}));
      if (kind == 2) tensors.back().second = tensors.back().second.narrow(1, 0, 15);
      if (kind == 3) tensors.front().second = tensors.front().second.to(at::kLong);
    });
    const QString message = messageOf([&] { loadCheckpoint(folder, at::kFloat); });
    QVERIFY2(message.contains(expected) && message.contains(QString::fromStdString(folder)), qPrintable(message));
  }

  void malformedSafetensorsAreRefused_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("header past the end") << 0 << "runs past the end of the file";
    QTest::newRow("header over 100 MB") << 1 << "exceeds the 100 MB limit";
    QTest::newRow("bad JSON") << 2 << "bad header JSON";
    QTest::newRow("unknown dtype") << 3 << "unknown dtype 'Q8'";
    QTest::newRow("byte count") << 4 << "holds 8 bytes, its shape and dtype need 16";
    QTest::newRow("gap") << 5 << "not contiguous";
    QTest::newRow("trailing bytes") << 6 << "the data buffer has 20 bytes, the tensors use 16";
    QTest::newRow("truncated data") << 7 << "truncated";
    QTest::newRow("shape overflow") << 8 << "shape overflows";
    QTest::newRow("too short") << 9 << "too short for a safetensors header";
  }
  void malformedSafetensorsAreRefused() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    const std::string file = path("bad-" + std::to_string(kind) + ".safetensors");
    const std::string data(16, '\0');
    const std::string good = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    switch (kind) {
      case 0: writeRawSafetensors(file, good, data, 1u << 20); break;
      case 1: writeRawSafetensors(file, good, data, 200000000); break;
      case 2: writeRawSafetensors(file, "{\"a\": [", data); break;
      case 3: writeRawSafetensors(file, R"({"a":{"dtype":"Q8","shape":[4],"data_offsets":[0,16]}})", data); break;
      case 4: writeRawSafetensors(file, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data); break;
      case 5: writeRawSafetensors(file, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})", data); break;
      case 6: writeRawSafetensors(file, good, data + "xxxx"); break;
      case 7: writeRawSafetensors(file, good, data.substr(0, 10)); break;
      case 8: writeRawSafetensors(file, R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", data); break;
      case 9: std::ofstream(file) << "abc"; break;
    }
    const QString message = messageOf([&] { readSafetensors(file); });
    QVERIFY2(message.startsWith(QString::fromStdString(file)) && message.contains(expected), qPrintable(message));
  }

  void safetensorsEdgeCasesAreLegal() {
    const std::string file = path("edge.safetensors");
    writeSafetensors(file, {{"scalar", at::full({}, 2.5)}, {"empty", at::zeros({0, 3})}, {"v", at::arange(3.0)}},
                     {{"format", "pt"}});
    std::map<std::string, std::string> metadata;
    const auto tensors = readSafetensors(file, &metadata);
    QCOMPARE(tensors.size(), size_t(3));
    QCOMPARE(metadata.at("format"), std::string("pt"));
    for (const auto& t : tensors) {
      if (t.name == "scalar") QCOMPARE(t.load().item<double>(), 2.5);
      if (t.name == "empty") QCOMPARE(t.load().numel(), std::int64_t(0));
    }
  }

  void torchBinRefusesCodeAndDamage_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("forbidden global") << 0 << "refers to os.system";
    QTest::newRow("truncated zip") << 1 << "no zip end-of-directory record: not a zip file, or truncated";
    QTest::newRow("missing storage") << 2 << "storage record 'data/0' is missing";
    QTest::newRow("view past storage") << 3 << "reaches past the end of its storage";
    QTest::newRow("unknown opcode") << 4 << "unsupported pickle opcode";
    // LibTorch's zip reader does not check CRCs: a flipped weight byte loaded without a word.
    QTest::newRow("flipped weight byte") << 5 << "record 'data/0' fails its CRC-32 check";
    // 4 × (2^62 + 1) bytes wraps to 4 in 64 bits and passed the size check.
    QTest::newRow("storage size overflows") << 6 << "declares 4611686018427387905 elements, more bytes than any file holds";
    // A member's size in the zip directory is what LibTorch's reader allocates (fuzz_torch_bin: 4 GB).
    QTest::newRow("member size past the file") << 7 << "/data/0' claims 2147483632 bytes at offset";
  }
  void torchBinRefusesCodeAndDamage() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    const std::string file = path("bad-" + std::to_string(kind) + ".bin");
    // A state dict pickle with one float tensor "w" of 4 elements in storage "0", and variants.
    auto text = [](const std::string& v) { return "X" + littleEndian(static_cast<std::uint32_t>(v.size())) + v; };
    std::string pickle = "\x80\x02" + global("collections", "OrderedDict") + "q" + byte(0) + ")Rq" + byte(1) + text("w") +
                         global("torch._utils", "_rebuild_tensor_v2") + "q" + byte(2) + "((" + text("storage") +
                         global("torch", "FloatStorage") + text("0") + text("cpu") +
                         (kind == 6 ? std::string("\x8a\x08", 2) + littleEndian(static_cast<std::uint64_t>((1ull << 62) + 1)) : "K" + byte(4)) +
                         "tQK" + byte(0) +
                         "K" + byte(kind == 3 ? 8 : 4) + "\x85K" + byte(1) + "\x85\x89h" + byte(0) + ")Rtq" + byte(3) +
                         "Rq" + byte(4) + "s.";
    if (kind == 0) pickle = "\x80\x02" + global("os", "system") + "q" + byte(0) + text("ls") + "\x85R.";
    if (kind == 4) pickle = "\x80\x02\xff.";
    {
      caffe2::serialize::PyTorchStreamWriter writer(file);
      writer.writeRecord("data.pkl", pickle.data(), pickle.size());
      const float data[4] = {1, 2, 3, 4};
      if (kind != 2) writer.writeRecord("data/0", data, sizeof data);
      writer.writeEndOfFile();
    }
    if (kind == 1) fs::resize_file(file, fs::file_size(file) / 2);
    if (kind == 5) {  // the stored floats 1, 2, 3, 4: change a byte of the 3
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const float data[4] = {1, 2, 3, 4};
      const std::size_t at = bytes.find(std::string(reinterpret_cast<const char*>(data), sizeof data));
      QVERIFY(at != std::string::npos);
      f.seekp(static_cast<std::streamoff>(at + 9));
      f.put(static_cast<char>(bytes[at + 9] ^ 0x10));
    }
    if (kind == 7) {  // the central directory entry of data/0 (its name's last occurrence): both sizes
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const std::size_t entry = bytes.rfind("PK\x01\x02", bytes.rfind("/data/0"));
      QVERIFY(entry != std::string::npos);
      f.seekp(static_cast<std::streamoff>(entry + 20));
      const std::string huge = littleEndian(static_cast<std::uint32_t>(0x7FFFFFF0u));
      f.write((huge + huge).data(), 8);
    }
    const QString message = messageOf([&] {
      for (const auto& t : readTorchStateDict(file)) t.load();
    });
    QVERIFY2(message.startsWith(QString::fromStdString(file)) && message.contains(expected), qPrintable(message));
  }

  void unpicklerReadsNewerProtocols() {
    // Protocol 4 as newer torch.save writes it: FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE.
    auto shortString = [](const std::string& v) { return "\x8c" + byte(static_cast<int>(v.size())) + v + "\x94"; };
    const std::string body = shortString("collections") + shortString("OrderedDict") + "\x93\x94)R\x94" + shortString("w") +
                             shortString("torch._utils") + shortString("_rebuild_tensor_v2") + "\x93\x94((" +
                             shortString("storage") + shortString("torch") + shortString("FloatStorage") + "\x93\x94" +
                             shortString("0") + shortString("cpu") + "K" + byte(4) + "t\x94QK" + byte(0) + "K" + byte(4) +
                             "\x85\x94K" + byte(1) + "\x85\x94\x89h" + byte(2) + ")R\x94t\x94R\x94s.";
    const std::string pickle = "\x80\x04\x95" + littleEndian(static_cast<std::uint64_t>(body.size())) + body;
    QCOMPARE(unpickleStateDictNames(pickle), std::vector<std::string>{"w"});
    const std::string evil = "\x80\x04" + shortString("builtins") + shortString("eval") + "\x93.";
    QVERIFY(messageOf([&] { unpickleStateDictNames(evil); }).contains("builtins.eval"));
  }

  void shardedIndexMustMatchItsShards() {
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(true, true), 2);
    const std::string missing = path("shard-missing");
    saveCheckpoint(*model, missing, Layout::ShardedSafetensors, at::kFloat, 2);
    fs::remove(missing + "/model-00002-of-00002.safetensors");
    QVERIFY(messageOf([&] { loadCheckpoint(missing, at::kFloat); }).contains("missing shard"));

    const std::string moved = path("shard-moved");
    saveCheckpoint(*model, moved, Layout::ShardedSafetensors, at::kFloat, 2);
    nlohmann::json index = nlohmann::json::parse(std::ifstream(moved + "/model.safetensors.index.json"));
    index["weight_map"]["embed_out.weight"] = index["weight_map"]["embed_out.weight"] == "model-00001-of-00002.safetensors"
                                                  ? "model-00002-of-00002.safetensors"
                                                  : "model-00001-of-00002.safetensors";
    std::ofstream(moved + "/model.safetensors.index.json") << index.dump();
    QVERIFY(messageOf([&] { loadCheckpoint(moved, at::kFloat); }).contains("tensor 'embed_out.weight' is in this shard"));
  }

  void configSpellingsAgree() {
    auto write = [&](const std::string& name, const nlohmann::json& extra) {
      nlohmann::json j = {{"model_type", "gpt_neox"}, {"hidden_size", 16}, {"num_hidden_layers", 1},
                          {"num_attention_heads", 2}, {"intermediate_size", 24}, {"vocab_size", 11}};
      j.update(extra);
      const std::string file = path(name + ".json");
      std::ofstream(file) << j.dump();
      return file;
    };
    const GptNeoxConfig legacy = readGptNeoxConfig(write("legacy", {{"rotary_pct", 0.5}, {"rotary_emb_base", 500}}));
    const GptNeoxConfig newer = readGptNeoxConfig(write("newer", {{"partial_rotary_factor", 0.5}, {"rope_theta", 500}}));
    const GptNeoxConfig nested = readGptNeoxConfig(
        write("nested", {{"rope_parameters", {{"rope_type", "default"}, {"partial_rotary_factor", 0.5}, {"rope_theta", 500}}}}));
    for (const GptNeoxConfig& c : {legacy, newer, nested}) {
      QCOMPARE(c.rotaryPct, 0.5);
      QCOMPARE(c.rotaryBase, 500.0);
      QCOMPARE(c.attentionBias, true);  // absent in Pythia configs: default true
      QCOMPARE(c.parallelResidual, true);
    }
    QVERIFY(messageOf([&] { readGptNeoxConfig(write("scaled", {{"rope_scaling", {{"type", "linear"}, {"factor", 2}}}})); })
                .contains("RoPE type 'linear' is not supported"));
    QVERIFY(messageOf([&] { readGptNeoxConfig(write("act", {{"hidden_act", "gelu_new"}})); }).contains("gelu_new"));
    std::ofstream(path("nohidden.json")) << R"({"model_type": "gpt_neox"})";
    QVERIFY(messageOf([&] { readGptNeoxConfig(path("nohidden.json")); }).contains("missing 'hidden_size'"));
  }

  void loadedCheckpointSpectrumMatchesDenseEigendecomposition() {
    // Through the whole path: folder -> loader -> .npy windows -> Lanczos, m >= n, float64.
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(false, true), 5);
    const std::string folder = path("spectrum/step300");
    saveCheckpoint(*model, folder, Layout::TorchBin, at::kFloat);
    std::vector<std::int64_t> tokens;
    for (int i = 0; i < 40; ++i) tokens.push_back((i * 7 + 2) % 11);
    writeNpy(path("spectrum/tokens.npy"), tokens, TokenDType::I32);

    ComputeSettings settings;
    settings.models = {path("spectrum")};
    settings.data = path("spectrum/tokens.npy");
    settings.batches = 1;
    settings.batchSize = 2;
    settings.seqLen = 6;
    settings.lanczosSteps = 20;
    settings.dtype = ComputeDType::Float64;
    const std::vector<CheckpointEntry> entries = resolveModels(settings);
    QCOMPARE(entries.size(), size_t(1));
    QCOMPARE(entries[0].step, std::int64_t(300));
    CheckpointComputation computation(settings, entries[0], openComputeData(settings, entries[0].path));
    QCOMPARE(computation.metadata().step, std::int64_t(300));
    const BatchSpectrum spectrum = computation.computeBatch(0);

    LoadedCheckpoint loaded = loadCheckpoint(folder, at::kDouble);
    Batch batch;
    batch.inputs = at::tensor(std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 14)).view({2, 7}).narrow(1, 0, 6).contiguous();
    batch.targets = at::tensor(std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 14)).view({2, 7}).narrow(1, 1, 6).contiguous();
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*loaded.model, batch);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / 12.0);
    for (Eigen::Index i = 0; i < spectrum.ritzValues.size(); ++i) {
      if (spectrum.ritzWeights(i) < 1e-9) continue;
      const double nearest = (dense.eigenvalues().array() - spectrum.ritzValues(i)).abs().minCoeff();
      SHELLSCOPE_COMPARE_ERROR(nearest / spectrum.ritzValues(i), 1e-8);
    }
  }

  void tokenIdsOutsideTheVocabularyStopBeforeCompute() {
    const auto model = GptNeoxModel::randomlyInitialised(smallConfig(true, true), 2);
    const std::string folder = path("vocab/step1");
    saveCheckpoint(*model, folder, Layout::Safetensors, at::kFloat);
    writeNpy(path("vocab/tokens.npy"), std::vector<std::int64_t>(1000, 12), TokenDType::U16);
    ComputeSettings settings;
    settings.models = {folder};
    settings.data = path("vocab/tokens.npy");
    settings.batches = 2;
    const QString message = messageOf([&] { CheckpointComputation(settings, folder); });
    QVERIFY2(message.contains("token id 12 at position 0 is outside the model's vocabulary [0, 11)"), qPrintable(message));
  }
};

QTEST_APPLESS_MAIN(TestCheckpoints)
#include "test_checkpoints.moc"

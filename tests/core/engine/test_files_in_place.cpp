// Pythia's own files read in place: the storages of a pytorch_model.bin are views of the file's
// memory map, byte for byte what LibTorch's own (copying) zip reader returns, and their pages
// leave the resident set once the tensors are converted; token data in shards of the .bin (as
// the Pile ships) give the same batches, loss and spectrum as the merged file.
#include <caffe2/serialize/inline_container.h>

#include <QTemporaryDir>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkpoints/checkpoint_io.h"
#include "checkpoints/torch_state_dict.h"
#include "jacobian_support.h"
#include "mmididx_shards.h"
#include "models/gpt_neox.h"
#include "shellscope/data/token_data.h"
#include "shellscope/engine/compute.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::engine;
namespace fs = std::filesystem;

namespace {

/// The mapping of this process that holds `address` (/proc/self/smaps): its file and its
/// resident kilobytes; an empty file when the address is in no file mapping.
struct Mapping {
  std::string file;
  long residentKiB = -1;
};
Mapping mappingOf(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::string line;
  Mapping found;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream fields(line);
    if (line.find(" kB") == std::string::npos && (fields >> std::hex >> begin >> dash >> end) && dash == '-') {
      inside = at >= begin && at < end;
      if (inside) {
        const std::size_t slash = line.find('/');
        found.file = slash == std::string::npos ? "" : line.substr(slash);
      }
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      found.residentKiB = std::stol(line.substr(4));
      return found;
    }
  }
  return found;
}

}  // namespace

class TestFilesInPlace : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

 private Q_SLOTS:
  void torchBinStoragesAreViewsOfTheFile() {
    const std::string file = fs::canonical(dir_.path().toStdString()).string() + "/pytorch_model.bin";
    // 2 MiB of fp16 and a small float32 tensor, as torch.save writes them.
    const at::Tensor big = at::randn({1024, 1024}, at::TensorOptions().dtype(at::kFloat)).to(at::kHalf);
    const at::Tensor small = at::arange(0, 10, at::kFloat);
    writeTorchStateDict(file, {{"big", big}, {"small", small}});
    caffe2::serialize::PyTorchStreamReader copying(file);  // LibTorch's reader copies every record
    std::vector<StoredTensor> stored = readTorchStateDict(file);
    QCOMPARE(stored.size(), std::size_t(2));
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const at::Tensor view = stored[i].load();
      auto [bytes, size] = copying.getRecord("data/" + std::to_string(i));
      QCOMPARE(static_cast<std::size_t>(view.numel() * view.element_size()), size);
      QVERIFY(std::memcmp(view.data_ptr(), bytes.get(), size) == 0);
      QCOMPARE(QString::fromStdString(mappingOf(view.data_ptr()).file), QString::fromStdString(file));
    }
    // Converting releases the pages: the map's resident set drops by the storage's 2 MiB.
    const void* address = nullptr;
    long whileViewed = 0;
    {
      const at::Tensor view = stored[0].load();
      address = view.data_ptr();
      QVERIFY(at::equal(view, big));  // reads every page
      whileViewed = mappingOf(address).residentKiB;
      const at::Tensor converted = view.to(at::kFloat, false, true);
      QVERIFY(at::equal(converted, big.to(at::kFloat)));
    }
    const long afterwards = mappingOf(address).residentKiB;
    QVERIFY2(whileViewed >= 2048 && afterwards <= 64, qPrintable(QString("resident %1 kB while viewed, %2 kB after").arg(whileViewed).arg(afterwards)));
  }

  void torchBinLoadsAsSafetensorsDo() {
    // The same fp16 weights through the two readers: bit-identical log-probs.
    const auto model = GptNeoxModel::randomlyInitialised(test::microLmConfig(), 5);
    saveCheckpoint(*model, path("bin"), CheckpointFiles::Layout::TorchBin, at::kHalf);
    saveCheckpoint(*model, path("st"), CheckpointFiles::Layout::Safetensors, at::kHalf);
    Batch batch;
    batch.inputs = at::remainder(at::arange(0, 24, at::kLong) * 3 + 1, 7).view({2, 12});
    batch.targets = at::remainder(at::arange(0, 24, at::kLong) * 5 + 1, 7).view({2, 12});
    at::NoGradGuard noGrad;
    for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
      const auto fromBin = loadCheckpoint(path("bin"), dtype).model, fromSt = loadCheckpoint(path("st"), dtype).model;
      QVERIFY(at::equal(fromBin->outputs(fromBin->parameters(), batch), fromSt->outputs(fromSt->parameters(), batch)));
    }
  }

  void shardedTokenDataGiveTheMergedFilesNumbers() {
    const auto model = GptNeoxModel::randomlyInitialised(test::microLmConfig(), 6);
    const std::string folder = path("series/step0");
    saveCheckpoint(*model, folder, CheckpointFiles::Layout::TorchBin, at::kHalf);
    std::vector<std::vector<std::int64_t>> documents(9);
    for (std::size_t d = 0; d < documents.size(); ++d) {
      for (std::size_t t = 0; t < 40 + 3 * d; ++t) documents[d].push_back(static_cast<std::int64_t>((t * 13 + d * 5) % 7));
    }
    fs::create_directories(path("pile/shards"));
    writeMmidIdx(path("pile/merged"), documents, TokenDType::U16);
    QVERIFY(test::writeMmidIdxShards(path("pile/merged"), path("pile/shards/document"), 101) > 3);  // tokens straddle
    ComputeSettings settings;
    settings.models = {folder};
    settings.batches = 3;
    settings.batchSize = 2;
    settings.seqLen = 16;
    settings.lanczosSteps = 8;
    settings.dtype = ComputeDType::Float64;
    for (const std::int64_t rows : {std::int64_t(-1), std::int64_t(0)}) {
      settings.trainingStepRows = rows;  // sequential windows; Pythia's rows (of the 9 documents)
      if (rows >= 0) settings.seqLen = 32;
      settings.data = path("pile/merged");
      CheckpointComputation merged(settings, folder);
      settings.data = path("pile/shards/document-*.bin");
      CheckpointComputation sharded(settings, folder);
      QCOMPARE(sharded.metadata().batchesSha256, merged.metadata().batchesSha256);
      for (int b = 0; b < merged.batchCount(); ++b) {
        const BatchSpectrum a = merged.computeBatch(b), s = sharded.computeBatch(b);
        QCOMPARE(s.loss, a.loss);
        QCOMPARE(s.errorNorm2, a.errorNorm2);
        QVERIFY(s.ritzValues == a.ritzValues);
        QVERIFY(s.ritzWeights == a.ritzWeights);
      }
    }
  }
};

QTEST_APPLESS_MAIN(TestFilesInPlace)
#include "test_files_in_place.moc"

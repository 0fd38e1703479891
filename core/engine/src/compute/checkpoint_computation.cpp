// The compute driver (paper Appendix B): per (checkpoint, batch) item, Lanczos on M = J J^T/n from
// e/||e||, Gauss weights -> masses mean(e^2) w_i; per checkpoint, items merged into a run. The
// checkpoint is loaded through the model family registry (checkpoints/checkpoint_io.h), and its
// batches are cut by what its description says (vocabulary, context length), so nothing here
// depends on the architecture.
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "checkpoints/checkpoint_io.h"
#include "compute/batch_source.h"
#include "compute/devices.h"
#include "models/builtin_models.h"
#include "operator/batch_spectrum.h"
#include "shellscope/base/file_digest.h"
#include "shellscope/engine/compute.h"
#include "shellscope/engine/runtime.h"
#include "shellscope/base/progress.h"

namespace shellscope {

namespace {

/// Pythia trained on 1024 samples of 2049 tokens per step.
constexpr std::int64_t kPythiaRowsPerStep = 1024;


/// Token windows of `data` for a model that reads token ids below `vocabularySize`.
std::unique_ptr<engine::BatchSource> windowsOf(const ComputeSettings& settings, std::shared_ptr<const TokenStream> data,
                                               const engine::ModelDescription& model, const std::string& checkpoint) {
  if (model.vocabularySize <= 0) {
    // Only the built-in regressor has data of its own; checkpoint folders hold language models.
    throw std::invalid_argument(checkpoint + " is a " + model.family +
                                " model that does not read tokens: token data cannot be cut for it");
  }
  if (model.contextLength > 0 && settings.seqLen > model.contextLength) {
    throw SettingError("seq_len", "is " + std::to_string(settings.seqLen) + ", longer than the context of " + checkpoint +
                                      " (" + std::to_string(model.contextLength) + " tokens)");
  }
  if (settings.trainingStepRows >= 0) {
    return std::make_unique<engine::RowWindowSource>(std::move(data), settings.trainingStepRows * kPythiaRowsPerStep,
                                                     settings.batches, settings.batchSize, settings.seqLen,
                                                     model.vocabularySize);
  }
  return std::make_unique<engine::TokenWindowSource>(std::move(data), settings.batches, settings.batchSize,
                                                     settings.seqLen, model.vocabularySize);
}

/// Token files up to this size are fingerprinted whole; above it (Pythia's Pile is ~600 GB) only
/// the sample points the run uses are (batches_sha256), which is what the numbers depend on.
constexpr std::uintmax_t kWholeFileDigestLimit = std::uintmax_t{1} << 30;

std::string absolutePath(const std::string& path) {
  return path.empty() ? std::string() : std::filesystem::absolute(path).lexically_normal().string();
}

/// SHA-256 of every batch's inputs and targets, in batch order.
std::string batchesDigest(const engine::BatchSource& source) {
  std::string bytes;
  for (std::int64_t b = 0; b < source.batchCount(); ++b) {
    const engine::Batch batch = source.batch(b, at::kDouble);
    for (const at::Tensor& t : {batch.inputs, batch.targets}) {
      const at::Tensor flat = t.contiguous().reshape({-1});
      bytes.append(static_cast<const char*>(flat.data_ptr()), static_cast<std::size_t>(flat.numel() * flat.element_size()));
    }
  }
  return sha256Hex(bytes);
}

/// Batches `offset`.. of another source: the built-in data's held-out batches follow its training ones.
class OffsetSource final : public engine::BatchSource {
 public:
  OffsetSource(std::unique_ptr<engine::BatchSource> inner, std::int64_t offset)
      : inner_(std::move(inner)), offset_(offset) {}
  std::int64_t batchCount() const override { return inner_->batchCount() - offset_; }
  engine::Batch batch(std::int64_t index, at::ScalarType dtype) const override { return inner_->batch(index + offset_, dtype); }
  std::string description() const override {
    return inner_->description() + ", batches " + std::to_string(offset_) + ".." + std::to_string(inner_->batchCount() - 1);
  }

 private:
  std::unique_ptr<engine::BatchSource> inner_;
  std::int64_t offset_;
};

}  // namespace

struct CheckpointComputation::Impl {
  ComputeSettings settings;
  RunMetadata meta;
  std::unique_ptr<engine::ModelFunction> model;
  std::unique_ptr<engine::BatchSource> data;
  std::unique_ptr<engine::BatchSource> heldOut;  ///< batch b pairs with data's batch b (null: none)
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
  double setupSeconds = 0;  ///< loading the model and cutting the batches
};

namespace {

/// The held-out batches (ComputeSettings::heldOutData): as many as the training batches, cut the
/// same way from their own data (or other rows of the training data), recorded in the metadata.
std::unique_ptr<engine::BatchSource> openHeldOut(const ComputeSettings& settings, const CheckpointEntry& checkpoint,
                                                 const std::shared_ptr<const TokenStream>& data,
                                                 const std::shared_ptr<const TokenStream>& opened,
                                                 const engine::ModelFunction& model, std::int64_t batches, RunMetadata& meta) {
  std::unique_ptr<engine::BatchSource> source;
  if (settings.heldOutData == "builtin") {
    if (!engine::isBuiltinModel(checkpoint.path) || data) {
      throw SettingError("held_out_data", "builtin needs a built-in model on its own synthetic data");
    }
    source = std::make_unique<OffsetSource>(
        engine::makeBuiltinData(model, 2 * batches, settings.batchSize, settings.seqLen, settings.seed), batches);
    meta.heldOutDataPath = "builtin";
  } else {
    ComputeSettings held = settings;
    held.data = settings.heldOutData.empty() ? settings.data : settings.heldOutData;
    held.trainingStepRows = settings.heldOutStepRows;
    const std::shared_ptr<const TokenStream> stream =
        held.data == settings.data && data ? data
        : opened                           ? opened
                                           : openComputeData(held, engine::isBuiltinModel(checkpoint.path) ? "" : checkpoint.path);
    source = windowsOf(held, stream, model.description(), checkpoint.path);
    meta.heldOutDataPath = held.data;
    meta.heldOutDataAbsolute = absolutePath(held.data);
  }
  if (source->batchCount() < batches) {
    throw SettingError("held_out_data", "holds " + std::to_string(source->batchCount()) + " batches, fewer than the " +
                                            std::to_string(batches) + " training batches");
  }
  meta.heldOutDataSource = source->description();
  meta.heldOutBatchOrder = settings.heldOutStepRows >= 0
                                 ? "pythia-step-" + std::to_string(settings.heldOutStepRows) + " (rows " +
                                       std::to_string(settings.heldOutStepRows * kPythiaRowsPerStep) + "+, first L+1 tokens)"
                                 : "sequential";
  return source;
}

}  // namespace

CheckpointComputation::CheckpointComputation(const ComputeSettings& settings, const std::string& model)
    : CheckpointComputation(settings, [&] {
        const std::vector<CheckpointEntry> entries = resolveModels([&] {
          ComputeSettings one = settings;
          one.models = {model};
          return one;
        }());
        if (entries.size() != 1) {
          throw std::invalid_argument(model + " holds " + std::to_string(entries.size()) + " checkpoints, not one");
        }
        return entries.front();
      }(), openComputeData(settings, engine::isBuiltinModel(model) ? std::string() : model)) {}

CheckpointComputation::CheckpointComputation(const ComputeSettings& settings, const CheckpointEntry& checkpoint,
                                             std::shared_ptr<const TokenStream> data,
                                             std::shared_ptr<const TokenStream> heldOutData)
    : impl_(std::make_unique<Impl>()) {
  const double started = monotonicSeconds();
  settings.validate();
  Impl& d = *impl_;
  d.settings = settings;
  d.device = engine::resolveDevice(settings.device, settings.deviceIndex);
  d.dtype = engine::modelScalarType(settings.dtype, d.device);

  if (engine::isBuiltinModel(checkpoint.path)) {
    d.model = engine::makeBuiltinModel(checkpoint.path, settings.seed);
    if (!data) {
      if (settings.trainingStepRows >= 0) throw SettingError("training_step_rows", "needs token data");
      d.data = engine::makeBuiltinData(*d.model, settings.batches, settings.batchSize, settings.seqLen, settings.seed);
    } else {
      d.data = windowsOf(settings, data, d.model->description(), checkpoint.path);
    }
  } else {
    if (!data) throw SettingError("data", "is missing: the checkpoint " + checkpoint.path + " needs token data");
    engine::LoadedCheckpoint loaded = engine::loadCheckpoint(checkpoint.path, d.dtype, d.device);
    d.model = std::move(loaded.model);
    d.data = windowsOf(settings, data, d.model->description(), checkpoint.path);
    d.meta.checkpointAbsolute = absolutePath(checkpoint.path);
    d.meta.checkpointSha256 = filesDigest(checkpointFileList(loaded.files));
  }
  d.model->to(d.device, d.dtype);
  if (settings.hasHeldOut()) {
    d.heldOut = openHeldOut(settings, checkpoint, data, heldOutData, *d.model, d.data->batchCount(), d.meta);
  }
  // Where the data are and which bytes: the files (when not huge) and always the batches used.
  if (data) {
    const TokenSource& source = data->source();
    d.meta.dataPath = source.path;
    d.meta.dataAbsolute = absolutePath(source.path);
    d.meta.dataFormat = source.format;
    std::uintmax_t bytes = 0;
    for (const std::string& file : source.files) bytes += std::filesystem::file_size(file);
    if (!source.files.empty() && bytes <= kWholeFileDigestLimit) d.meta.dataSha256 = filesDigest(source.files);
  } else {
    d.meta.dataFormat = "builtin";
  }
  d.meta.batchesSha256 = batchesDigest(*d.data);

  RunMetadata& m = d.meta;
  m.modelName = checkpoint.modelName;
  m.checkpoint = checkpoint.path;
  m.step = checkpoint.step;
  m.nParams = d.model->parameterCount();
  m.observable = d.model->observable().name();
  m.device = d.device.str();
  m.dtype = toString(settings.dtype);
  m.vectorDtype = kLanczosVectorDType;
  m.lanczosMode = toString(settings.lanczosMode);
  m.lanczosSteps = settings.lanczosSteps;
  m.adaptiveTolerance = settings.adaptiveTolerance;
  m.lanczosMaxSteps = settings.effectiveMaxSteps();
  m.shellsPerDecade = settings.shellsPerDecade;
  m.batchSize = settings.batchSize;
  m.seqLen = settings.seqLen;
  m.nBatches = d.data->batchCount();
  m.dataSource = d.data->description();
  m.batchOrder = settings.trainingStepRows >= 0
                     ? "pythia-step-" + std::to_string(settings.trainingStepRows) + " (rows " +
                           std::to_string(settings.trainingStepRows * kPythiaRowsPerStep) + "+, first L+1 tokens)"
                     : "sequential";
  m.jvpMethod = toString(settings.jvpMethod);
  m.recomputeActivations = settings.recomputeActivations;
  m.lanczosTolerance = settings.effectiveTolerance();
  m.relativeFloor = settings.effectiveRelativeFloor();
  m.seed = static_cast<std::int64_t>(settings.seed);
  const RuntimeInfo runtime = runtimeInfo();
  m.threads = runtime.threads;
  m.createdAt = utcTimestamp();
  m.softwareVersion = "shellscope " + runtime.shellscopeVersion + " (libtorch " + runtime.torchVersion + ", BLAS " +
                      runtime.blasLibrary + ")";
  d.setupSeconds = monotonicSeconds() - started;
}

CheckpointComputation::~CheckpointComputation() = default;

const RunMetadata& CheckpointComputation::metadata() const { return impl_->meta; }

const ComputeSettings& CheckpointComputation::settings() const { return impl_->settings; }

double CheckpointComputation::setupSeconds() const { return impl_->setupSeconds; }

int CheckpointComputation::batchCount() const { return static_cast<int>(impl_->data->batchCount()); }

BatchSpectrum CheckpointComputation::computeBatch(int batchIndex, const std::function<void(int)>& onStep) {
  Impl& d = *impl_;
  engine::Batch batch = d.data->batch(batchIndex, d.dtype);
  batch.inputs = batch.inputs.to(d.device);
  batch.targets = batch.targets.to(d.device);
  if (!d.heldOut) return engine::batchSpectrum(*d.model, std::move(batch), d.settings, onStep, d.meta.checkpoint);
  engine::Batch held = d.heldOut->batch(batchIndex, d.dtype);
  held.inputs = held.inputs.to(d.device);
  held.targets = held.targets.to(d.device);
  return engine::batchSpectrum(*d.model, std::move(batch), d.settings, onStep, d.meta.checkpoint, &held);
}

BatchSpectrum CheckpointComputation::evaluateBatch(int batchIndex) {
  Impl& d = *impl_;
  engine::Batch batch = d.data->batch(batchIndex, d.dtype);
  batch.inputs = batch.inputs.to(d.device);
  batch.targets = batch.targets.to(d.device);
  return engine::batchErrors(*d.model, batch, d.meta.checkpoint);
}

BatchSpectrum computeItem(CheckpointComputation& checkpoint, int batch, const ProgressToken& progress) {
  const RunMetadata& meta = checkpoint.metadata();
  const int steps = checkpoint.settings().effectiveMaxSteps() * checkpoint.settings().quadraturesPerBatch();
  const std::string most = checkpoint.settings().adaptiveTolerance > 0 ? " (adaptive, at most " : "/";
  const std::string close = checkpoint.settings().adaptiveTolerance > 0 ? ")" : "";
  const std::string name = meta.step >= 0 ? meta.modelName + " step " + std::to_string(meta.step) : meta.modelName;
  const std::string stage = name + ": batch " + std::to_string(batch + 1) + "/" + std::to_string(checkpoint.batchCount());
  return checkpoint.computeBatch(batch, [&](int step) {
    progress.throwIfCancelled();
    progress.report(static_cast<double>(step) / steps,
                    stage + ", Lanczos step " + std::to_string(step) + most + std::to_string(steps) + close);
  });
}

Run computeRun(CheckpointComputation& checkpoint, const ProgressToken& progress) {
  const double started = monotonicSeconds();
  const int batches = checkpoint.batchCount();
  std::vector<BatchSpectrum> spectra;
  for (int b = 0; b < batches; ++b) {
    spectra.push_back(computeItem(checkpoint, b, progress.item(static_cast<std::size_t>(b), static_cast<std::size_t>(batches))));
  }
  RunMetadata finished = checkpoint.metadata();
  finished.computeSeconds = checkpoint.setupSeconds() + (monotonicSeconds() - started);
  return assembleRun(finished, std::move(spectra), checkpoint.settings().windowPolicy());
}

SeriesData openSeriesData(const ComputeSettings& settings, const std::vector<CheckpointEntry>& checkpoints) {
  std::shared_ptr<const TokenStream> data;
  for (const CheckpointEntry& c : checkpoints) {
    if (!engine::isBuiltinModel(c.path)) {
      data = openComputeData(settings, c.path);
      break;
    }
  }
  if (!data) data = openComputeData(settings, "");
  // Held-out token data of their own: opened once for the whole series, as the training data are.
  std::shared_ptr<const TokenStream> heldOutData;
  if (!settings.heldOutData.empty() && settings.heldOutData != "builtin" && settings.heldOutData != settings.data) {
    ComputeSettings held = settings;
    held.data = settings.heldOutData;
    for (const CheckpointEntry& c : checkpoints) {
      if (!engine::isBuiltinModel(c.path)) {
        heldOutData = openComputeData(held, c.path);
        break;
      }
    }
    if (!heldOutData) heldOutData = openComputeData(held, "");
  }
  return {data, heldOutData};
}

std::vector<Run> computeRuns(const ComputeSettings& settings, const ProgressToken& progress,
                             const std::function<void(const Run&)>& onRun) {
  settings.validate();
  configureThreads(settings.threads);
  // Everything that can be checked without loading weights is checked before progress starts.
  const std::vector<CheckpointEntry> checkpoints = resolveModels(settings);
  const SeriesData series = openSeriesData(settings, checkpoints);
  std::vector<Run> runs;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const CheckpointEntry& entry = checkpoints[i];
    const ProgressToken part = progress.item(i, checkpoints.size());
    part.throwIfCancelled();
    part.report(0.0, "loading " + entry.label);
    CheckpointComputation checkpoint(settings, entry, series.data, series.heldOut);
    runs.push_back(computeRun(checkpoint, part));
    if (onRun) onRun(runs.back());
  }
  progress.report(1.0, "done");
  return runs;
}

}  // namespace shellscope

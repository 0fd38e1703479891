// The compute driver (paper Appendix B): per (checkpoint, batch) item, Lanczos on M = J J^T/n from
// e/||e||, Gauss weights -> masses mean(e^2) w_i; per checkpoint, items merged into a run.
#include "shellscope/engine/compute.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "models/builtin_models.h"
#include "operator/batch_spectrum.h"
#include "checkpoints/checkpoint_io.h"
#include "shellscope/engine/runtime.h"

namespace shellscope {

DevicePreference parseDevice(const std::string& text) {
  if (text == "auto") return DevicePreference::Auto;
  if (text == "cpu") return DevicePreference::Cpu;
  if (text == "cuda") return DevicePreference::Cuda;
  throw std::invalid_argument("unknown device '" + text + "' (expected auto, cpu or cuda)");
}

ComputeDType parseDType(const std::string& text) {
  if (text == "float32") return ComputeDType::Float32;
  if (text == "float64") return ComputeDType::Float64;
  throw std::invalid_argument("unknown dtype '" + text + "' (expected float32 or float64)");
}

JvpMethod parseJvpMethod(const std::string& text) {
  if (text == "forward") return JvpMethod::ForwardMode;
  if (text == "forward-ad") return JvpMethod::ForwardAD;
  if (text == "double-backward") return JvpMethod::DoubleBackward;
  throw std::invalid_argument("unknown JVP method '" + text + "' (expected forward, forward-ad or double-backward)");
}

std::string toString(ComputeDType dtype) { return dtype == ComputeDType::Float64 ? "float64" : "float32"; }
std::string toString(JvpMethod method) {
  switch (method) {
    case JvpMethod::ForwardMode: return "forward";
    case JvpMethod::ForwardAD: return "forward-ad";
    case JvpMethod::DoubleBackward: return "double-backward";
  }
  return "unknown";
}

double ComputeSettings::effectiveTolerance() const {
  if (lanczosTolerance >= 0.0) return lanczosTolerance;
  return dtype == ComputeDType::Float64 ? 1e-12 : 1e-6;
}

double ComputeSettings::effectiveRelativeFloor() const {
  if (relativeFloor >= 0.0) return relativeFloor;
  return dtype == ComputeDType::Float64 ? 1e-12 : 1e-6;
}

void ComputeSettings::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  require(!models.empty(), "no model given");
  require(batches >= 1, "--batches must be at least 1");
  require(batchSize >= 1, "--batch-size must be at least 1");
  require(seqLen >= 1, "--seq-len must be at least 1");
  require(lanczosSteps >= 1, "--lanczos-steps must be at least 1");
  require(shellsPerDecade >= 1 && shellsPerDecade <= 1000, "--shells-per-decade must be between 1 and 1000");
  require(threads >= 0, "--threads must be 0 (all cores) or more");
  require(lambdaMin <= 0.0 || lambdaMax <= 0.0 || lambdaMin < lambdaMax, "--lambda-min must be below --lambda-max");
}

std::vector<std::string> builtinModelNames() {
  std::vector<std::string> names;
  for (const auto& name : engine::builtinNames()) names.push_back(engine::kBuiltinPrefix + name);
  return names;
}

namespace {

/// Pythia trained on 1024 samples of 2049 tokens per step.
constexpr std::int64_t kPythiaRowsPerStep = 1024;

at::Device resolveDevice(DevicePreference preference) {
  const bool cuda = at::hasCUDA() && at::getNumGPUs() > 0;
  if (preference == DevicePreference::Cuda && !cuda) {
    throw std::invalid_argument("--device cuda: this LibTorch build has no CUDA or no GPU is visible");
  }
  return (preference != DevicePreference::Cpu && cuda) ? at::Device(at::kCUDA) : at::Device(at::kCPU);
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace

std::vector<CheckpointEntry> resolveModels(const ComputeSettings& settings) {
  std::vector<CheckpointEntry> entries;
  for (const std::string& model : settings.models) {
    if (engine::isBuiltinModel(model)) {
      engine::makeBuiltinModel(model, 0);  // throws for unknown names, listing the known ones
      CheckpointEntry entry;
      entry.path = model;
      entry.label = model;
      entry.modelName = model.substr(std::string(engine::kBuiltinPrefix).size());
      entries.push_back(entry);
      continue;
    }
    for (CheckpointEntry& entry : discoverCheckpoints(model)) entries.push_back(std::move(entry));
  }
  return entries;
}

std::shared_ptr<const TokenStream> openComputeData(const ComputeSettings& settings, const std::string& checkpointFolder) {
  if (settings.data.empty()) return nullptr;
  TokenDataOptions options;
  options.rawDtype = settings.dataDtype;
  options.tokenizerPath = settings.tokenizer;
  if (options.tokenizerPath.empty() && !checkpointFolder.empty()) {
    const std::string candidate = checkpointFolder + "/tokenizer.json";
    if (std::ifstream(candidate).good()) options.tokenizerPath = candidate;
  }
  return openTokenData(settings.data, options);
}

struct CheckpointComputation::Impl {
  ComputeSettings settings;
  RunMetadata meta;
  std::unique_ptr<engine::ModelFunction> model;
  std::unique_ptr<engine::BatchSource> data;
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
};

namespace {

std::unique_ptr<engine::BatchSource> windowsOf(const ComputeSettings& settings, std::shared_ptr<const TokenStream> data,
                                               std::int64_t vocabSize) {
  if (settings.trainingStepRows >= 0) {
    return std::make_unique<engine::RowWindowSource>(std::move(data), settings.trainingStepRows * kPythiaRowsPerStep,
                                                     settings.batches, settings.batchSize, settings.seqLen, vocabSize);
  }
  return std::make_unique<engine::TokenWindowSource>(std::move(data), settings.batches, settings.batchSize,
                                                     settings.seqLen, vocabSize);
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
                                             std::shared_ptr<const TokenStream> data)
    : impl_(std::make_unique<Impl>()) {
  settings.validate();
  Impl& d = *impl_;
  d.settings = settings;
  d.device = resolveDevice(settings.device);
  d.dtype = settings.dtype == ComputeDType::Float64 ? at::kDouble : at::kFloat;

  if (engine::isBuiltinModel(checkpoint.path)) {
    d.model = engine::makeBuiltinModel(checkpoint.path, settings.seed);
    if (!data) {
      if (settings.trainingStepRows >= 0) throw std::invalid_argument("--pythia-step needs --data");
      d.data = engine::makeBuiltinData(*d.model, settings.batches, settings.batchSize, settings.seqLen, settings.seed);
    } else if (const auto* lm = dynamic_cast<const engine::GptNeoxModel*>(d.model.get())) {
      d.data = windowsOf(settings, data, lm->config().vocabSize);
    } else {
      throw std::invalid_argument(checkpoint.path + " regresses its own synthetic data: leave out --data");
    }
  } else {
    if (!data) throw std::invalid_argument(checkpoint.path + ": a checkpoint needs token data (--data)");
    engine::LoadedCheckpoint loaded = engine::loadGptNeoxCheckpoint(checkpoint.path, d.dtype);
    d.data = windowsOf(settings, data, loaded.model->config().vocabSize);
    d.model = std::move(loaded.model);
  }
  d.model->to(d.device, d.dtype);

  RunMetadata& m = d.meta;
  m.modelName = checkpoint.modelName;
  m.checkpoint = checkpoint.path;
  m.step = checkpoint.step;
  m.nParams = d.model->parameterCount();
  m.observable = engine::observableName(d.model->observable());
  m.device = d.device.str();
  m.dtype = toString(settings.dtype);
  m.lanczosMode = toString(settings.lanczosMode);
  m.lanczosSteps = settings.lanczosSteps;
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
  m.lanczosTolerance = settings.effectiveTolerance();
  m.relativeFloor = settings.effectiveRelativeFloor();
  m.seed = static_cast<std::int64_t>(settings.seed);
  const RuntimeInfo runtime = runtimeInfo();
  m.threads = runtime.threads;
  m.createdAt = utcNow();
  m.softwareVersion = "shellscope " + runtime.shellscopeVersion + " (libtorch " + runtime.torchVersion + ", BLAS " +
                      runtime.blasLibrary + ")";
}

CheckpointComputation::~CheckpointComputation() = default;

const RunMetadata& CheckpointComputation::metadata() const { return impl_->meta; }

int CheckpointComputation::batchCount() const { return static_cast<int>(impl_->data->batchCount()); }

BatchSpectrum CheckpointComputation::computeBatch(int batchIndex, const std::function<void(int)>& onStep) {
  Impl& d = *impl_;
  engine::Batch batch = d.data->batch(batchIndex, d.dtype);
  batch.inputs = batch.inputs.to(d.device);
  batch.targets = batch.targets.to(d.device);
  return engine::batchSpectrum(*d.model, std::move(batch), d.settings, onStep, d.meta.checkpoint);
}

BatchSpectrum CheckpointComputation::evaluateBatch(int batchIndex) {
  Impl& d = *impl_;
  engine::Batch batch = d.data->batch(batchIndex, d.dtype);
  batch.inputs = batch.inputs.to(d.device);
  batch.targets = batch.targets.to(d.device);
  return engine::batchErrors(*d.model, batch, d.meta.checkpoint);
}

std::vector<Run> computeRuns(const ComputeSettings& settings, ProgressToken& progress,
                             const std::function<void(const Run&)>& onRun) {
  settings.validate();
  configureThreads(settings.threads);
  ShellWindowPolicy policy;
  policy.lambdaMin = settings.lambdaMin;
  policy.lambdaMax = settings.lambdaMax;
  policy.relativeFloor = settings.effectiveRelativeFloor();

  // Everything that can be checked without loading weights is checked before progress starts.
  const std::vector<CheckpointEntry> checkpoints = resolveModels(settings);
  std::shared_ptr<const TokenStream> data;
  for (const CheckpointEntry& c : checkpoints) {
    if (!engine::isBuiltinModel(c.path)) {
      data = openComputeData(settings, c.path);
      break;
    }
  }
  if (!data) data = openComputeData(settings, "");
  const double totalItems = static_cast<double>(checkpoints.size()) * settings.batches;
  int itemsDone = 0;
  std::vector<Run> runs;
  for (const CheckpointEntry& entry : checkpoints) {
    progress.throwIfCancelled();
    progress.report(itemsDone / totalItems, "loading " + entry.label);
    const double started = monotonicSeconds();
    CheckpointComputation checkpoint(settings, entry, data);
    const std::string name = entry.step >= 0 ? entry.modelName + " step " + std::to_string(entry.step) : entry.modelName;
    std::vector<BatchSpectrum> spectra;
    for (int b = 0; b < checkpoint.batchCount(); ++b) {
      auto onStep = [&](int step) {
        progress.throwIfCancelled();
        progress.report((itemsDone + static_cast<double>(step) / settings.lanczosSteps) / totalItems,
                        name + ": batch " + std::to_string(b + 1) + "/" + std::to_string(checkpoint.batchCount()) +
                            ", Lanczos step " + std::to_string(step) + "/" + std::to_string(settings.lanczosSteps));
      };
      spectra.push_back(checkpoint.computeBatch(b, onStep));
      ++itemsDone;
    }
    RunMetadata meta = checkpoint.metadata();
    meta.computeSeconds = monotonicSeconds() - started;
    runs.push_back(assembleRun(meta, std::move(spectra), policy));
    if (onRun) onRun(runs.back());
  }
  progress.report(1.0, "done");
  return runs;
}

}  // namespace shellscope

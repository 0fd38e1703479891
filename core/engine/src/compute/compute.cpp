// Compute settings: parsing the spellings of their enums, defaults by dtype, validation, and
// resolving what settings.models and settings.data name on disk.
#include "shellscope/engine/compute.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "models/builtin_models.h"
#include "models/model_family.h"

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
  if (text == "bfloat16") return ComputeDType::BFloat16;
  if (text == "float16") return ComputeDType::Float16;
  throw std::invalid_argument("unknown dtype '" + text + "' (expected float32, float64, bfloat16 or float16)");
}

JvpMethod parseJvpMethod(const std::string& text) {
  if (text == "forward") return JvpMethod::ForwardMode;
  if (text == "forward-ad") return JvpMethod::ForwardAD;
  if (text == "double-backward") return JvpMethod::DoubleBackward;
  throw std::invalid_argument("unknown JVP method '" + text + "' (expected forward, forward-ad or double-backward)");
}

std::string toString(DevicePreference device) {
  switch (device) {
    case DevicePreference::Auto: return "auto";
    case DevicePreference::Cpu: return "cpu";
    case DevicePreference::Cuda: return "cuda";
  }
  return "unknown";
}

std::string toString(ComputeDType dtype) {
  switch (dtype) {
    case ComputeDType::Float32: return "float32";
    case ComputeDType::Float64: return "float64";
    case ComputeDType::BFloat16: return "bfloat16";
    case ComputeDType::Float16: return "float16";
  }
  return "unknown";
}

namespace {

/// Default Lanczos breakdown tolerance and shell floor: about where the model dtype's rounding of
/// an operator product hides an eigenvalue (float16 and bfloat16 alike: 1e-3).
double byDType(ComputeDType dtype) {
  switch (dtype) {
    case ComputeDType::Float64: return 1e-12;
    case ComputeDType::Float32: return 1e-6;
    case ComputeDType::BFloat16:
    case ComputeDType::Float16: return 1e-3;
  }
  return 1e-6;
}

}  // namespace
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
  return byDType(dtype);
}

int ComputeSettings::effectiveMaxSteps() const {
  if (adaptiveTolerance <= 0.0) return lanczosSteps;
  return lanczosMaxSteps > 0 ? lanczosMaxSteps : 8 * lanczosSteps;
}

double ComputeSettings::effectiveRelativeFloor() const {
  if (relativeFloor >= 0.0) return relativeFloor;
  return byDType(dtype);
}

ShellWindowPolicy ComputeSettings::windowPolicy() const {
  ShellWindowPolicy policy;
  policy.lambdaMin = lambdaMin;
  policy.lambdaMax = lambdaMax;
  policy.relativeFloor = effectiveRelativeFloor();
  return policy;
}

void ComputeSettings::validate() const {
  auto require = [](bool ok, const char* setting, const std::string& problem) {
    if (!ok) throw SettingError(setting, problem);
  };
  require(!models.empty(), "model", "is missing: no model given");
  require(batches >= 1, "batches", "must be at least 1");
  require(batchSize >= 1, "batch_size", "must be at least 1");
  require(seqLen >= 1, "seq_len", "must be at least 1");
  require(lanczosSteps >= 1, "lanczos_steps", "must be at least 1");
  require(std::isfinite(adaptiveTolerance) && adaptiveTolerance >= 0.0, "adaptive_tolerance",
          "must be 0 (fixed m) or a positive relative width");
  require(adaptiveTolerance == 0.0 || lanczosMode != LanczosMode::Plain, "adaptive_tolerance",
          "needs full re-orthogonalisation or Golub-Kahan: the plain recurrence's bounds are not rigorous");
  require(lanczosMaxSteps == 0 || lanczosMaxSteps >= lanczosSteps, "lanczos_max_steps",
          "must be at least lanczos_steps (" + std::to_string(lanczosSteps) + ")");
  require(shellsPerDecade >= 1 && shellsPerDecade <= 1000, "shells_per_decade", "must be between 1 and 1000");
  require(heldOutStepRows < 0 || !heldOutData.empty() || !data.empty(), "held_out_data",
          "is missing: held-out rows of a training step need token data");
  require(!hasHeldOut() || (heldOutData.empty() ? data : heldOutData) != data || heldOutStepRows != trainingStepRows,
          "held_out_data",
          "names the training batches themselves (give another file, or other rows with --held-out-pythia-step)");
  require(!heldOutCrossEntropy || hasHeldOut(), "held_out_cross_entropy",
          "needs held-out points (--held-out-data or --held-out-pythia-step)");
  require(threads >= 0, "threads", "must be 0 (all cores) or more");
  require(lambdaMin <= 0.0 || lambdaMax <= 0.0 || lambdaMin < lambdaMax, "lambda_min",
          "must be below the upper end of the shell window");
}

std::vector<std::string> builtinModelNames() {
  std::vector<std::string> names;
  for (const auto& name : engine::builtinNames()) names.push_back(engine::kBuiltinPrefix + name);
  return names;
}

ComputeSettings recomputeSettings(const RunMetadata& meta, const std::string& checkpoint, const std::string& data) {
  ComputeSettings s;
  s.models = {checkpoint.empty() ? meta.checkpoint : checkpoint};
  if (meta.dataFormat != "builtin") s.data = data.empty() ? meta.dataPath : data;
  if (meta.dataFormat.rfind("raw ", 0) == 0) s.dataDtype = meta.dataFormat.substr(4);
  const std::string tokenized = "text, tokenized by ";
  if (meta.dataFormat.rfind(tokenized, 0) == 0) s.tokenizer = meta.dataFormat.substr(tokenized.size());
  const std::string rows = "pythia-step-";
  if (meta.batchOrder.rfind(rows, 0) == 0) s.trainingStepRows = std::stoll(meta.batchOrder.substr(rows.size()));
  s.batches = static_cast<int>(meta.nBatches);
  s.batchSize = static_cast<int>(meta.batchSize);
  s.seqLen = static_cast<int>(meta.seqLen);
  s.lanczosMode = parseLanczosMode(meta.lanczosMode);
  s.lanczosSteps = static_cast<int>(meta.lanczosSteps);
  if (meta.lanczosTolerance > 0) s.lanczosTolerance = meta.lanczosTolerance;
  s.adaptiveTolerance = meta.adaptiveTolerance;
  if (meta.adaptiveTolerance > 0) s.lanczosMaxSteps = static_cast<int>(meta.lanczosMaxSteps);
  s.shellsPerDecade = static_cast<int>(meta.shellsPerDecade);
  if (meta.relativeFloor > 0) s.relativeFloor = meta.relativeFloor;
  s.device = meta.device.rfind("cuda", 0) == 0 ? DevicePreference::Cuda : DevicePreference::Cpu;
  s.dtype = parseDType(meta.dtype);
  if (!meta.jvpMethod.empty()) s.jvpMethod = parseJvpMethod(meta.jvpMethod);
  s.recomputeActivations = meta.recomputeActivations;
  s.seed = static_cast<std::uint64_t>(meta.seed);
  s.threads = static_cast<int>(meta.threads);
  return s;
}

std::vector<std::string> modelFamilies() { return engine::ModelFamilyRegistry::instance().modelTypes(); }

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

}  // namespace shellscope

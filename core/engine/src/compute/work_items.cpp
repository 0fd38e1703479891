// The estimated cost of a work item: parameters × tokens × Lanczos steps × quadratures, the
// count of multiply-adds of its operator products up to a constant (docs/cluster.md).
#include "shellscope/engine/work_items.h"

#include <filesystem>
#include <sstream>

#include "models/builtin_models.h"

namespace shellscope {

namespace {

/// Parameters of a checkpoint folder, from its weight files' bytes (2 per fp16 parameter).
double folderParameters(const std::string& folder) {
  std::uintmax_t bytes = 0;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    const bool weights = name.find(".safetensors") != std::string::npos || name.find(".bin") != std::string::npos;
    if (weights && it->is_regular_file(error)) bytes += it->file_size(error);
  }
  return bytes > 0 ? static_cast<double>(bytes) / 2.0 : 1.0;
}

}  // namespace

double estimatedItemCost(const ComputeSettings& settings, const CheckpointEntry& checkpoint) {
  const double parameters = engine::isBuiltinModel(checkpoint.path)
                                ? static_cast<double>(engine::makeBuiltinModel(checkpoint.path, settings.seed)->parameterCount())
                                : folderParameters(checkpoint.path);
  return parameters * settings.batchSize * settings.seqLen * settings.effectiveMaxSteps() * settings.quadraturesPerBatch();
}

std::string campaignSettingsText(const ComputeSettings& s, const std::vector<CheckpointEntry>& checkpoints) {
  std::ostringstream text;
  text.precision(17);
  const auto absolute = [](const std::string& path) {
    return path.empty() || engine::isBuiltinModel(path) || path == "builtin"
               ? path
               : std::filesystem::absolute(path).lexically_normal().string();
  };
  for (const CheckpointEntry& c : checkpoints) text << "checkpoint=" << absolute(c.path) << "\n";
  text << "data=" << absolute(s.data) << "\ndata_dtype=" << s.dataDtype << "\ntokenizer=" << absolute(s.tokenizer)
       << "\ntraining_step_rows=" << s.trainingStepRows << "\nbatches=" << s.batches << "\nbatch_size=" << s.batchSize
       << "\nseq_len=" << s.seqLen << "\nlanczos_mode=" << toString(s.lanczosMode) << "\nlanczos_steps=" << s.lanczosSteps
       << "\nlanczos_tolerance=" << s.effectiveTolerance() << "\nadaptive_tolerance=" << s.adaptiveTolerance
       << "\nlanczos_max_steps=" << s.effectiveMaxSteps() << "\ncross_dissipation=" << s.crossDissipation
       << "\nheld_out_data=" << absolute(s.heldOutData) << "\nheld_out_step_rows=" << s.heldOutStepRows
       << "\nheld_out_cross_entropy=" << s.heldOutCrossEntropy
       << "\nshells_per_decade=" << s.shellsPerDecade << "\nlambda_min=" << s.lambdaMin << "\nlambda_max=" << s.lambdaMax
       << "\nrelative_floor=" << s.effectiveRelativeFloor() << "\ndevice=" << (s.device == DevicePreference::Cpu ? "cpu" : "gpu-if-any")
       << "\ndtype=" << toString(s.dtype) << "\njvp_method=" << toString(s.jvpMethod) << "\nseed=" << s.seed << "\n";
  // Only when on, so that campaigns planned before the option keep their keys.
  if (s.recomputeActivations) text << "recompute_activations=1\n";
  return text.str();
}

}  // namespace shellscope

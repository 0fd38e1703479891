#include "cli/compute_options.h"

#include <cstdio>

namespace shellscope::cli {

void addModelAndDataOptions(CommandLine& cl, ComputeSettings& s, std::string* singleModel) {
  if (singleModel) {
    cl.option("model", "PATH", "checkpoint folder or built-in model", *singleModel).setting("model");
  } else {
    cl.option("model", "PATH", "checkpoint folder or built-in model", s.models).setting("model");
  }
  cl.option("data", "PATH", "token data: MMIDIDX prefix/.bin/.idx, .npy, .txt, or raw tokens", s.data).setting("data");
  cl.option("data-dtype", "TYPE", "dtype of raw token files: u16 | u32 | i32 | i64", s.dataDtype).setting("data_dtype");
  cl.option("tokenizer", "FILE", "tokenizer.json for text data (default: the checkpoint's)", s.tokenizer)
      .setting("tokenizer");
  cl.option("pythia-step", "S", "windows from rows S*1024.. of 2049-token samples (Pythia's training order)",
            s.trainingStepRows)
      .defaultText("")
      .setting("training_step_rows");
}

void addHeldOutOptions(CommandLine& cl, ComputeSettings& s) {
  cl.option("held-out-data", "PATH",
            "held-out points paired with the batches (their profile, loss and the held-out loss rate per\n"
            "training shell; docs/generalisation.md): token data cut like --data, or 'builtin' for a built-in\n"
            "model's own data after its training batches; one more Lanczos run per batch",
            s.heldOutData)
      .defaultText("none")
      .setting("held_out_data");
  cl.option("held-out-pythia-step", "S", "held-out windows from rows S*1024.. (of --held-out-data, or of --data)",
            s.heldOutStepRows)
      .defaultText("")
      .setting("held_out_step_rows");
  cl.flag("held-out-cross-entropy",
          "also split the held-out loss rate of the cross-entropy objective (gradient flow on mean(e)):\n"
          "one more Lanczos run per batch, from 1 with the probe J J'^T 1",
          s.heldOutCrossEntropy)
      .setting("held_out_cross_entropy");
}

void addBatchOptions(CommandLine& cl, int& batches, int& batchSize, int& seqLen) {
  cl.option("batches", "N", "number of batches", batches).setting("batches");
  cl.option("batch-size", "B", "windows per batch", batchSize).setting("batch_size");
  cl.option("seq-len", "L", "tokens per window (sample points per window)", seqLen).setting("seq_len");
}

void addSpectrumOptions(CommandLine& cl, ComputeSettings& s) {
  cl.option("lanczos-steps", "M", "Lanczos steps m (adaptive: at least)", s.lanczosSteps).setting("lanczos_steps");
  cl.option("adaptive-tol", "T",
            "adaptive m: continue each batch until every shell with >= 1% of the mass has quadrature "
            "bounds within relative width T",
            s.adaptiveTolerance)
      .defaultText("off")
      .setting("adaptive_tolerance");
  cl.option("max-lanczos-steps", "M", "cap of adaptive m", s.lanczosMaxSteps)
      .defaultText("8 x --lanczos-steps")
      .setting("lanczos_max_steps");
  cl.flag("cross-dissipation",
          "also run Lanczos from e + 1 and e - 1 (3x the cost), so that `transport` can use the dissipation "
          "cross-entropy training implies",
          s.crossDissipation);
  cl.choice("lanczos-mode", "MODE", "full | plain | golub-kahan", s.lanczosMode, parseLanczosMode,
            static_cast<std::string (*)(LanczosMode)>(toString))
      .setting("lanczos_mode");
  cl.option("lanczos-tol", "X", "relative breakdown tolerance", s.lanczosTolerance)
      .defaultText("by dtype: 1e-6 / 1e-12")
      .setting("lanczos_tolerance");
  cl.option("shells-per-decade", "S", "log shells per decade of lambda", s.shellsPerDecade).setting("shells_per_decade");
  cl.option("lambda-min", "X", "fixed lower end of the shell window", s.lambdaMin).defaultText("automatic").setting("lambda_min");
  cl.option("lambda-max", "X", "fixed upper end of the shell window", s.lambdaMax).defaultText("automatic").setting("lambda_max");
  cl.option("relative-floor", "X", "automatic window floor relative to the largest Ritz value", s.relativeFloor)
      .defaultText("by dtype: 1e-6 / 1e-12")
      .setting("relative_floor");
  cl.choice("jvp", "METHOD", "forward | forward-ad | double-backward (see docs/engine.md)", s.jvpMethod, parseJvpMethod,
            static_cast<std::string (*)(JvpMethod)>(toString))
      .setting("jvp_method");
  cl.flag("recompute-activations",
          "keep only each layer's input and run the layers again, one at a time, in every product: the\n"
          "same numbers with far less memory per batch, about one more forward pass per product\n"
          "(docs/engine.md)",
          s.recomputeActivations)
      .setting("recompute_activations");
}

void addRuntimeOptions(CommandLine& cl, DevicePreference& device, ComputeDType& dtype, int& threads, int* deviceIndex) {
  if (deviceIndex) {
    cl.custom("device", "DEV", "auto | cpu | cuda | cuda:K (GPU K; under mpirun/srun the local rank picks it)",
              toString(device),
              [&device, deviceIndex](const std::string& text) {
                int index = -1;
                char rest = 0;
                if (std::sscanf(text.c_str(), "cuda:%d%c", &index, &rest) == 1 && index >= 0) {
                  device = DevicePreference::Cuda;
                  *deviceIndex = index;
                  return;
                }
                try {
                  device = parseDevice(text);
                } catch (const std::invalid_argument& e) {
                  throw UsageError(std::string("--device: ") + e.what() + " or cuda:K");
                }
              })
        .setting("device");
  } else {
    cl.choice("device", "DEV", "auto | cpu | cuda", device, parseDevice, static_cast<std::string (*)(DevicePreference)>(toString))
        .setting("device");
  }
  cl.choice("dtype", "TYPE", "the model's: float32 | float64 | bfloat16 | float16 (float16: CUDA only); Lanczos is float64",
            dtype, parseDType, static_cast<std::string (*)(ComputeDType)>(toString))
      .setting("dtype");
  cl.option("threads", "N", "CPU threads, 0 = all cores", threads).setting("threads");
}

}  // namespace shellscope::cli

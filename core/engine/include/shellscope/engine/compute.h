#pragma once
// The compute driver: shell energies for a list of checkpoints on a list of batches.
//
// Work is a list of independent (checkpoint, batch) items. CheckpointComputation computes one
// item at a time and assembleRun (run.h) merges the items of a checkpoint into a run, so the same
// items could be spread over processes without touching the numerics; computeRun is the one
// batch-to-run loop every driver (compute, the GUI's jobs, the built-in experiment) uses. Drivers
// see a checkpoint through the model family registry: nothing here names an architecture. No
// LibTorch types here.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shellscope/base/progress.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/data/checkpoint_series.h"
#include "shellscope/data/token_data.h"
#include "shellscope/spectral/lanczos.h"
#include "shellscope/spectral/run.h"

namespace shellscope {

enum class DevicePreference { Auto, Cpu, Cuda };
/// The model's dtype (its weights, activations and operator products). bfloat16 and float16 need
/// CUDA; the Lanczos vectors, their dot products and the quadrature stay float64 (kLanczosVectorDType).
enum class ComputeDType { Float32, Float64, BFloat16, Float16 };
/// The dtype of the Lanczos vectors, T and the quadrature, whatever the model's: stated in every run.
inline constexpr const char* kLanczosVectorDType = "float64";
/// How J g is computed (engine/src/operator/linearization.h): forward mode by the model's own tangent pass
/// where it has one, else dual numbers (default); always LibTorch's dual numbers; double backward.
enum class JvpMethod { ForwardMode, ForwardAD, DoubleBackward };

DevicePreference parseDevice(const std::string& text);   ///< auto|cpu|cuda
ComputeDType parseDType(const std::string& text);         ///< float32|float64|bfloat16|float16
JvpMethod parseJvpMethod(const std::string& text);        ///< forward|forward-ad|double-backward
std::string toString(DevicePreference device);
std::string toString(ComputeDType dtype);
std::string toString(JvpMethod method);

struct ComputeSettings {
  std::vector<std::string> models;  ///< checkpoint folders, folders of them, or built-in names ("builtin:tiny-lm")
  std::string data;                 ///< token data (token_data.h); empty: a built-in model's own synthetic data
  std::string dataDtype;            ///< dtype of a raw token file
  std::string tokenizer;            ///< tokenizer.json for text data; default: the checkpoint folder's
  std::int64_t trainingStepRows = -1;  ///< >= 0: windows from rows s*1024.. of 2049-token samples (Pythia's order)
  int batches = 8;
  int batchSize = 4;
  int seqLen = 64;
  LanczosMode lanczosMode = LanczosMode::Full;
  int lanczosSteps = 64;
  double lanczosTolerance = -1.0;   ///< < 0: by dtype (1e-12 float64, 1e-6 float32, 1e-3 bfloat16/float16)
  /// Adaptive m (shell_convergence.h): > 0 continues each batch past lanczosSteps until every
  /// shell holding >= 1% of the mass has Gauss-Radau bounds within this relative width, or
  /// lanczosMaxSteps steps. 0: exactly lanczosSteps steps.
  double adaptiveTolerance = 0.0;
  int lanczosMaxSteps = 0;          ///< adaptive cap; 0: 8 x lanczosSteps
  /// Also run Lanczos from e + 1 and e − 1 (two more quadratures per batch, 3x the cost): the
  /// cross-entropy dissipation Σ λ g c by polarisation (spectral/run.h, BatchSpectrum).
  bool crossDissipation = false;
  /// Held-out points paired with the batches (docs/generalisation.md): batch b's held-out batch
  /// is cut from this token data like the training batches ("builtin": a built-in model's own
  /// synthetic data, the batches after the training ones; empty: from `data` itself, only with
  /// heldOutStepRows). Each held-out batch costs one more Lanczos run (its own profile) plus one
  /// VJP and one JVP (the held-out loss rate per training shell).
  std::string heldOutData;
  /// >= 0: the held-out windows from rows s*1024.. of the held-out data (Pythia's order), e.g.
  /// another step's rows of the same Pile file.
  std::int64_t heldOutStepRows = -1;
  bool hasHeldOut() const { return !heldOutData.empty() || heldOutStepRows >= 0; }
  /// With held-out points, also split the held-out loss rate of the cross-entropy objective
  /// (spectral/run.h, BatchSpectrum::HeldOut::crossEntropy): one more Lanczos run per batch
  /// (training M from 1, probe J J'ᵀ 1) and one more VJP and JVP.
  bool heldOutCrossEntropy = false;
  /// Lanczos runs per batch: 1, + 2 with crossDissipation, + 1 with held-out points, + 1 more for
  /// their cross-entropy split (progress counts their steps one after another).
  int quadraturesPerBatch() const {
    return 1 + (crossDissipation ? 2 : 0) + (hasHeldOut() ? 1 : 0) + (hasHeldOut() && heldOutCrossEntropy ? 1 : 0);
  }
  int shellsPerDecade = 4;
  double lambdaMin = 0.0;           ///< <= 0: automatic window
  double lambdaMax = 0.0;
  double relativeFloor = -1.0;      ///< < 0: by dtype (1e-12 float64, 1e-6 float32, 1e-3 bfloat16/float16)
  DevicePreference device = DevicePreference::Auto;
  int deviceIndex = -1;             ///< CUDA device K (--device cuda:K, or a rank's local rank); -1: the current one
  ComputeDType dtype = ComputeDType::Float32;
  JvpMethod jvpMethod = JvpMethod::ForwardMode;
  /// Keep only each layer's input and run the layers again, one at a time, in every VJP and JVP
  /// (docs/engine.md "Activation recompute"): far less memory per batch, about one more forward
  /// pass per product, the same numbers. Language models with their own linearisation only.
  bool recomputeActivations = false;
  std::uint64_t seed = 0;
  int threads = 0;                  ///< 0: every available core

  double effectiveTolerance() const;
  /// The most steps a batch may take: lanczosSteps, or the adaptive cap.
  int effectiveMaxSteps() const;
  double effectiveRelativeFloor() const;
  /// The shell window policy these settings ask for.
  ShellWindowPolicy windowPolicy() const;
  /// Throws SettingError naming the first bad setting by its key (base/setting_error.h): model,
  /// batches, batch_size, seq_len, lanczos_steps, adaptive_tolerance, lanczos_max_steps,
  /// shells_per_decade, threads, lambda_min, held_out_data, held_out_cross_entropy.
  /// (CheckpointComputation adds device (also a deviceIndex beyond the visible GPUs), data, seq_len against the model's context, and
  /// training_step_rows, which need the model or the machine.)
  void validate() const;
};

/// The settings that compute `meta`'s run again, from the checkpoint folder and token data at the
/// given paths (found again with checkRunInputs, session/provenance.h; empty: as recorded). A
/// fixed shell window (lambda_min/max) is not recorded: the window is automatic again.
ComputeSettings recomputeSettings(const RunMetadata& meta, const std::string& checkpoint, const std::string& data);

/// Names accepted as models without a path.
std::vector<std::string> builtinModelNames();
/// The config.json model_type of every model family this build reads checkpoints of.
std::vector<std::string> modelFamilies();

/// The checkpoints settings.models names, in order: built-in names as they are, folders expanded
/// by discoverCheckpoints (ordered by step). Throws FileFormatError for paths without checkpoints.
std::vector<CheckpointEntry> resolveModels(const ComputeSettings& settings);

/// The token data of settings.data (nullptr when empty). `checkpointFolder` supplies the
/// tokenizer.json of text data when settings.tokenizer is empty.
std::shared_ptr<const TokenStream> openComputeData(const ComputeSettings& settings, const std::string& checkpointFolder);

/// The token data of a series of checkpoints, opened once: settings.data and the held-out data of
/// their own (null when not asked for), with the first checkpoint folder's tokenizer for text.
struct SeriesData {
  std::shared_ptr<const TokenStream> data, heldOut;
};
SeriesData openSeriesData(const ComputeSettings& settings, const std::vector<CheckpointEntry>& checkpoints);

/// One checkpoint loaded and ready: computes the spectrum of any of its batches.
class CheckpointComputation {
 public:
  /// Loads the model and cuts its batches from `data` (or its own synthetic data when `data` is
  /// null and the model is built in); every token id is checked before any compute starts.
  /// Throws with a clear message naming the file on bad input.
  /// `heldOutData`: settings.heldOutData already opened (a series opens it once); null: opened here.
  CheckpointComputation(const ComputeSettings& settings, const CheckpointEntry& checkpoint,
                        std::shared_ptr<const TokenStream> data,
                        std::shared_ptr<const TokenStream> heldOutData = nullptr);
  /// A built-in model or a single checkpoint folder, with settings.data opened for it.
  CheckpointComputation(const ComputeSettings& settings, const std::string& model);
  ~CheckpointComputation();
  CheckpointComputation(const CheckpointComputation&) = delete;
  CheckpointComputation& operator=(const CheckpointComputation&) = delete;

  /// Metadata of the run this checkpoint produces (n_batches filled by assembleRun).
  const RunMetadata& metadata() const;
  const ComputeSettings& settings() const;
  /// Seconds the constructor took (loading the model, cutting and checking the batches).
  double setupSeconds() const;
  int batchCount() const;

  /// Lanczos quadrature on batch `batch`; `onStep(step)` is called after every operator product.
  BatchSpectrum computeBatch(int batch, const std::function<void(int)>& onStep = {});
  /// The batch's error statistics only (loss, mean e^2, n), from one forward pass.
  BatchSpectrum evaluateBatch(int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Computes batch `batch` of `checkpoint` (one work item), reporting its Lanczos steps on
/// `progress` as 0..1 and stopping with CancelledError after the next operator product when it is
/// cancelled.
BatchSpectrum computeItem(CheckpointComputation& checkpoint, int batch, const ProgressToken& progress);

/// Computes every batch of `checkpoint` and assembles its run (computeSeconds included): progress
/// goes to `progress` as 0..1 over the batches, and a cancel stops it after the next operator
/// product with CancelledError.
Run computeRun(CheckpointComputation& checkpoint, const ProgressToken& progress);

/// Computes one run per checkpoint of settings.models, reporting progress on `progress` and
/// stopping with CancelledError when it is cancelled; `onRun` (optional) gets each run as soon as
/// its checkpoint is done. Nothing is written anywhere.
std::vector<Run> computeRuns(const ComputeSettings& settings, const ProgressToken& progress,
                             const std::function<void(const Run&)>& onRun = {});

}  // namespace shellscope

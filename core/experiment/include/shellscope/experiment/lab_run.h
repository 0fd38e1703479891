#pragma once
// The exact lab driver (docs/lab.md, "The driver"): train a small model by full-batch gradient
// descent on a fixed set of n points, form M = J Jᵀ/n exactly (float64, explicit Jacobian of the
// per-point outputs f_i with respect to all P parameters) at every checkpoint, and measure the
// shell balance of every interval term by term with shellscope_lab (shell_balance.h):
//
//     θ_{t+1} = θ_t − h ∇_θ L(θ_t),   h = η/α²,   τ = Σ h   (the accumulated step size)
//     mse-of-error  L = ½ mean(e²)   ⇒  Δe/Δτ = −M e + O(h)
//     cross-entropy L = mean(e)      ⇒  Δe/Δτ = −M 1 + O(h)
//
// because ∂e_i/∂f_i = −1 for both observables (e = y − f for the regressor, e = −log q for a
// language model), so −∇_θ L = Jᵀ e/n (mse-of-error) or Jᵀ 1/n (cross-entropy) and Δe = −J Δθ to
// first order. The output scale α (Chizat & Bach's lazy-training knob) makes the trained function
// f_α(θ) = α (f(θ) − f(θ₀)) + f(θ₀), so J includes α and M its α² (and, as α grows with the step
// η/α², M freezes: the lazy limit). A language model may instead scale its logits,
// z_α = α (z(θ) − z(θ₀)) + z(θ₀), f = log softmax(z_α)[y]: q stays a probability, the logits'
// kernel freezes, but M of f does not (the softmax's curvature remains). No LibTorch types here.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "shellscope/base/progress.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/lab/checkpoint_snapshot.h"
#include "shellscope/spectral/shell_grid.h"

namespace shellscope {

/// What the output scale α multiplies (see above).
enum class ScaleOn {
  Observable,  ///< f itself: f_α = α (f − f₀) + f₀ ("f")
  Logits,      ///< a language model's logits, f = log softmax(z_α)[y] ("logits")
};
std::string toString(ScaleOn scaleOn);
/// Parses "f" and "logits"; throws std::invalid_argument otherwise.
ScaleOn parseScaleOn(const std::string& text);

/// What a lab run does. Setting keys (for SettingError) are the snake_case field names.
struct LabRunSettings {
  /// builtin:mlp (the regressor on its sum-of-sines task), builtin:nano-lm or builtin:tiny-lm
  /// (GPT-NeoX on the synthetic language, one character per token).
  std::string model = "builtin:mlp";
  int points = 128;            ///< n; for a language model the token positions of points/seq_len windows
  int seqLen = 32;             ///< language models: tokens per window
  int steps = 200;             ///< gradient-descent steps
  double learningRate = 0.05;  ///< η; every step uses h = η/α²
  lab::Objective objective = lab::Objective::MseOfError;
  /// Stochastic gradient descent: this many rows (a language model's windows, the regressor's
  /// points) drawn without replacement for every step (seeded by `seed`); 0: full batch.
  int batchRows = 0;
  double momentum = 0.0;       ///< heavy-ball β: v ← β v + ∇L, θ ← θ − h v (τ stays Σ h)
  int every = 1;               ///< a checkpoint every this many steps (and at step 0 and the last step);
                               ///< every step resolves the balance (at 10 the default mlp run is off by ~100%)
  double outputScale = 1.0;    ///< α
  ScaleOn scaleOn = ScaleOn::Observable;
  std::uint64_t seed = 0;      ///< model initialisation and data
  int shellsPerDecade = 4;
  double lambdaMin = 0.0;      ///< <= 0: from the first checkpoint's spectrum (see windowPolicy)
  double lambdaMax = 0.0;      ///< <= 0: from the first checkpoint's spectrum
  double relativeFloor = 1e-12;  ///< automatic lower end relative to λ_max(M at step 0)
  double marginDecades = 1.0;  ///< automatic ends widened by this many decades (the spectrum moves)
  bool storeSpectra = true;    ///< keep λ_u and g_u of every checkpoint (K × n each)
  /// n': held-out points of the same task, never trained on (0: none). At every checkpoint their
  /// profile, loss and the held-out loss rate per training shell R_b (docs/generalisation.md). A
  /// language model's must be a multiple of seq_len.
  int heldOutPoints = 0;
  /// The regressor's label noise: N(0, σ²) added to the training targets (held-out targets stay clean).
  double labelNoise = 0.0;
  /// Language models: write every checkpoint as a Pythia-layout folder <dir>/step<N>/ (config.json,
  /// model.safetensors, float64) and the points as <dir>/points.npy (the windows of seq_len + 1
  /// tokens one after another), so the normal loaders reopen and recompute them
  /// (`compute --model <dir> --data <dir>/points.npy --batches 1 --batch-size n/seq_len`; with
  /// held-out points also <dir>/held-out.npy, for `--held-out-data`). The
  /// folders hold θ: with α ≠ 1 they give M of f, not of f_α (which is α² times it). Empty: none.
  std::string checkpointFolder;
  int threads = 0;             ///< 0: every core

  /// h = η/α².
  double stepSize() const { return learningRate / (outputScale * outputScale); }
  /// "gradient descent, full batch, constant step", "SGD, 4 of 16 windows per step, constant step,
  /// heavy-ball momentum 0.9", ... (stored as the lab run's `optimizer`).
  std::string optimizerDescription() const;
  /// Steps at which checkpoints are taken: 0, every, 2 every, ..., and steps.
  std::vector<int> checkpointSteps() const;
  /// Throws SettingError naming the first bad setting: model, points, seq_len, steps,
  /// learning_rate, every, output_scale, scale_on, objective, shells_per_decade, lambda_min, relative_floor,
  /// margin_decades, threads, checkpoint_folder, batch_rows, momentum, held_out_points, label_noise.
  void validate() const;
};

/// The lab models by name ("builtin:mlp", "builtin:nano-lm", "builtin:tiny-lm").
std::vector<std::string> labModelNames();

/// One checkpoint of a lab run. Per-bin vectors have S + 2 entries (bin 0 underflow, bins 1..S
/// the shells of the window, bin S + 1 overflow; shellscope/lab/shell_bins.h).
struct LabCheckpoint {
  int step = 0;
  double tau = 0;             ///< Σ h over the steps before it
  double loss = 0;            ///< the objective L at the checkpoint
  double meanSquaredError = 0;  ///< mean(e²)
  double lambdaMax = 0;         ///< the largest eigenvalue of M (h λ_max well below 1: close to the flow)
  Eigen::VectorXd energy;       ///< E_b = Σ_{u∈b} g_u²
  Eigen::VectorXd dissipation;  ///< D_b = Σ_{u∈b} λ_u g_u² (mse-of-error)
  Eigen::VectorXd crossEntropyDissipation;  ///< D_b = Σ_{u∈b} λ_u g_u c_u (cross-entropy)
  Eigen::VectorXd eigenvalues;    ///< λ_u ascending (n; empty when spectra are not stored)
  Eigen::VectorXd coefficients;   ///< g_u = φ_u·e/√n (n; empty when spectra are not stored)
  // With held-out points (settings.heldOutPoints > 0; empty vectors and NaN otherwise), paper §6:
  double heldOutLoss = std::numeric_limits<double>::quiet_NaN();  ///< L' (the objective on them)
  double heldOutMeanSquaredError = std::numeric_limits<double>::quiet_NaN();  ///< mean(e'²)
  Eigen::VectorXd heldOutEnergy;  ///< E'_b of e' in the held-out operator M' = J'J'ᵀ/n' (its own eigenbasis)
  Eigen::VectorXd heldOutRate;    ///< R_b: dL'/dτ split over the training bins (shellscope/lab/held_out_rate.h)
  double heldOutRateDirect = std::numeric_limits<double>::quiet_NaN();  ///< −w'ᵀK'd/(n n') multiplied out
  Eigen::VectorXd trainingRate;   ///< dL/dτ split the same way (−D_b under mse-of-error), every entry ≤ 0
};

/// One interval [checkpoint k, checkpoint k+1]: the terms of shellscope::lab::IntervalBalance.
struct LabInterval {
  double dtau = 0;
  Eigen::VectorXd energyChange;              ///< ΔE_b
  Eigen::VectorXd dissipationMean;           ///< D̄_b of the objective (enters the residual)
  Eigen::VectorXd checkpointDissipationMean; ///< ½(D_b(k) + D_b(k+1)) of the objective
  Eigen::MatrixXd flux;                      ///< (a, b) = F̄_{b→a}
  Eigen::VectorXd netFlux;                   ///< Σ_{b≠a} F̄_{b→a}
  Eigen::VectorXd crossing;                  ///< energy moved by modes crossing edges
  Eigen::VectorXd residual;                  ///< R_b (a rate, units of E per τ)
  Eigen::VectorXd frozenErrorChange;         ///< the frozen-basis split: error moved, basis fixed
  Eigen::VectorXd frozenBasisChange;         ///< ... and basis moved
  Eigen::VectorXd cumulativeFlux;            ///< J_{<=b} from F̄ and the crossing term
  Eigen::VectorXd cumulativeFluxByDifference;  ///< J_{<=b} from ΔE and the checkpoints' D
  double cosineErrorFlow = 0;     ///< cos(Δe/Δτ, −M_mid e_mid)
  double relativeErrorFlow = 0;   ///< ‖Δe/Δτ + M_mid e_mid‖ / ‖Δe/Δτ‖
  double cosineOnesFlow = 0;      ///< cos(Δe/Δτ, −M_mid 1)
  double relativeOnesFlow = 0;    ///< ‖Δe/Δτ + M_mid 1‖ / ‖Δe/Δτ‖
  double transportToDissipation = 0;  ///< Σ_{a<b} |F̄_{b→a}| / Σ_a |D̄_a|
  double relativeResidual = 0;    ///< max_b |R_b| / (2 Σ_b |D̄_b|)
  int crossingModes = 0;
  int weakCrossings = 0;
  int weakMatches = 0;
  double smallestOverlap = 1;
  double largestRotation = 0;
  std::int64_t skippedAcrossBins = 0;
  /// (L'(k+1) − L'(k))/Δτ, measured (NaN without held-out points) ...
  double heldOutLossRate = std::numeric_limits<double>::quiet_NaN();
  /// ... and ½(Σ_b R_b(k) + Σ_b R_b(k+1)), the identity's value for it (agree to O(Δτ²) along the flow).
  double heldOutRateMean = std::numeric_limits<double>::quiet_NaN();
};

/// A lab run: its settings, what they resolved to, and every checkpoint and interval.
struct LabRun {
  std::string id;              ///< "lab-0001", ... once stored (empty before)
  LabRunSettings settings;
  std::string modelName;       ///< "mlp", "nano-lm", ...
  std::string observable;      ///< "mse" (f = output, e = y − f) or "lm-logprob" (f = log q, e = −f)
  std::string dataSource;
  std::string heldOutSource;   ///< where the held-out points came from (empty: none)
  std::int64_t parameterCount = 0;  ///< P
  ShellWindow window;
  double lambdaFloor = 0;      ///< the lower window end the policy resolved to
  double computeSeconds = 0;
  double jacobianSeconds = 0;  ///< forming J and M, over all checkpoints
  double spectrumSeconds = 0;  ///< snapshots and intervals (diagonalisation, fluxes)
  std::string createdAt;
  std::string softwareVersion;
  std::vector<LabCheckpoint> checkpoints;
  std::vector<LabInterval> intervals;

  int binCount() const { return window.shellCount + 2; }
  /// Largest relative residual over the intervals (NaN when there are none).
  double maxRelativeResidual() const;
  double medianRelativeResidual() const;
  /// Intervals whose fastest cross-bin pair turned by more than `rotation` radians: too long for a
  /// second-order rule (a smaller step size or checkpoint spacing resolves them).
  int fastIntervals(double rotation = 0.1) const;
  /// Σ_k Δτ_k Σ_{a<b}|F̄| / Σ_k Δτ_k Σ_a |D̄_a|: the transport-to-dissipation ratio over the run.
  double runTransportToDissipation() const;
  /// Smallest and mean cosines of the measured Δe/Δτ with −M e and −M 1 over the intervals.
  double minCosineErrorFlow() const;
  double meanCosineErrorFlow() const;
  double minCosineOnesFlow() const;
  double meanCosineOnesFlow() const;
  /// The largest h λ_max(M) over the checkpoints (h = η/α²).
  double largestStepTimesLambda() const;
  bool hasHeldOut() const { return settings.heldOutPoints > 0; }
  /// Largest |ΣR̄ − ΔL'/Δτ| / max|ΔL'/Δτ| over the intervals (NaN without held-out points).
  double maxHeldOutRateMismatch() const;
  /// Largest |Σ_b R_b − direct| / |direct| over the checkpoints (rounding only; NaN without held-out points).
  double maxHeldOutIdentityError() const;
};

/// Where learning on the training points raises the held-out loss (docs/generalisation.md, "The
/// window"): the intervals over which L' rises, and the training bins whose R̄_b is positive there.
struct HeldOutRiseWindow {
  int risingIntervals = 0;      ///< intervals with L'(k+1) > L'(k)
  int firstStep = 0, lastStep = 0;  ///< start of the first rising interval, end of the last
  double tauFirst = 0, tauLast = 0;
  /// Per bin: Σ over the rising intervals of Δτ · max(R̄_b, 0), R̄ the mean of the two checkpoints.
  Eigen::VectorXd positiveRate;
  /// The narrowest run of adjacent bins holding `share` of Σ positiveRate, as λ edges (0 and
  /// +inf for the underflow and overflow bins), and the share it actually holds.
  int binLow = -1, binHigh = -1;
  double lambdaLow = std::numeric_limits<double>::quiet_NaN(), lambdaHigh = std::numeric_limits<double>::quiet_NaN();
  double positiveShare = 0;
  bool rises() const { return risingIntervals > 0; }
};
/// The window of a run with held-out points (none when it has none or L' never rises).
HeldOutRiseWindow heldOutRiseWindow(const LabRun& run, double share = 0.9);

/// Trains and measures. Progress goes to `progress` (0..1 over the run); a cancel stops it with
/// CancelledError after the current checkpoint's Jacobian row or step. Throws SettingError for bad
/// settings (settings.validate(), and seq_len against the model's context).
LabRun runLab(const LabRunSettings& settings, const ProgressToken& progress = {});

/// Adds the run to the session at `path` under /lab/<id> (the file is created when missing),
/// keeping everything else it holds, atomically; returns the id given ("lab-0001", ...).
std::string appendLabRun(const std::string& path, const LabRun& run);

/// Every lab run stored in the session at `path`, sorted by id (none when it has no /lab). Throws
/// SessionFileError naming the file and the group for a missing or mis-shaped field.
std::vector<LabRun> readLabRuns(const std::string& path);

}  // namespace shellscope

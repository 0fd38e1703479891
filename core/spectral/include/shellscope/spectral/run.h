#pragma once
// One run = one checkpoint measured on n_batches batches: the record stored under /runs/<id>.
//
// Work is a list of independent (checkpoint, batch) items; each item yields a BatchSpectrum
// (Ritz values and Gauss weights of one batch), and assembleRun merges any set of them into a
// run. Merging sorts by batch index and bins on the global shell grid, so the result does not
// depend on where or in which order the items were computed.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope {

/// Everything that describes how a run was produced (HDF5 attributes of /runs/<id>).
struct RunMetadata {
  std::string modelName;           ///< e.g. "pythia-70m", "tiny-lm"
  std::string checkpoint;          ///< path or "builtin:tiny-lm"
  std::int64_t step = -1;          ///< training step, -1 if unknown
  std::int64_t nParams = 0;        ///< trainable parameters (the columns of J)
  std::string observable;          ///< "lm-logprob" or "mse"
  std::string device;              ///< "cpu", "cuda", "cuda:1"
  std::string dtype;               ///< the model's: "float32", "float64", "bfloat16" or "float16"
  std::string vectorDtype = "float64";  ///< the Lanczos vectors', their dot products' and the quadrature's
  std::string lanczosMode;         ///< "full", "plain", "golub-kahan"
  std::int64_t lanczosSteps = 0;   ///< m requested (adaptive: the steps every batch takes at least)
  std::int64_t shellsPerDecade = 4;
  std::int64_t batchSize = 0;
  std::int64_t seqLen = 0;
  std::int64_t nBatches = 0;
  std::string dataSource;          ///< path or "builtin:..." description

  // Provenance beyond the fixed schema.
  std::string jvpMethod;           ///< "forward" or "double-backward"
  /// The products ran every layer again from its kept input (compute --recompute-activations);
  /// the same numbers, less memory. False in sessions written before it was recorded.
  bool recomputeActivations = false;
  double lanczosTolerance = 0.0;
  /// Adaptive m (shell_convergence.h): batches ran until every shell holding >= 1% of the mass had
  /// bounds within this relative tolerance, or lanczosMaxSteps. 0: m fixed at lanczosSteps.
  double adaptiveTolerance = 0.0;
  std::int64_t lanczosMaxSteps = 0;  ///< the adaptive cap (fixed m: lanczosSteps)
  double relativeFloor = 0.0;
  std::int64_t seed = 0;
  std::int64_t threads = 0;
  std::string batchOrder = "sequential";
  /// Held-out points (compute --held-out-data; empty without): their batch source, the token data
  /// as given and absolute, and their order.
  std::string heldOutDataSource;
  std::string heldOutDataPath;
  std::string heldOutDataAbsolute;
  std::string heldOutBatchOrder;
  std::string createdAt;           ///< ISO 8601 UTC
  std::string softwareVersion;     ///< "shellscope 0.1.0 (libtorch 1.13.1, openblas)"
  double computeSeconds = 0.0;

  // Where the inputs are, so that another program (or this one, elsewhere) finds them again, and
  // which bytes they were. Empty in sessions written before these existed. The paths relative to
  // the session file are derived when the session is written.
  std::string checkpointAbsolute;  ///< the checkpoint folder, absolute (empty for built-in models)
  std::string checkpointRelative;  ///< ... relative to the session file's folder
  std::string checkpointSha256;    ///< fingerprint of its config.json and weight files (file_digest.h)
  std::string dataPath;            ///< token data as given (empty for built-in data)
  std::string dataAbsolute;
  std::string dataRelative;
  std::string dataFormat;          ///< "MMIDIDX u16", "npy i32", "raw u16", "text, tokenized by ...", "builtin"
  std::string dataSha256;          ///< fingerprint of the token files (empty above 1 GiB: see batchesSha256)
  std::string batchesSha256;       ///< fingerprint of the sample points of every batch (inputs and targets)
};

/// The Gauss quadrature of M from another starting vector v: Ritz values (ascending), Gauss
/// weights (sum 1) and mean(v²), so the masses are norm2 · weights.
struct StartQuadrature {
  Eigen::VectorXd ritzValues, ritzWeights;
  double norm2 = 0.0;
  bool empty() const { return ritzValues.size() == 0; }
};

/// The spectrum of one batch: the unit of work.
struct BatchSpectrum {
  std::int64_t batchIndex = 0;
  Eigen::VectorXd ritzValues;      ///< ascending, stepsTaken entries
  Eigen::VectorXd ritzWeights;     ///< Gauss weights, sum 1 (all zero when e = 0)
  int stepsTaken = 0;
  double errorNorm2 = 0.0;         ///< mean_i e_i^2  (= ||e||_H^2)
  double loss = 0.0;               ///< mean_i e_i
  std::int64_t nTokens = 0;        ///< n sample points
  double orthogonalityLoss = 0.0;  ///< max |v_i . v_j|, i != j, of the Lanczos basis
  double seconds = 0.0;
  /// The Jacobi matrix T of M from the Lanczos run (diagonal, stepsTaken entries; off-diagonal,
  /// stepsTaken - 1) and its next off-diagonal entry: the quadrature bounds' input
  /// (quadrature_bounds.h). Empty for spectra that do not come from Lanczos (synthetic ones).
  Eigen::VectorXd jacobiDiagonal, jacobiOffDiagonal;
  double nextOffDiagonal = 0.0;
  /// Cross-entropy dissipation by polarisation (compute --cross-dissipation; docs/lab.md, "Flux at
  /// scale"): the quadratures from e + 1 and e − 1. Since (φ·(e+1))² − (φ·(e−1))² = 4 (φ·e)(φ·1),
  ///     Σ_{u∈γ} λ_u g_u c_u = ¼ (Σ_{θ⁺∈γ} θ⁺ m⁺ − Σ_{θ⁻∈γ} θ⁻ m⁻)   (g = φ·e/√n, c = φ·1/√n).
  /// Empty unless asked for.
  StartQuadrature errorPlusOnes, errorMinusOnes;
  /// Held-out points paired with this batch (compute --held-out-data; docs/generalisation.md).
  /// Empty unless asked for.
  struct HeldOut {
    std::int64_t batchIndex = 0;
    std::int64_t nTokens = 0;        ///< n'
    StartQuadrature spectrum;        ///< the held-out batch's own quadrature of M' = J'J'ᵀ/n' from e'
    double loss = 0.0;               ///< mean(e')
    /// Per training Ritz value j (ritzValues' order): R_j = −(y_j·e)(y_j·z)/(n n'), z = J J'ᵀ e'
    /// (the bilinear Gauss quadrature, LanczosResult::probeProducts), so that Σ_j R_j = rateDirect
    /// exactly at any m and Σ_{θ_j∈α} R_j → R_α as m → n.
    Eigen::VectorXd ritzRates;
    double rateDirect = 0.0;         ///< −e'ᵀJ'Jᵀe/(n n') = −e·z/(n n')
    /// The cross-entropy objective (compute --held-out-cross-entropy): under gradient flow on
    /// mean(e) the held-out loss mean(e') moves at −1ᵀJ'Jᵀ1/(n n'), split over the training
    /// operator's spectrum by the quadrature of M from 1 with the probe z₁ = J J'ᵀ 1:
    /// R_j = −(y_j·1)(y_j·z₁)/(n n') per Ritz value of that quadrature (not ritzValues'), and
    /// Σ_j R_j = crossEntropyRateDirect exactly at any m. Empty unless asked for.
    StartQuadrature crossEntropy;    ///< training M from 1 (norm2 = 1)
    Eigen::VectorXd crossEntropyRitzRates;
    double crossEntropyRateDirect = 0.0;  ///< −1ᵀJ'Jᵀ1/(n n') = −1·z₁/(n n')
    bool empty() const { return nTokens == 0; }
  } heldOut;
};

/// Per batch, the quadratures from e + 1 and e − 1 (BatchSpectrum::errorPlusOnes): [B, m'] Ritz
/// values and weights (NaN after each batch's steps) and [B] mean((e ± 1)²). Empty in runs
/// computed without --cross-dissipation.
struct PolarisedQuadratures {
  Eigen::MatrixXd plusValues, plusWeights, minusValues, minusWeights;
  Eigen::VectorXd plusNorm2, minusNorm2;
  bool empty() const { return plusNorm2.size() == 0; }
};

/// Held-out points paired with a run's batches (BatchSpectrum::HeldOut; docs/generalisation.md):
/// row b belongs to training batch b. Empty in runs computed without held-out data.
struct HeldOutSpectra {
  std::vector<std::int64_t> batchIndex, nTokens;  ///< [B] the held-out batch paired with training batch b, n'
  Eigen::MatrixXd ritzValues, ritzWeights;        ///< [B, m'] its own quadrature of M' (NaN after its steps)
  Eigen::VectorXd errorNorm2, loss;               ///< [B] mean(e'²), mean(e')
  Eigen::MatrixXd ritzRates;                      ///< [B, m] R_j per training Ritz value (Run::ritzValues' columns)
  Eigen::VectorXd rateDirect;                     ///< [B] −e'ᵀJ'Jᵀe/(n n')
  // Binned on the run's window by assembleRun (computeShells):
  Eigen::MatrixXd shellEnergyBatches;             ///< [B, S] the held-out profile E'_α per batch
  Eigen::VectorXd shellEnergy, underflow, overflow;  ///< [S] its mean; [B] below and above the window
  Eigen::MatrixXd shellRateBatches;               ///< [B, S] R_α per batch pair (positive: raises L')
  Eigen::VectorXd shellRate, rateUnderflow, rateOverflow;  ///< [S] mean over pairs; [B] below and above
  /// The cross-entropy objective (BatchSpectrum::HeldOut::crossEntropy); empty unless computed.
  struct CrossEntropy {
    Eigen::MatrixXd ritzValues, ritzWeights;  ///< [B, m''] the training quadrature from 1 (NaN after its steps)
    Eigen::MatrixXd ritzRates;                ///< [B, m''] R_j per Ritz value of that quadrature
    Eigen::VectorXd rateDirect;               ///< [B] −1ᵀJ'Jᵀ1/(n n')
    // Binned by computeShells:
    Eigen::MatrixXd shellRateBatches;         ///< [B, S] R_α per batch pair
    Eigen::VectorXd shellRate, rateUnderflow, rateOverflow;
    /// [B, S] the training rate of mean(e) per shell, −Σ_{θ_j∈α} θ_j w_j (every entry ≤ 0), and [S] its mean.
    Eigen::MatrixXd trainingRateBatches;
    Eigen::VectorXd trainingRate, trainingRateUnderflow, trainingRateOverflow;  ///< [S]; [B] below and above
    bool empty() const { return rateDirect.size() == 0; }
  } crossEntropy;
  bool empty() const { return errorNorm2.size() == 0; }
  /// Fills the binned arrays from the Ritz arrays (trainingValues: the run's ritzValues).
  void computeShells(const ShellWindow& window, const Eigen::MatrixXd& trainingValues);
};

/// Where each batch of a run was computed, when its batches were computed as the work items of a
/// campaign (compute over ranks or shards, then merge; docs/cluster.md): [B] host, rank and
/// device, in batch order; the campaign's key and this checkpoint's place in its list. Empty for
/// runs computed in one process.
struct ItemProvenance {
  std::string campaign;                    ///< the campaign's key (hex digest of its settings)
  std::int64_t checkpointIndex = -1;       ///< the checkpoint's index in the campaign
  std::vector<std::string> host, device;   ///< [B]
  std::vector<std::int64_t> rank;          ///< [B] the rank (or shard) that computed the batch
  bool empty() const { return campaign.empty(); }
};

/// A run as stored in a session.
struct Run {
  std::string id;                   ///< group name under /runs, e.g. "run-0003"
  RunMetadata meta;
  ShellWindow window;
  double lambdaFloor = 0.0;         ///< lower window end the floor policy resolved to

  Eigen::VectorXd shellEnergy;              ///< [S] mean over batches
  Eigen::MatrixXd shellEnergyBatches;       ///< [B,S]
  Eigen::VectorXd underflow, overflow;      ///< [B]
  Eigen::MatrixXd ritzValues, ritzWeights;  ///< [B,m], NaN after stepsTaken
  std::vector<std::int64_t> stepsTaken;     ///< [B]
  Eigen::VectorXd errorNorm2, loss;         ///< [B]
  std::vector<std::int64_t> nTokens;        ///< [B]
  std::vector<std::int64_t> batchIndex;     ///< [B]
  Eigen::VectorXd orthogonalityLoss;        ///< [B]
  Eigen::VectorXd batchSeconds;             ///< [B]
  /// [B,m] T's diagonal and [B,m] its off-diagonal followed by the next entry (row b: stepsTaken
  /// values each, then NaN); empty in runs without Lanczos data (older sessions, synthetic runs).
  Eigen::MatrixXd lanczosAlpha, lanczosBeta;
  /// [B,S] Gauss-Radau bounds on every shell energy of every batch, and [S] their means over
  /// batches (bounds on shellEnergy); empty when lanczosAlpha is.
  Eigen::MatrixXd shellEnergyLowerBatches, shellEnergyUpperBatches;
  Eigen::VectorXd shellEnergyLower, shellEnergyUpper;
  /// Smooth shells (shell_grid.h, binMassesSmoothly): [B,S] per batch, [S] the mean, [B] what the
  /// first and last windows leave below and above; from the Ritz values, so every run has them.
  Eigen::MatrixXd smoothShellEnergyBatches;
  Eigen::VectorXd smoothShellEnergy, smoothUnderflow, smoothOverflow;
  /// The quadratures from e ± 1 (cross-entropy dissipation); empty unless computed.
  PolarisedQuadratures polarisation;
  /// Held-out points paired with the batches; empty unless computed with held-out data.
  HeldOutSpectra heldOut;
  /// Per batch, where it was computed (campaigns only).
  ItemProvenance provenance;

  Eigen::Index batchCount() const { return errorNorm2.size(); }
  bool hasQuadratureBounds() const { return shellEnergyLower.size() == shellEnergy.size() && shellEnergy.size() > 0; }
  /// Recomputes the bounds from lanczosAlpha/lanczosBeta (assembleRun calls it; a reader of a file
  /// that has the Jacobi matrices but no bound datasets may too).
  void computeQuadratureBounds();
  /// Recomputes the smooth shells from the Ritz values and weights.
  void computeSmoothShells();
  Eigen::Index shellCount() const { return shellEnergy.size(); }
  /// Mean over batches of mean(e^2): what Σ shells + underflow + overflow must equal.
  double meanErrorNorm2() const;
  /// Largest |Σ_α E_α + under + over − mean(e²)| / mean(e²) over batches (0 when e = 0).
  double massIdentityResidual() const;
  /// Index of the shell with the largest mean energy, -1 if all are zero.
  int peakShell() const;
  /// Per shell: true when the quadrature has not resolved it, its mean bound interval being wider
  /// than its energy (U − L > max(E, 10⁻³ mean(e²)); shells too small to matter are never marked).
  /// Empty when the run has no bounds (sessions written before them).
  std::vector<bool> unconvergedShells() const;
  /// "m = 64", or for adaptive m "adaptive m (tolerance 0.1): 64-212 steps, mean 130, cap 512".
  std::string lanczosStepsText() const;
};

/// Merges batch spectra into a run (any order; sorted by batch index). The window is chosen from
/// all Ritz values with `policy`; masses are errorNorm2 * weight.
Run assembleRun(const RunMetadata& meta, std::vector<BatchSpectrum> spectra, const ShellWindowPolicy& policy);

/// The inverse of assembleRun on what it takes: the batch spectra a run was assembled from, in
/// batch order, read back from the per-batch arrays (run_items.cpp; the one place that lists
/// them for merging). assembleRun(run.meta, batchSpectra(run), policy) gives the run's arrays
/// again bit for bit when `policy` is the one it was computed with.
std::vector<BatchSpectrum> batchSpectra(const Run& run);

}  // namespace shellscope

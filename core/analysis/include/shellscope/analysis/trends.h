#pragma once
// How a model's profile moves across its checkpoints (paper §5, §7), and how profiles of two model
// sizes align at one step (Fig. 3).
//
// Trends: log-log slopes of λ*, κ, p, the low-λ amplitude and the loss against training step and
// against accumulated learning rate τ, over a window of checkpoints t0 <= t <= T (paper §5: the
// exponents hold inside a scale-free window, not through the initial plateau or the end of a
// decay). The window is the user's (AnalysisOptions::trendWindows) or detected: the longest run
// of at least kMinWindowCheckpoints consecutive checkpoints on which log loss, log λ* and log κ
// have no log-log curvature beyond the batch noise (quadratic term within z_Bonferroni bootstrap
// standard deviations of zero).
//
// Every exponent is an ordinary least-squares slope of log10 value on log10 t over the window's
// checkpoints; its interval is a bootstrap over batches that resamples the same batch indices at
// every checkpoint (RunAnalysis::replicates: resample r of every run draws the batches of
// bootstrapResamples(B, R, seed)[r]), so batch effects shared by the checkpoints, the common case
// when every checkpoint is measured on the same batches, are neither ignored nor double counted:
// estimate ± t_(B-1) sd sqrt(B/(B-1)), as for the frontier.
//
// The theory's scale-free transport gives E ≈ C λ^(p+1) exp(-κ λ) with κ(τ) = 2τ/(1+c0), hence the
// implied transport exponent c0 = 2/k - 1 for κ = k τ (log10 k = mean of log10 κ - log10 τ over the
// window) and a predicted loss law L ∝ τ^-[(1+c0) p̄ + 1] (p̄ the mean p over the window), compared
// with the measured -d log L / d log τ on the same window. The prediction is withheld, with the
// reason, when its assumptions fail on the window: κ not growing like τ (its exponent's interval
// misses [1 - 0.1, 1 + 0.1]) or p drifting (the interval of its change across the window misses
// [-0.1, 0.1]). Validated on synthetic checkpoint series with known exponents: validation.h.

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/analysis/frontier.h"
#include "shellscope/analysis/profile_fits.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

/// The trend quantities of one run on each bootstrap resample of its batches (NaN where the
/// resample has no value, e.g. a fit that fails on it). Empty with fewer than two batches.
struct TrendReplicates {
  std::vector<double> frontierLambda, kappa, p, amplitude, loss;
  std::size_t size() const { return loss.size(); }
};

/// Everything measured on one run.
struct RunAnalysis {
  std::string runId, modelName, fingerprint;
  std::int64_t step = -1;
  double loss = 0, lossError = 0;  ///< mean of e over batches and its standard error
  ProfileStatistics statistics;
  Frontier frontier;
  PiecewiseFit piecewise;
  TheoryFit theory;
  std::string betterModel;
  double aicDifference = 0;        ///< AIC(theory) - AIC(piecewise)
  bool stale = false;              ///< read back for a run that has changed since
  TrendReplicates replicates;
  int batches = 0;                 ///< of the run (from the session, not stored with the analysis)
  std::string batchesSha256;       ///< the run's batch fingerprint, when recorded
};

RunAnalysis analyzeRun(const Run& run, const AnalysisOptions& options);

/// Fewest checkpoints a detected window holds (a curvature test needs a residual degree of freedom).
constexpr int kMinWindowCheckpoints = 4;

struct Trend {
  std::string quantity;            ///< frontier_lambda, kappa, p, amplitude, loss
  std::string timeAxis;            ///< "step" or "accumulated_lr"
  double exponent = 0, exponentError = 0, intercept = 0;
  double ciLow = 0, ciHigh = 0;    ///< bootstrap interval of the exponent (NaN: no resamples)
  int points = 0;                  ///< checkpoints of the window with a value
  TrendStatus status = notComputed<TrendCode>();  ///< Ok, or why there is no slope
};

/// The checkpoints a model's trends were fitted over: first <= step <= last.
struct TrendWindow {
  std::int64_t firstStep = -1, lastStep = -1;
  int checkpoints = 0;             ///< in the window (with a positive time)
  int available = 0;               ///< of the model (with a positive time)
  std::string choice;              ///< "user", "auto" or "all"
  std::string reason;              ///< how it was chosen, in words
  bool contains(std::int64_t step) const { return step >= firstStep && step <= lastStep; }
  /// Whether a window was set at all (analyses stored before windows have none).
  bool defined() const { return !choice.empty(); }
};

struct ModelTrends {
  std::string modelName;
  std::string fingerprint;         ///< of the runs the trends came from
  std::vector<Trend> trends;
  std::string timeAxis;            ///< of c0 and the loss exponents: accumulated_lr when logged, else step
  TrendWindow window;
  /// How the batches were resampled across checkpoints, in words (same batches, or by index).
  std::string batchPairing;
  double c0 = 0, c0Error = 0, c0CiLow = 0, c0CiHigh = 0;
  TransportStatus c0Status = notComputed<TransportCode>();
  double meanP = 0, meanPError = 0, meanPCiLow = 0, meanPCiHigh = 0;
  double predictedLossExponent = 0, predictedLossExponentError = 0;
  double predictedCiLow = 0, predictedCiHigh = 0;
  /// Ok, or which assumption of the prediction failed on the window (the prediction is then NaN).
  TransportStatus predictionStatus = notComputed<TransportCode>();
  double measuredLossExponent = 0, measuredLossExponentError = 0;
  double measuredCiLow = 0, measuredCiHigh = 0;
  TransportStatus lossExponentStatus = notComputed<TransportCode>();
  bool stale = false;

  const Trend* find(const std::string& quantity, const std::string& axis = "step") const;
};

/// The trends of one model's analysed runs (any order); `log` may be null. `window`: the user's
/// range of steps, or null to detect one.
ModelTrends modelTrends(const std::string& modelName, std::vector<const RunAnalysis*> runs, const TrainingLog* log,
                        const StepRange* window = nullptr, double confidence = 0.95);

struct Alignment {
  std::string reference, other;
  std::int64_t step = -1;
  double amplitudeShift = 0, amplitudeShiftError = 0;        ///< log10 E_other - log10 E_reference (decades)
  double peakDisplacement = 0, peakDisplacementError = 0;    ///< log10 λ shift of other against reference
  double rmsResidual = 0;          ///< of the aligned log profiles, decades
  AlignmentStatus status = notComputed<AlignmentCode>();
};

/// The shift (Δ log10 λ, Δ log10 E) that best maps `reference`'s smoothed log profile onto
/// `other`'s, with bootstrap errors over both runs' batches.
Alignment alignProfiles(const Run& reference, const Run& other, const AnalysisOptions& options);

}  // namespace shellscope::analysis

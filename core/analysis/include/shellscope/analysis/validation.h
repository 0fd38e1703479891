#pragma once
// Validation of the analysis against synthetic data whose truth is known, over seeded trials: the
// frontier estimators on single profiles (per shape, noise level and batch count, the bias of λ*,
// the cut-off and the width in decades and how often their 95% intervals hold the truth), and the
// trends over a window on checkpoint series (whether the scale-free window is found, bias and
// coverage of the exponents, and whether a prediction whose assumptions fail is withheld).
// `shellscope-cli bench-analysis [--trends]` prints the tables recorded in docs/analysis.md;
// tests/core/analysis runs small versions.
//
// A trial: per batch b and shell α, E_bα = E(λ_α) exp(ε_bα), ε ~ N(0, noise²) (log-normal noise),
// at the shell centres λ_α of 4 shells per decade, one Ritz value per shell so that the run is a
// consistent quadrature; the truth is the maximum of E(λ) itself and its crossings.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shellscope/analysis/frontier.h"
#include "shellscope/analysis/trends.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

struct SyntheticShape {
  std::string name;
  std::function<double(double)> logEnergy;  ///< log10 E as a function of log10 λ
  double peak = 0;                          ///< log10 λ of the maximum
  double cutoff = 0;                        ///< log10 λ where E falls to collapseFactor × the maximum
  double width = 0;                         ///< full width at half maximum, decades
};

/// The shapes of the study (the theory form with three parameter sets, log-normal bumps, power
/// laws with a sharp exponential collapse, peaks exactly on a shell edge and at a shell centre),
/// with their truths for `collapseFactor`.
std::vector<SyntheticShape> validationShapes(double collapseFactor);

/// One trial's run: `batches` batches with log-normal noise of `noise` (natural-log sd).
Run syntheticProfileRun(const SyntheticShape& shape, int batches, double noise, std::uint64_t seed,
                        int shellsPerDecade = 4);

/// Bias, spread and interval coverage of one estimate over the trials.
struct EstimateCheck {
  double bias = 0, spread = 0;  ///< mean and standard deviation of estimate - truth (decades)
  int covered = 0;              ///< trials whose interval held the truth
  int estimated = 0;            ///< trials with an estimate and an interval
};

struct FrontierValidation {
  std::string shape;
  int batches = 0;
  double noise = 0;
  int trials = 0;
  EstimateCheck peak, cutoff, width;
};

/// `trials` seeded trials of one configuration (options: bootstrap resamples, confidence, ...).
FrontierValidation validateFrontier(const SyntheticShape& shape, int batches, double noise, int trials,
                                    const AnalysisOptions& options, std::uint64_t seed);

// ---- Trends over a window (trends.h) ----------------------------------------------------------
//
// A synthetic checkpoint series: checkpoints at log-spaced accumulated learning rates τ_k (a
// constant learning rate, so step ∝ τ), each a run whose profile is the theory form
// E(λ) = λ^(p+1) e^(−κλ) (p and κ given as functions of τ) and whose loss is L(τ), with per-batch
// log-normal noise of which half the variance is a batch effect shared by every checkpoint (the
// same batches measured at every checkpoint, as in a real series) and half fresh per checkpoint.
// Every run carries the same batch fingerprint. Inside the scenario's window the truth is a power
// law: λ* ∝ τ^-1 when κ ∝ τ, κ ∝ τ^1, L ∝ τ^-a; outside it the profile stops moving (a plateau)
// or the loss falls faster (the end of a decay).

struct TrendScenario {
  std::string name;
  int checkpoints = 16;
  double tauFirst = 0.1, tauLast = 100;  ///< accumulated learning rate of the first and last checkpoint
  int windowFirst = 0, windowLast = 15;  ///< the true scale-free window (checkpoint indices)
  std::function<double(double)> kappa, p, loss;  ///< of τ
  /// Truths on the window (NaN where the scenario has none).
  double frontierExponent = 0, kappaExponent = 0, lossExponent = 0, c0 = 0, predictedLossExponent = 0;
  bool assumptionsHold = true;           ///< κ ∝ τ and p constant on the window
};

/// The scenarios of the study: a scale-free window between a plateau and a late decay, a power
/// law throughout, κ growing like √τ, p drifting across the window.
std::vector<TrendScenario> trendScenarios();

/// One trial's session: the scenario's runs (model "synthetic") and its training log.
Session syntheticCheckpointSeries(const TrendScenario& scenario, int batches, double noise, std::uint64_t seed);

struct TrendEstimateChecks {
  EstimateCheck frontier, kappa, loss, c0, predicted;
};

struct TrendValidation {
  std::string scenario;
  int batches = 0;
  double noise = 0;
  int trials = 0;
  int windowInside = 0;          ///< trials whose detected window lies inside the true one
  int windowExact = 0;           ///< trials that found exactly the true window
  double meanWindowShare = 0;    ///< mean share of the true window's checkpoints the detected one holds
  int predictionWithheld = 0;    ///< trials where the prediction was withheld (assumptions failed)
  TrendEstimateChecks detected;  ///< exponents on the detected window
  TrendEstimateChecks given;     ///< exponents on the true window, given as the user's
};

/// `trials` seeded trials of one scenario: every run analysed once, trends on the detected and on
/// the true window.
TrendValidation validateTrends(const TrendScenario& scenario, int batches, double noise, int trials,
                               const AnalysisOptions& options, std::uint64_t seed);

}  // namespace shellscope::analysis

#pragma once
// How a model's profile moves across its checkpoints (paper §5, §7), and how profiles of two model
// sizes align at one step (Fig. 3).
//
// Trends: log-log slopes of λ*, κ, p, the low-λ amplitude and the loss against training step and
// against accumulated learning rate τ. The theory's scale-free transport gives
// E ≈ C λ^(p+1) exp(-κ λ) with κ(τ) = 2τ/(1+c0), hence the implied transport exponent
// c0 = 2/k - 1 for the fitted κ = k τ, and a predicted loss law L ∝ τ^-[(1+c0) p + 1].

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/analysis/frontier.h"
#include "shellscope/analysis/profile_fits.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

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
};

RunAnalysis analyzeRun(const Run& run, const AnalysisOptions& options);

struct Trend {
  std::string quantity;            ///< frontier_lambda, kappa, p, amplitude, loss
  std::string timeAxis;            ///< "step" or "accumulated_lr"
  double exponent = 0, exponentError = 0, intercept = 0;
  int points = 0;
  TrendStatus status = notComputed<TrendCode>();  ///< Ok, or why there is no slope
};

struct ModelTrends {
  std::string modelName;
  std::string fingerprint;         ///< of the runs the trends came from
  std::vector<Trend> trends;
  std::string timeAxis;            ///< of c0 and the loss exponents: accumulated_lr when logged, else step
  double c0 = 0, c0Error = 0;
  TransportStatus c0Status = notComputed<TransportCode>();
  double meanP = 0, meanPError = 0;
  double predictedLossExponent = 0, predictedLossExponentError = 0;
  double measuredLossExponent = 0, measuredLossExponentError = 0;
  TransportStatus lossExponentStatus = notComputed<TransportCode>();
  bool stale = false;

  const Trend* find(const std::string& quantity, const std::string& axis = "step") const;
};

/// The trends of one model's analysed runs (any order); `log` may be null.
ModelTrends modelTrends(const std::string& modelName, std::vector<const RunAnalysis*> runs, const TrainingLog* log);

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

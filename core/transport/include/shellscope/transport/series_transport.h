#pragma once
// Energy flux between shells on a checkpoint series, by difference (paper §3.5, §4.2-4.3;
// science.md §7 "Cumulative flux"; docs/lab.md "Flux at scale"). Summing the shell balance
//     dE_γ/dτ = −2 D_γ + 2 Σ_β F_{β→γ}
// over the bins γ <= b leaves only what crosses the edge above bin b:
//     J_{<=b} = ½ Σ_{γ<=b} (ΔE_γ/Δτ + 2 D̄_γ)          (J > 0: energy moving toward small λ)
// with ΔE the change of the shell energies between consecutive checkpoints, Δτ their distance in
// accumulated step size (time_axis.h) and D̄ the trapezoid mean of D_γ = Σ_{θ_i∈γ} θ_i m_i over
// the two checkpoints (Ritz values θ_i, Gauss masses m_i = mean(e²) w_i). The estimate sees all
// transport at once: eigenbasis rotation and eigenvalues crossing edges (the exact lab, lab_run.h,
// separates the two). Underflow and overflow are the outermost bins, so the last entry,
//     J_{<=last} = ½ (Δ mean(e²)/Δτ + 2 Σ D̄),
// is the closure: 0 to O(Δτ²) when ė = −M e (mse-of-error gradient flow), and for cross-entropy
// training a measure of how far ė is from −M e (there ė = −M 1, paper Appendix A). With the
// cross-entropy dissipation D_γ = Σ_{u∈γ} λ_u g_u c_u (polarised quadratures from e ± 1, runs
// computed with --cross-dissipation) in place of D, the balance is that of ė = −M 1 and the closure
// is 0 for cross-entropy gradient flow.
//
// The same batches are measured at every checkpoint (same batch indices; same batches_sha256 when
// recorded), so every batch gives its own J and the estimate is their mean; its error is a
// bootstrap over batches that resamples the same batch indices at both ends of an interval
// (analysis::bootstrapInterval: SE from the replicates, interval ± t_(B−1) SE). Bias and coverage
// on synthetic series with a known flux: tests/core/test_series_transport.cpp, docs/lab.md.

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "shellscope/base/progress.h"
#include "shellscope/spectral/shell_grid.h"
#include "shellscope/transport/time_axis.h"

namespace shellscope {
struct Run;
struct Session;
}  // namespace shellscope

namespace shellscope::transport {

/// Which dissipation enters J (docs/lab.md, "How far apart may checkpoints be").
enum class DissipationKind {
  Auto,          ///< cross-entropy for a language-model series whose runs all have the e ± 1 quadratures, else error
  Error,         ///< D = Σ θ m from Lanczos on e: the mse-of-error flow's (ė = −M e)
  CrossEntropy,  ///< D = Σ λ g c by polarisation (compute --cross-dissipation): cross-entropy's (ė = −M 1)
};
/// "auto", "error", "cross-entropy".
std::string toString(DissipationKind kind);
DissipationKind parseDissipationKind(const std::string& text);

/// Which series, which clock and which error bars.
struct TransportSettings {
  /// The series: every run of this model, sorted by step (empty: the session's only model; an
  /// error when it has several).
  std::string modelName;
  /// Or exactly these runs (sorted by step here); overrides modelName.
  std::vector<std::string> runIds;
  /// τ from this schedule (empty: the training log when the session has one, else steps).
  std::string schedule;
  bool forceSteps = false;  ///< τ = step even when a log or schedule is known
  DissipationKind dissipation = DissipationKind::Auto;
  int bootstrapSamples = 500;
  double confidence = 0.95;
  std::uint64_t seed = 1;
  /// Throws SettingError naming the bad setting (bootstrap_samples, confidence, schedule).
  void validate() const;
};

/// Energy and dissipation of every batch of one run on the bins of `window` (S + 2 bins: 0 the
/// underflow, 1..S the shells, S + 1 the overflow; shellscope/lab/shell_bins.h), from its Ritz
/// values and Gauss weights: [B, bins] each, rows in the run's batch order.
struct BinnedRun {
  Eigen::MatrixXd energy;       ///< E_b = Σ_{θ_i∈b} m_i
  Eigen::MatrixXd dissipation;  ///< D_b = Σ_{θ_i∈b} max(θ_i, 0) m_i
  /// D_b = ¼ (Σ_{θ⁺∈b} θ⁺ m⁺ − Σ_{θ⁻∈b} θ⁻ m⁻) from the e ± 1 quadratures (empty without them)
  Eigen::MatrixXd crossDissipation;
};
BinnedRun binRun(const Run& run, const ShellWindow& window);

/// The smallest window of the global grid holding every run's window (all must share
/// shells_per_decade; throws std::invalid_argument otherwise).
ShellWindow commonWindow(const std::vector<const Run*>& runs);

/// One interval between consecutive checkpoints. Per-bin vectors have S + 2 entries; entry b of
/// the flux vectors is J across the edge above bin b (window edge b), the last the closure.
struct TransportInterval {
  std::string fromRun, toRun;
  std::int64_t fromStep = 0, toStep = 0;
  double dtau = 0;                      ///< in the series' time unit
  Eigen::VectorXd energyChange;         ///< mean over batches of ΔE_b
  Eigen::VectorXd dissipationMean;      ///< mean over batches of ½ (D_b(k) + D_b(k+1))
  Eigen::VectorXd cumulativeFlux;       ///< J_{<=b}: mean over batches
  Eigen::VectorXd standardError;        ///< bootstrap SE of J_{<=b}
  /// Σ_{γ<=b} Δτ² D̈_γ / 12: the trapezoid's estimated bias of J_{<=b} (NaN with two checkpoints)
  Eigen::VectorXd discretisation;
  Eigen::VectorXd low, high;            ///< J ± (t SE + |discretisation|) at the settings' confidence
                                        ///< (J ± |discretisation| without bootstrap resamples)
  Eigen::MatrixXd cumulativeFluxBatches;  ///< [B, bins] every batch's J_{<=b}
  /// J_{<=last} / Σ_b D̄_b: the closure relative to the dissipation (0 for the mse-of-error flow
  /// up to O(Δτ²); NaN without dissipation).
  double relativeClosure() const;
};

/// A checkpoint series' cumulative flux, interval by interval.
struct SeriesTransport {
  std::string id;                      ///< "transport-0001", ... once stored (empty before)
  std::string modelName;
  std::vector<std::string> runIds;     ///< K runs, by step
  std::vector<std::int64_t> steps;     ///< K
  SeriesTime time;                     ///< τ of each checkpoint and where it came from
  ShellWindow window;                  ///< the common window; S + 2 bins
  DissipationKind dissipationKind = DissipationKind::Error;  ///< which D entered (never Auto)
  std::vector<std::int64_t> batchIndex;  ///< the B batches every checkpoint was measured on
  Eigen::MatrixXd energy, dissipation;   ///< [K, bins] means over batches
  std::vector<TransportInterval> intervals;  ///< K − 1
  int bootstrapSamples = 0;
  double confidence = 0;
  std::uint64_t seed = 0;
  std::string createdAt, softwareVersion;
  /// Runs left out because no time passed since the previous checkpoint under the clock used
  /// (τ equal: a schedule whose first step has rate 0, as GPT-NeoX's warm-up does), with why.
  std::vector<std::string> skipped;

  int binCount() const { return window.shellCount + 2; }
  /// λ of the edge above bin b (b = 0..S; the window's edge b).
  double edgeLambda(int b) const { return window.edge(b); }
  /// [K − 1, bins] J_{<=b} of every interval (the Transport view's heatmap).
  Eigen::MatrixXd cumulativeFluxMatrix() const;
  /// Largest |relativeClosure()| over the intervals (NaN when there are none).
  double maxRelativeClosure() const;
};

/// The runs of the series `settings` names, sorted by step; of two runs at one step the one with
/// the e ± 1 quadratures is kept when the other has none. Throws std::invalid_argument naming what
/// is wrong: an unknown run or model, several models without one chosen, fewer than two runs,
/// two runs at one step otherwise, unknown steps (-1), runs measured on different batches, a
/// batch index listed twice.
std::vector<const Run*> selectSeries(const Session& session, const TransportSettings& settings);

/// τ of the runs' steps by the settings' rules (schedule, else the session's log, else steps).
SeriesTime seriesTime(const Session& session, const std::vector<const Run*>& runs, const TransportSettings& settings);

/// The estimate (see above). Throws std::invalid_argument for a series that cannot be estimated
/// (selectSeries's reasons; Δτ <= 0) and SettingError for bad settings.
SeriesTransport estimateTransport(const Session& session, const TransportSettings& settings,
                                  const ProgressToken& progress = {});

}  // namespace shellscope::transport

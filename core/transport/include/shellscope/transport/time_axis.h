#pragma once
// The time axis of a checkpoint series (paper §2: time is the accumulated step size τ = Σ_k η_k).
// The by-difference flux (series_transport.h) divides energy changes by Δτ, so τ must be known for
// every checkpoint. It comes from, first found:
//   1. a learning-rate schedule the user states: Pythia's (GPT-NeoX's AnnealingLR: linear warm-up
//      to the peak over `warmup` steps, then cosine decay to `final` × peak at step `total`,
//          η(t) = peak · t / warmup                                   t <= warmup
//          η(t) = min + (peak − min) · (1 + cos(π (t − warmup)/(total − warmup))) / 2,  min = final · peak
//      constant at min after `total`), or step/rate pairs (linear between pairs, constant outside),
//   2. the session's training log (/training/<model>: the rate of every step 0, 1, ...; a log
//      that skips steps is refused; τ(t) = Σ_{k<t} η_k),
//   3. steps, τ = t, when neither is known: rates are then per step, not per unit τ, and every
//      view says so.
// τ(t) = Σ_{k=0}^{t-1} η(k) is summed exactly over integer steps (no integral approximation).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace shellscope {
struct TrainingLog;
}

namespace shellscope::transport {

enum class TimeSource {
  TrainingLog,  ///< the session's /training/<model> log
  Schedule,     ///< a schedule the user stated
  Steps,        ///< τ = step (no rates known)
};
/// "training-log", "schedule", "steps".
std::string toString(TimeSource source);
/// Parses the above; throws std::invalid_argument otherwise.
TimeSource parseTimeSource(const std::string& text);

/// A learning-rate schedule (see above).
class LearningRateSchedule {
 public:
  /// GPT-NeoX's warm-up and cosine decay. Throws std::invalid_argument for peak <= 0, warmup < 0,
  /// total <= warmup or final outside [0, 1].
  static LearningRateSchedule warmupCosine(double peak, std::int64_t warmup, std::int64_t total, double final);
  /// Step/rate pairs (sorted by step here; steps distinct, rates >= 0, at least one pair).
  static LearningRateSchedule pairs(std::vector<std::pair<std::int64_t, double>> points);
  /// Parses what a user types:
  ///   "cosine:peak=1e-3,warmup=1430,total=143000,final=0.1"  (Pythia-70M's config)
  ///   "pairs:0=1e-4,1000=1e-3,143000=1e-4"
  ///   "constant:1e-3"
  /// Throws std::invalid_argument naming what is wrong.
  static LearningRateSchedule parse(const std::string& text);

  /// η(t) for step t >= 0.
  double rate(std::int64_t step) const;
  /// τ(t) = Σ_{k<t} η(k).
  double accumulated(std::int64_t step) const;
  /// The text parse() reads back to the same schedule.
  std::string describe() const;

 private:
  enum class Kind { WarmupCosine, Pairs };
  Kind kind_ = Kind::Pairs;
  double peak_ = 0, final_ = 0;
  std::int64_t warmup_ = 0, total_ = 0;
  std::vector<std::pair<std::int64_t, double>> points_;
};

/// τ at each of `steps` and how it was found.
struct SeriesTime {
  TimeSource source = TimeSource::Steps;
  std::string description;  ///< "training log of nano-s", "cosine:peak=...", "steps (no learning rates known)"
  std::vector<double> tau;  ///< one per step
  /// "τ" (accumulated step size) or "steps".
  std::string unit() const { return source == TimeSource::Steps ? "steps" : "tau"; }
};

/// τ from a training log; throws std::invalid_argument when a step lies beyond the log.
SeriesTime timeFromLog(const TrainingLog& log, const std::vector<std::int64_t>& steps);
SeriesTime timeFromSchedule(const LearningRateSchedule& schedule, const std::vector<std::int64_t>& steps);
SeriesTime timeInSteps(const std::vector<std::int64_t>& steps);

}  // namespace shellscope::transport

#pragma once
// The frontier animation (paper Fig. 2): one model's profile morphing across its checkpoints.
//
// A timeline position p in [0, n-1] lies between checkpoints i = floor(p) and i+1 with t = p - i.
// Everything is interpolated in log space: log10 E of a shell (the shells share the global grid,
// so shell k of one run is shell k of the next), the smoothed curve log10 Ê(log10 λ), the frontier
// (log10 λ*, log10 E*) and the step (geometrically between positive steps). Where only one side
// has a value (a shell empty in one checkpoint) the nearer checkpoint's value is shown.

#include <QPointF>
#include <QString>
#include <cstdint>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "shellscope/spectral/run.h"

namespace shellscope::ui {

struct AnimationFrame {
  double position = 0;
  double step = 0;                  ///< interpolated training step
  int lower = 0, upper = 0;         ///< the checkpoints around the position
  double t = 0;                     ///< 0 at lower, 1 at upper
  std::vector<QPointF> raw;         ///< (shell centre λ, E) for shells with energy
  std::vector<QPointF> smoothed;    ///< (λ, Ê) on a fine common grid
  bool hasFrontier = false;
  QPointF frontier;                 ///< (λ*, Ê(λ*))
};

class ProfileAnimation {
 public:
  /// `runs` of one model (any order; sorted by step here); `analyses[i]` belongs to runs[i] and
  /// may be null (the frontier is then found on the mean profile without a bootstrap).
  ProfileAnimation(std::vector<const Run*> runs, std::vector<const analysis::RunAnalysis*> analyses,
                   double smoothingWidth = 0.25);

  int checkpointCount() const { return static_cast<int>(checkpoints_.size()); }
  std::int64_t stepAt(int index) const { return checkpoints_[index].step; }
  const Run& runAt(int index) const { return *checkpoints_[index].run; }
  /// The last position (n - 1).
  double endPosition() const { return checkpointCount() > 0 ? checkpointCount() - 1 : 0; }

  AnimationFrame frameAt(double position) const;
  /// The raw profile of checkpoint `index` (ghosts).
  std::vector<QPointF> checkpointProfile(int index) const;
  /// The frontier of checkpoints 0..floor(position), then the interpolated one: the trail.
  std::vector<QPointF> trail(double position) const;

  /// Ranges covering every checkpoint, so the axes stay still while the profile moves.
  double lambdaLow() const { return lambdaLow_; }
  double lambdaHigh() const { return lambdaHigh_; }
  double energyLow() const { return energyLow_; }
  double energyHigh() const { return energyHigh_; }

 private:
  struct Checkpoint {
    const Run* run = nullptr;
    std::int64_t step = 0;
    int shellsPerDecade = 4;
    int firstEdge = 0;
    std::vector<double> logEnergy;    ///< per shell of the window, NaN when empty
    std::vector<double> logSmoothed;  ///< on grid_, NaN outside the run's data
    bool hasFrontier = false;
    double logFrontierLambda = 0, logFrontierEnergy = 0;
  };
  double clampPosition(double position) const;

  std::vector<Checkpoint> checkpoints_;
  std::vector<double> grid_;  ///< log10 λ of the smoothed curves
  double lambdaLow_ = 1, lambdaHigh_ = 10, energyLow_ = 1e-6, energyHigh_ = 1;
};

}  // namespace shellscope::ui

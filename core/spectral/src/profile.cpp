#include "shellscope/spectral/profile.h"

#include <cmath>
#include <limits>

namespace shellscope {

int undrawableShellCount(const Run& run) {
  int count = 0;
  for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
    const double e = run.shellEnergy(j);
    count += !std::isfinite(e) || e < 0.0;
  }
  return count;
}

std::vector<ProfilePoint> profilePoints(const Run& run) {
  std::vector<ProfilePoint> points;
  const Eigen::Index batches = run.batchCount();
  for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
    if (!(run.shellEnergy(j) > 0.0) || !std::isfinite(run.shellEnergy(j))) continue;
    ProfilePoint p;
    p.shell = static_cast<int>(j);
    p.lambdaLow = run.window.edge(p.shell);
    p.lambdaHigh = run.window.edge(p.shell + 1);
    p.lambdaCentre = run.window.centre(p.shell);
    p.energy = run.shellEnergy(j);
    if (batches > 1) {
      const Eigen::VectorXd column = run.shellEnergyBatches.col(j);
      p.spread = std::sqrt((column.array() - column.mean()).square().sum() / static_cast<double>(batches - 1));
      p.standardError = p.spread / std::sqrt(static_cast<double>(batches));
    }
    points.push_back(p);
  }
  return points;
}

double peakLambda(const Run& run) {
  const int peak = run.peakShell();
  return peak >= 0 ? run.window.centre(peak) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace shellscope

#include "ui/charts/profile_animation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "shellscope/analysis/frontier.h"

namespace shellscope::ui {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr int kCurveSamples = 200;

/// Interpolates two log values; with one missing, the nearer side's (NaN when that is missing).
double blend(double a, double b, double t) {
  if (std::isfinite(a) && std::isfinite(b)) return a + (b - a) * t;
  return t < 0.5 ? a : b;
}

}  // namespace

ProfileAnimation::ProfileAnimation(std::vector<const Run*> runs, std::vector<const analysis::RunAnalysis*> analyses,
                                   double smoothingWidth) {
  std::vector<std::size_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return runs[a]->meta.step < runs[b]->meta.step; });

  double xLow = INFINITY, xHigh = -INFINITY, yLow = INFINITY, yHigh = -INFINITY;
  std::vector<analysis::LogLogSmoother> smoothers;
  for (std::size_t i : order) {
    const Run& run = *runs[i];
    Checkpoint c;
    c.run = &run;
    c.step = run.meta.step;
    c.shellsPerDecade = run.window.shellsPerDecade;
    c.firstEdge = run.window.firstEdgeIndex;
    for (Eigen::Index s = 0; s < run.shellCount(); ++s) {
      const double e = run.shellEnergy(s);
      c.logEnergy.push_back(e > 0 ? std::log10(e) : kNan);
      if (e > 0) {
        const double x = std::log10(run.window.centre(static_cast<int>(s)));
        xLow = std::min(xLow, x);
        xHigh = std::max(xHigh, x);
        yLow = std::min(yLow, std::log10(e));
        yHigh = std::max(yHigh, std::log10(e));
      }
    }
    const analysis::RunAnalysis* a = i < analyses.size() ? analyses[i] : nullptr;
    if (a && a->frontier.status.ok() && a->frontier.lambda > 0 && a->frontier.peakEnergy > 0) {
      c.hasFrontier = true;
      c.logFrontierLambda = std::log10(a->frontier.lambda);
      c.logFrontierEnergy = std::log10(a->frontier.peakEnergy);
    } else {
      const analysis::PeakEstimate peak = analysis::locatePeak(run.window, run.shellEnergy);
      if (peak.found && peak.lambda > 0 && std::isfinite(peak.logEnergy)) {
        c.hasFrontier = true;
        c.logFrontierLambda = std::log10(peak.lambda);
        c.logFrontierEnergy = peak.logEnergy;
      }
    }
    smoothers.push_back(analysis::LogLogSmoother::ofProfile(run.window, run.shellEnergy, smoothingWidth));
    checkpoints_.push_back(std::move(c));
  }
  if (!std::isfinite(xLow)) return;  // nothing to draw: the default ranges stay

  for (int i = 0; i <= kCurveSamples; ++i) grid_.push_back(xLow + (xHigh - xLow) * i / kCurveSamples);
  for (std::size_t c = 0; c < checkpoints_.size(); ++c) {
    const analysis::LogLogSmoother& smoother = smoothers[c];
    for (double x : grid_) {
      const bool inside = !smoother.empty() && x >= smoother.xMin() - 1e-12 && x <= smoother.xMax() + 1e-12;
      checkpoints_[c].logSmoothed.push_back(inside ? smoother(x) : kNan);
    }
  }
  lambdaLow_ = std::pow(10.0, std::floor(xLow));
  lambdaHigh_ = std::pow(10.0, std::ceil(xHigh));
  energyLow_ = std::pow(10.0, std::floor(std::max(yLow, yHigh - 9.0)));
  energyHigh_ = std::pow(10.0, std::ceil(yHigh + 0.1));
}

double ProfileAnimation::clampPosition(double position) const {
  if (!std::isfinite(position)) return 0;
  return std::clamp(position, 0.0, endPosition());
}

AnimationFrame ProfileAnimation::frameAt(double position) const {
  AnimationFrame frame;
  if (checkpoints_.empty()) return frame;
  frame.position = clampPosition(position);
  frame.lower = static_cast<int>(std::floor(frame.position));
  frame.upper = std::min(frame.lower + 1, checkpointCount() - 1);
  frame.t = frame.upper == frame.lower ? 0.0 : frame.position - frame.lower;
  const Checkpoint& a = checkpoints_[frame.lower];
  const Checkpoint& b = checkpoints_[frame.upper];
  const double t = frame.t;

  // On a checkpoint the step is exact (no round trip through log10).
  if (t == 0.0) {
    frame.step = a.step;
  } else {
    frame.step = a.step > 0 && b.step > 0 ? std::pow(10.0, blend(std::log10(a.step), std::log10(b.step), t))
                                          : a.step + (b.step - a.step) * t;
  }

  // Shells by global edge index: shell j of a run is edge k0 + j of the one grid.
  if (a.shellsPerDecade == b.shellsPerDecade) {
    std::map<int, std::pair<double, double>> shells;
    for (std::size_t j = 0; j < a.logEnergy.size(); ++j) shells[a.firstEdge + int(j)] = {a.logEnergy[j], kNan};
    for (std::size_t j = 0; j < b.logEnergy.size(); ++j) {
      auto [it, inserted] = shells.try_emplace(b.firstEdge + int(j), kNan, kNan);
      it->second.second = b.logEnergy[j];
    }
    for (const auto& [k, values] : shells) {
      const double y = blend(values.first, values.second, t);
      if (!std::isfinite(y)) continue;
      const double centre = std::sqrt(gridEdge(a.shellsPerDecade, k) * gridEdge(a.shellsPerDecade, k + 1));
      frame.raw.emplace_back(centre, std::pow(10.0, y));
    }
  } else {
    frame.raw = checkpointProfile(t < 0.5 ? frame.lower : frame.upper);
  }

  for (std::size_t i = 0; i < grid_.size(); ++i) {
    const double y = blend(a.logSmoothed[i], b.logSmoothed[i], t);
    if (std::isfinite(y)) frame.smoothed.emplace_back(std::pow(10.0, grid_[i]), std::pow(10.0, y));
  }

  if (a.hasFrontier && b.hasFrontier) {
    frame.hasFrontier = true;
    frame.frontier = QPointF(std::pow(10.0, blend(a.logFrontierLambda, b.logFrontierLambda, t)),
                             std::pow(10.0, blend(a.logFrontierEnergy, b.logFrontierEnergy, t)));
  } else if ((t < 0.5 ? a : b).hasFrontier) {
    const Checkpoint& c = t < 0.5 ? a : b;
    frame.hasFrontier = true;
    frame.frontier = QPointF(std::pow(10.0, c.logFrontierLambda), std::pow(10.0, c.logFrontierEnergy));
  }
  return frame;
}

std::vector<QPointF> ProfileAnimation::checkpointProfile(int index) const {
  std::vector<QPointF> points;
  const Checkpoint& c = checkpoints_.at(index);
  for (std::size_t j = 0; j < c.logEnergy.size(); ++j) {
    if (std::isfinite(c.logEnergy[j])) points.emplace_back(c.run->window.centre(int(j)), std::pow(10.0, c.logEnergy[j]));
  }
  return points;
}

std::vector<QPointF> ProfileAnimation::trail(double position) const {
  std::vector<QPointF> points;
  if (checkpoints_.empty()) return points;
  const AnimationFrame frame = frameAt(position);
  for (int i = 0; i <= frame.lower; ++i) {
    const Checkpoint& c = checkpoints_[i];
    if (c.hasFrontier) points.emplace_back(std::pow(10.0, c.logFrontierLambda), std::pow(10.0, c.logFrontierEnergy));
  }
  if (frame.hasFrontier && frame.t > 0) points.push_back(frame.frontier);
  return points;
}

}  // namespace shellscope::ui

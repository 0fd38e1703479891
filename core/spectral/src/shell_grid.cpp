// Log-shell binning on the global grid λ_k = 10^(k/s); see shell_grid.h for the identity kept.
#include "shellscope/spectral/shell_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace shellscope {

namespace {
void requireShellsPerDecade(int s) {
  if (s < 1 || s > 1000) {
    throw std::invalid_argument("shells per decade must be between 1 and 1000, got " + std::to_string(s));
  }
}
}  // namespace

double gridEdge(int shellsPerDecade, int k) {
  return std::pow(10.0, static_cast<double>(k) / shellsPerDecade);
}

int gridIndexAtOrBelow(int shellsPerDecade, double lambda) {
  if (!(lambda > 0.0) || !std::isfinite(lambda)) {
    throw std::invalid_argument("grid index needs a positive finite lambda");
  }
  // log10 gives the index up to rounding; the exact comparison against the edges we store
  // decides, so binning and the written shell_edges can never disagree.
  int k = static_cast<int>(std::floor(shellsPerDecade * std::log10(lambda)));
  while (gridEdge(shellsPerDecade, k) > lambda) --k;
  while (gridEdge(shellsPerDecade, k + 1) <= lambda) ++k;
  return k;
}

std::vector<double> ShellWindow::edges() const {
  std::vector<double> result(static_cast<size_t>(shellCount) + 1);
  for (int j = 0; j <= shellCount; ++j) result[static_cast<size_t>(j)] = edge(j);
  return result;
}

double ShellWindow::centre(int j) const {
  return std::sqrt(edge(j) * edge(j + 1));
}

int ShellWindow::locate(double lambda) const {
  if (!(lambda >= edge(0))) return kUnderflow;  // also zero, negative
  if (lambda >= edge(shellCount)) return shellCount;
  return gridIndexAtOrBelow(shellsPerDecade, lambda) - firstEdgeIndex;
}

ShellWindow chooseShellWindow(int shellsPerDecade, const ShellWindowPolicy& policy,
                              const std::vector<double>& ritzValues, double* floorLambda) {
  requireShellsPerDecade(shellsPerDecade);
  double largest = 0.0;
  double smallestPositive = std::numeric_limits<double>::infinity();
  for (double value : ritzValues) {
    if (!std::isfinite(value) || value <= 0.0) continue;
    largest = std::max(largest, value);
    smallestPositive = std::min(smallestPositive, value);
  }

  double low = policy.lambdaMin;
  double high = policy.lambdaMax;
  if (high <= 0.0) high = largest > 0.0 ? largest : 1.0;
  if (low <= 0.0) {
    const double floor = high * policy.relativeFloor;
    low = std::isfinite(smallestPositive) ? std::max(floor, smallestPositive) : floor;
  }
  if (!(low > 0.0) || !(high >= low)) {
    throw std::invalid_argument("shell window needs 0 < lambda-min <= lambda-max");
  }
  if (floorLambda) *floorLambda = low;

  ShellWindow window;
  window.shellsPerDecade = shellsPerDecade;
  window.firstEdgeIndex = gridIndexAtOrBelow(shellsPerDecade, low);
  // The top edge must lie strictly above the largest value in range (shells are half-open).
  int lastEdge = gridIndexAtOrBelow(shellsPerDecade, high);
  if (policy.lambdaMax <= 0.0 || gridEdge(shellsPerDecade, lastEdge) < high) ++lastEdge;
  window.shellCount = std::max(1, lastEdge - window.firstEdgeIndex);
  return window;
}

double ShellEnergies::total() const {
  double sum = underflow + overflow;
  for (double e : energy) sum += e;
  return sum;
}

ShellEnergies binMasses(const ShellWindow& window, const std::vector<double>& values,
                        const std::vector<double>& masses) {
  if (values.size() != masses.size()) {
    throw std::invalid_argument("binMasses: values and masses differ in length");
  }
  ShellEnergies result;
  result.energy.assign(static_cast<size_t>(window.shellCount), 0.0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      if (masses[i] != 0.0 && !std::isnan(masses[i])) {
        throw std::invalid_argument("binMasses: a NaN Ritz value carries mass");
      }
      continue;
    }
    const int shell = window.locate(values[i]);
    if (shell == ShellWindow::kUnderflow) {
      result.underflow += masses[i];
    } else if (shell == window.shellCount) {
      result.overflow += masses[i];
    } else {
      result.energy[static_cast<size_t>(shell)] += masses[i];
    }
  }
  return result;
}

namespace {

/// The C^∞ step from 0 (t <= 0) to 1 (t >= 1).
double smoothStep(double t) {
  if (t <= 0.0) return 0.0;
  if (t >= 1.0) return 1.0;
  const double a = std::exp(-1.0 / t), b = std::exp(-1.0 / (1.0 - t));
  return a / (a + b);
}

}  // namespace

double smoothWindow(const ShellWindow& window, int shell, double lambda) {
  if (!(lambda > 0.0) || !std::isfinite(lambda)) return 0.0;
  const double h = 1.0 / window.shellsPerDecade;
  const double x = std::log10(lambda), c = std::log10(window.centre(shell));
  return x <= c ? smoothStep((x - c + h) / h) : 1.0 - smoothStep((x - c) / h);
}

ShellEnergies binMassesSmoothly(const ShellWindow& window, const std::vector<double>& values,
                                const std::vector<double>& masses) {
  if (values.size() != masses.size()) throw std::invalid_argument("binMassesSmoothly: values and masses differ in length");
  ShellEnergies result;
  result.energy.assign(static_cast<size_t>(window.shellCount), 0.0);
  if (window.shellCount == 0) return result;
  const double h = 1.0 / window.shellsPerDecade;
  const double firstCentre = std::log10(window.centre(0)), lastCentre = std::log10(window.centre(window.shellCount - 1));
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i], m = masses[i];
    if (std::isnan(v)) {
      if (m != 0.0 && !std::isnan(m)) throw std::invalid_argument("binMassesSmoothly: a NaN Ritz value carries mass");
      continue;
    }
    if (!(v > 0.0)) {
      result.underflow += m;
      continue;
    }
    const double x = std::log10(v);
    if (x < firstCentre) {
      const double w = smoothWindow(window, 0, v);
      result.energy[0] += w * m;
      result.underflow += (1.0 - w) * m;
      continue;
    }
    if (x > lastCentre) {
      const double w = smoothWindow(window, window.shellCount - 1, v);
      result.energy[static_cast<size_t>(window.shellCount - 1)] += w * m;
      result.overflow += (1.0 - w) * m;
      continue;
    }
    // Between the centres of shells j and j + 1: their two windows share the mass.
    const int j = std::min(window.shellCount - 2, static_cast<int>(std::floor((x - firstCentre) / h)));
    if (j < 0) {  // one shell only, at its centre
      result.energy[0] += m;
      continue;
    }
    const double share = smoothStep((x - std::log10(window.centre(j))) / h);
    result.energy[static_cast<size_t>(j)] += (1.0 - share) * m;
    result.energy[static_cast<size_t>(j + 1)] += share * m;
  }
  return result;
}

}  // namespace shellscope

// Lab bins: the window's shells with underflow and overflow as the outermost ones (see
// shell_bins.h); Σ_b E_b = Σ_α E_α + underflow + overflow.
#include "shellscope/lab/shell_bins.h"

#include <stdexcept>
#include <string>

namespace shellscope::lab {

int binCount(const ShellWindow& window) { return window.shellCount + 2; }

int binOf(const ShellWindow& window, double lambda) {
  // locate: kUnderflow (-1) below, 0..S-1 inside, S at or above the top edge; NaN is underflow.
  return window.locate(lambda) + 1;
}

std::vector<int> binsOf(const ShellWindow& window, const Eigen::VectorXd& lambdas) {
  std::vector<int> bins(static_cast<size_t>(lambdas.size()));
  for (Eigen::Index u = 0; u < lambdas.size(); ++u) bins[static_cast<size_t>(u)] = binOf(window, lambdas(u));
  return bins;
}

ShellEnergies toShellEnergies(const Eigen::VectorXd& perBin) {
  if (perBin.size() < 2) throw std::invalid_argument("toShellEnergies: needs at least the underflow and overflow bins");
  ShellEnergies result;
  result.underflow = perBin(0);
  result.overflow = perBin(perBin.size() - 1);
  result.energy.assign(perBin.data() + 1, perBin.data() + perBin.size() - 1);
  return result;
}

Eigen::VectorXd sumIntoBins(const std::vector<int>& bins, int count, const Eigen::VectorXd& values) {
  if (static_cast<Eigen::Index>(bins.size()) != values.size()) {
    throw std::invalid_argument("sumIntoBins: " + std::to_string(bins.size()) + " bins for " +
                                std::to_string(values.size()) + " values");
  }
  Eigen::VectorXd out = Eigen::VectorXd::Zero(count);
  for (size_t u = 0; u < bins.size(); ++u) {
    if (bins[u] < 0 || bins[u] >= count) throw std::invalid_argument("sumIntoBins: bin out of range");
    out(bins[u]) += values(static_cast<Eigen::Index>(u));
  }
  return out;
}

}  // namespace shellscope::lab

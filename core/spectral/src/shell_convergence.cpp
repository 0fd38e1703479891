// Adaptive m: the shell-convergence test of shell_convergence.h (science.md §7).
#include "shellscope/spectral/shell_convergence.h"

#include <algorithm>

#include "shellscope/spectral/lanczos.h"
#include "shellscope/spectral/quadrature_bounds.h"

namespace shellscope {

ShellConvergence testShellConvergence(const ShellConvergenceTest& test, const Eigen::VectorXd& diagonal,
                                      const Eigen::VectorXd& offDiagonal, double nextOffDiagonal) {
  ShellConvergence result;
  if (diagonal.size() == 0) {
    result.converged = true;
    return result;
  }
  Eigen::VectorXd values, weights;
  tridiagonalQuadrature(diagonal, offDiagonal, values, weights);
  const std::vector<double> ritz(values.data(), values.data() + values.size());
  const std::vector<double> masses(weights.data(), weights.data() + weights.size());
  const ShellWindow window = chooseShellWindow(test.shellsPerDecade, test.policy, ritz);
  const ShellEnergies gauss = binMasses(window, ritz, masses);
  const ShellEnergyBounds bounds = shellEnergyBounds(window, diagonal, offDiagonal, nextOffDiagonal, 1.0);
  for (int a = 0; a < window.shellCount; ++a) {
    if (bounds.upper(a) < test.massFraction) continue;
    ++result.shellsTested;
    const double scale = std::max(gauss.energy[static_cast<std::size_t>(a)], test.massFraction);
    const double width = (bounds.upper(a) - bounds.lower(a)) / scale;
    result.worstRelativeWidth = std::max(result.worstRelativeWidth, width);
    if (width > test.tolerance) ++result.shellsUnconverged;
  }
  result.converged = result.shellsUnconverged == 0;
  return result;
}

}  // namespace shellscope

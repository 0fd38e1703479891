#pragma once
// Adaptive m (science.md §7): when is a batch's Lanczos run long enough? After k steps the
// Gauss-Radau bounds (quadrature_bounds.h) enclose every sharp shell energy E_α; the run has
// converged when every shell that may hold a share f of the mass (upper bound >= f mean(e²)) is
// pinned down to a relative tolerance τ:
//     U_α − L_α  <=  τ · max(E_α, f · mean(e²))        (E_α the Gauss estimate)
// The shells are those of the run's grid (4 per decade on the global lattice) over the batch's
// own Ritz values, so they are the shells the run's window will hold. The test is only meaningful
// for coefficients that define the measure (full re-orthogonalisation or Golub-Kahan).
// Verified in tests/core/spectral/test_shell_convergence.cpp against dense spectra.

#include <Eigen/Core>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope {

struct ShellConvergenceTest {
  double tolerance = 0.1;      ///< τ
  double massFraction = 0.01;  ///< f
  int shellsPerDecade = 4;
  ShellWindowPolicy policy;    ///< the run's window policy (fixed ends or the automatic floor)
};

struct ShellConvergence {
  bool converged = false;
  int shellsTested = 0;         ///< shells whose upper bound reaches f mean(e²)
  int shellsUnconverged = 0;
  double worstRelativeWidth = 0;  ///< max over tested shells of (U − L) / max(E, f mean(e²))
};

/// The test on T_k (diagonal k, off-diagonal k-1 entries) and the next off-diagonal entry.
ShellConvergence testShellConvergence(const ShellConvergenceTest& test, const Eigen::VectorXd& diagonal,
                                      const Eigen::VectorXd& offDiagonal, double nextOffDiagonal);

}  // namespace shellscope

#pragma once
// The bins of the exact lab (paper §3.2; science.md §7 "Cumulative flux"): the spectral stage's
// shell window (shellscope/spectral/shell_grid.h) with its underflow and overflow turned into the
// two outermost shells, so that every eigenvalue has a bin and sums over bins close:
//     bin 0        underflow, λ < λ_{k0} (zero and negative rounding values included)
//     bin 1 + j    shell j of the window, [λ_{k0+j}, λ_{k0+j+1}) (an edge belongs to the shell above)
//     bin S + 1    overflow, λ >= λ_{k0+S}
//     Σ_b E_b = Σ_α E_α + underflow + overflow.
// Bins are ordered by λ, so "bins <= b" is "everything below edge b of the window".

#include <Eigen/Core>
#include <vector>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope::lab {

/// S + 2: the window's shells plus underflow and overflow.
int binCount(const ShellWindow& window);

/// The bin of one eigenvalue (ShellWindow::locate shifted by one).
int binOf(const ShellWindow& window, double lambda);

/// The bin of every eigenvalue.
std::vector<int> binsOf(const ShellWindow& window, const Eigen::VectorXd& lambdas);

/// Per-bin values (binCount entries) in the spectral stage's form: energy[j] = values[1 + j].
ShellEnergies toShellEnergies(const Eigen::VectorXd& perBin);

/// Sums per-mode values into bins: out[bins[u]] += values[u].
Eigen::VectorXd sumIntoBins(const std::vector<int>& bins, int count, const Eigen::VectorXd& values);

}  // namespace shellscope::lab

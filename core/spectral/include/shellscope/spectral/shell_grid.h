#pragma once
// Logarithmic spectral shells on one global grid (science.md §3, paper §3.2 and B.3).
//
// Edge k of the grid is λ_k = 10^(k/s), s shells per decade, for every run in every session, so
// profiles from different runs share edges exactly. A run keeps a contiguous window of the grid,
// edges k0 .. k0+S; quadrature mass below λ_{k0} (including zero or negative Ritz values from
// rounding) is underflow, mass at or above λ_{k0+S} is overflow. Nothing is ever dropped:
//   Σ_α E_α + underflow + overflow = Σ masses.

#include <vector>

namespace shellscope {

/// λ_k = 10^(k/s).
double gridEdge(int shellsPerDecade, int k);

/// Largest k with gridEdge(s, k) <= lambda (lambda > 0, finite).
int gridIndexAtOrBelow(int shellsPerDecade, double lambda);

/// A contiguous window of the global grid: shells [λ_{k0+j}, λ_{k0+j+1}), j = 0..S-1.
struct ShellWindow {
  int shellsPerDecade = 4;
  int firstEdgeIndex = 0;  ///< k0
  int shellCount = 0;      ///< S

  double edge(int j) const { return gridEdge(shellsPerDecade, firstEdgeIndex + j); }
  std::vector<double> edges() const;  ///< S+1 values
  /// Geometric centre of shell j.
  double centre(int j) const;

  static constexpr int kUnderflow = -1;
  /// Shell index of lambda: kUnderflow below the window, shellCount at or above its top.
  int locate(double lambda) const;
};

/// How a run's window is chosen from its Ritz values.
struct ShellWindowPolicy {
  /// Fixed window ends (snapped outwards to the grid); <= 0 means automatic.
  double lambdaMin = 0.0;
  double lambdaMax = 0.0;
  /// Automatic lower end: Ritz values below relativeFloor * (largest Ritz value) are numerically
  /// indistinguishable from zero for the compute dtype and are counted as underflow.
  double relativeFloor = 1e-12;
};

/// The window for a run whose Ritz values (all batches, NaN padding allowed) are given.
/// Also returns the λ the automatic floor resolved to (lambdaMin when fixed).
ShellWindow chooseShellWindow(int shellsPerDecade, const ShellWindowPolicy& policy,
                              const std::vector<double>& ritzValues, double* floorLambda = nullptr);

/// Masses binned into a window.
struct ShellEnergies {
  std::vector<double> energy;  ///< S values
  double underflow = 0.0;
  double overflow = 0.0;
  double total() const;
};

/// Bins masses (same length as values; NaN values must carry zero mass and are skipped).
ShellEnergies binMasses(const ShellWindow& window, const std::vector<double>& values,
                        const std::vector<double>& masses);

/// Smooth shells: energies in smooth windows that form a partition of unity in x = log10 λ, so that
/// Gauss quadrature integrates them to high accuracy with few Lanczos steps (a sharp shell is the
/// integral of a step function, which it integrates slowly). With h = 1/s and c_α the centre of
/// shell α, the window of shell α is
///     w_α(x) = S((x − c_α + h)/h) for x <= c_α,   1 − S((x − c_α)/h) for x >= c_α,
/// S(t) = f(t) / (f(t) + f(1 − t)), f(t) = exp(−1/t) (t > 0), 0 otherwise: infinitely smooth,
/// 1 at the centre, 1/2 at the shell's edges, 0 one shell away, and w_α + w_(α+1) = 1 between
/// the two centres. Below the first centre what w_0 leaves is smooth underflow, above the last
/// centre what w_(S−1) leaves is smooth overflow, so Σ_α E_α + underflow + overflow = Σ masses.
double smoothWindow(const ShellWindow& window, int shell, double lambda);
ShellEnergies binMassesSmoothly(const ShellWindow& window, const std::vector<double>& values,
                                const std::vector<double>& masses);

}  // namespace shellscope

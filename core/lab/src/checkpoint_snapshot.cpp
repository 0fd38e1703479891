// One checkpoint of the exact lab (paper §3.1-3.2): M = Φ diag(λ) Φᵀ, g = Φᵀe/√n and
//     Σ_b E_b = Σ_u g_u² = mean(e²),   D_b = Σ_{u∈S_b} λ_u g_u d_u   (d = g or c = Φᵀ1/√n).
#include "shellscope/lab/checkpoint_snapshot.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <stdexcept>
#include <string>

#include "shellscope/lab/shell_bins.h"

namespace shellscope::lab {

std::string toString(Objective objective) {
  switch (objective) {
    case Objective::MseOfError: return "mse-of-error";
    case Objective::CrossEntropy: return "cross-entropy";
  }
  return "unknown";
}

Objective parseObjective(const std::string& text) {
  if (text == "mse-of-error") return Objective::MseOfError;
  if (text == "cross-entropy") return Objective::CrossEntropy;
  throw std::invalid_argument("unknown objective '" + text + "' (expected mse-of-error or cross-entropy)");
}

Eigen::MatrixXd symmetricPart(const Eigen::MatrixXd& m) {
  if (m.rows() == 0 || m.rows() != m.cols()) {
    throw std::invalid_argument("the lab needs a square, non-empty M, got " + std::to_string(m.rows()) + " x " +
                                std::to_string(m.cols()));
  }
  if (!m.allFinite()) throw std::invalid_argument("M has non-finite entries");
  return 0.5 * (m + m.transpose());
}

Eigenbasis diagonalise(const Eigen::MatrixXd& symmetric) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(symmetric, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("the eigensolver did not converge on M");
  return {solver.eigenvalues(), solver.eigenvectors()};  // ascending, orthonormal columns
}

const Eigen::VectorXd& CheckpointSnapshot::dissipationFor(Objective objective) const {
  return objective == Objective::CrossEntropy ? crossEntropyDissipation : dissipation;
}

Eigen::VectorXd CheckpointSnapshot::modeDissipation(Objective objective) const {
  const Eigen::VectorXd& driver = objective == Objective::CrossEntropy ? onesCoefficients : coefficients;
  return basis.values.cwiseProduct(coefficients).cwiseProduct(driver);
}

ShellEnergies CheckpointSnapshot::shellEnergies() const { return toShellEnergies(energy); }

CheckpointSnapshot snapshotCheckpoint(const Eigen::MatrixXd& m, const Eigen::VectorXd& e, const ShellWindow& window) {
  if (e.size() != m.rows()) {
    throw std::invalid_argument("the error has " + std::to_string(e.size()) + " entries but M is " +
                                std::to_string(m.rows()) + " x " + std::to_string(m.cols()));
  }
  if (!e.allFinite()) throw std::invalid_argument("the error has non-finite entries");
  CheckpointSnapshot s;
  s.window = window;
  s.operatorMatrix = symmetricPart(m);
  s.error = e;
  s.basis = diagonalise(s.operatorMatrix);
  const double rootN = std::sqrt(static_cast<double>(e.size()));
  s.coefficients = s.basis.vectors.transpose() * e / rootN;
  s.onesCoefficients = s.basis.vectors.transpose() * Eigen::VectorXd::Ones(e.size()) / rootN;
  s.bins = binsOf(window, s.basis.values);
  const int count = binCount(window);
  s.energy = sumIntoBins(s.bins, count, s.coefficients.cwiseAbs2());
  s.dissipation = sumIntoBins(s.bins, count, s.modeDissipation(Objective::MseOfError));
  s.crossEntropyDissipation = sumIntoBins(s.bins, count, s.modeDissipation(Objective::CrossEntropy));
  s.meanSquaredError = e.squaredNorm() / static_cast<double>(e.size());
  return s;
}

}  // namespace shellscope::lab

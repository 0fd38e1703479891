// The held-out loss rate split over the training operator's bins (held_out_rate.h; paper §6):
//     dL'/dτ = −(1/(n n')) w'ᵀ K' d = Σ_b R_b,   R_b = −(1/(n n')) Σ_{u∈S_b} (w'ᵀK'φ_u)(φ_u·d).
#include "shellscope/lab/held_out_rate.h"

#include <stdexcept>
#include <string>

#include "shellscope/lab/shell_bins.h"

namespace shellscope::lab {

HeldOutRates heldOutRates(const CheckpointSnapshot& train, const Eigen::MatrixXd& crossKernel,
                          const Eigen::VectorXd& heldOutWeight, const Eigen::VectorXd& drive) {
  const Eigen::Index n = train.size(), held = crossKernel.rows();
  if (crossKernel.cols() != n || drive.size() != n || heldOutWeight.size() != held || held == 0) {
    throw std::invalid_argument("the cross kernel is " + std::to_string(crossKernel.rows()) + " x " +
                                std::to_string(crossKernel.cols()) + " for " + std::to_string(n) +
                                " training points, a drive of " + std::to_string(drive.size()) + " and " +
                                std::to_string(heldOutWeight.size()) + " held-out weights");
  }
  if (!crossKernel.allFinite() || !heldOutWeight.allFinite() || !drive.allFinite()) {
    throw std::invalid_argument("the cross kernel or the held-out errors have non-finite entries");
  }
  const double scale = -1.0 / (static_cast<double>(n) * static_cast<double>(held));
  const Eigen::RowVectorXd carried = heldOutWeight.transpose() * crossKernel;  // w'ᵀ K', 1 × n
  HeldOutRates r;
  r.mode = scale * (carried * train.basis.vectors).transpose().cwiseProduct(train.basis.vectors.transpose() * drive);
  r.bins = sumIntoBins(train.bins, binCount(train.window), r.mode);
  r.direct = scale * carried.dot(drive);
  return r;
}

HeldOutRates heldOutRates(const CheckpointSnapshot& train, const Eigen::MatrixXd& crossKernel,
                          const Eigen::VectorXd& heldOutError, Objective objective) {
  if (objective == Objective::MseOfError) return heldOutRates(train, crossKernel, heldOutError, train.error);
  return heldOutRates(train, crossKernel, Eigen::VectorXd::Ones(heldOutError.size()),
                      Eigen::VectorXd::Ones(train.size()));
}

}  // namespace shellscope::lab

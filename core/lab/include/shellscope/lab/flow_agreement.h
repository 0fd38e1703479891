#pragma once
// Appendix A of the paper as a number: how well a predicted error velocity (−M e for
// mse-of-error, −M 1 for cross-entropy) describes the measured one, Δe/Δτ.
//     cosine              = <measured, predicted> / (‖measured‖ ‖predicted‖)
//     relativeDifference  = ‖measured − predicted‖ / ‖measured‖
// NaN where a norm it divides by is zero.

#include <Eigen/Core>

namespace shellscope::lab {

struct FlowAgreement {
  double cosine = 0;
  double relativeDifference = 0;
};

FlowAgreement compareFlow(const Eigen::VectorXd& measured, const Eigen::VectorXd& predicted);

}  // namespace shellscope::lab

// Appendix A as a number: cosine and relative difference of a measured and a predicted velocity.
#include "shellscope/lab/flow_agreement.h"

#include <limits>
#include <stdexcept>

namespace shellscope::lab {

FlowAgreement compareFlow(const Eigen::VectorXd& measured, const Eigen::VectorXd& predicted) {
  if (measured.size() != predicted.size()) throw std::invalid_argument("compareFlow: vectors differ in length");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double a = measured.norm(), b = predicted.norm();
  FlowAgreement result;
  result.cosine = a > 0 && b > 0 ? measured.dot(predicted) / (a * b) : nan;
  result.relativeDifference = a > 0 ? (measured - predicted).norm() / a : nan;
  return result;
}

}  // namespace shellscope::lab

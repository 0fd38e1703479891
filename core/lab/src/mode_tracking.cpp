// Mode tracking by eigenvector overlap: P_uv = (φ_u(a)·φ_v(b))² is doubly stochastic, so overlaps
// above ½ are unique in their row and column; the rest is matched greedily (see mode_tracking.h).
#include "shellscope/lab/mode_tracking.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace shellscope::lab {

ModeMatching matchModes(const Eigen::MatrixXd& from, const Eigen::MatrixXd& to) {
  if (from.rows() != to.rows() || from.cols() != to.cols() || from.rows() != from.cols()) {
    throw std::invalid_argument("matchModes: the two bases must be square and of the same size");
  }
  const Eigen::Index n = from.cols();
  const Eigen::MatrixXd overlap = (from.transpose() * to).cwiseAbs2();

  ModeMatching result;
  result.partner.assign(static_cast<size_t>(n), -1);
  std::vector<char> taken(static_cast<size_t>(n), 0);
  for (Eigen::Index u = 0; u < n; ++u) {
    Eigen::Index v = 0;
    if (overlap.row(u).maxCoeff(&v) > 0.5 && !taken[static_cast<size_t>(v)]) {
      result.partner[static_cast<size_t>(u)] = static_cast<int>(v);
      taken[static_cast<size_t>(v)] = 1;
    }
  }

  std::vector<int> rows, cols;
  for (Eigen::Index u = 0; u < n; ++u) {
    if (result.partner[static_cast<size_t>(u)] < 0) rows.push_back(static_cast<int>(u));
    if (!taken[static_cast<size_t>(u)]) cols.push_back(static_cast<int>(u));
  }
  std::vector<std::tuple<double, int, int>> candidates;
  candidates.reserve(rows.size() * cols.size());
  for (int u : rows) {
    for (int v : cols) candidates.emplace_back(overlap(u, v), u, v);
  }
  // Decreasing overlap; ties by index, so the result does not depend on the sort.
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    return std::make_pair(std::get<1>(a), std::get<2>(a)) < std::make_pair(std::get<1>(b), std::get<2>(b));
  });
  for (const auto& [value, u, v] : candidates) {
    if (result.partner[static_cast<size_t>(u)] >= 0 || taken[static_cast<size_t>(v)]) continue;
    result.partner[static_cast<size_t>(u)] = v;
    taken[static_cast<size_t>(v)] = 1;
  }

  result.overlap.resize(static_cast<size_t>(n));
  for (Eigen::Index u = 0; u < n; ++u) {
    const double value = overlap(u, result.partner[static_cast<size_t>(u)]);
    result.overlap[static_cast<size_t>(u)] = value;
    result.smallestOverlap = std::min(result.smallestOverlap, value);
    if (value <= 0.5) ++result.weakMatches;
  }
  return result;
}

}  // namespace shellscope::lab

#pragma once
// Which eigenvector of one checkpoint continues which eigenvector of another (paper §3.2: shell
// membership follows λ_u(t), so a mode must be followed to see it cross an edge).
//
// The overlaps P_uv = (φ_u(a)·φ_v(b))² form a doubly stochastic matrix (rows and columns sum to 1),
// so an overlap above ½ is the only one above ½ in its row and column: those pairs are matched
// first. The rest (near-degenerate clusters, whose eigenvectors mix freely) are matched greedily by
// decreasing overlap. The result is a permutation.

#include <Eigen/Core>
#include <vector>

namespace shellscope::lab {

struct ModeMatching {
  std::vector<int> partner;     ///< partner[u]: the column of `to` that continues column u of `from`
  std::vector<double> overlap;  ///< overlap[u] = (φ_u(from)·φ_partner[u](to))²
  double smallestOverlap = 1;   ///< min_u (φ_u(from)·φ_partner[u](to))²
  int weakMatches = 0;          ///< matches with overlap <= ½ (ambiguous; near-degenerate modes)
};

/// Matches the columns of two orthonormal bases of the same size.
ModeMatching matchModes(const Eigen::MatrixXd& from, const Eigen::MatrixXd& to);

}  // namespace shellscope::lab

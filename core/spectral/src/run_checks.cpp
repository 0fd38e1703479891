// The meaning checks of a run (run_checks.h).
#include "shellscope/spectral/run_checks.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <cstdio>

namespace shellscope {

namespace {

constexpr double kIdentityTolerance = 1e-6;  ///< relative, of the mass identity and the weight sum
constexpr std::size_t kMostProblemsPerKind = 3;  ///< a damaged dataset is named, not listed entry by entry

std::string describe(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return std::string(text) + (v < 0 ? " (negative)" : "");
}

/// Entries of `values` that are not finite, or negative when `nonNegative`.
void checkValues(std::vector<std::string>& problems, const char* name, const Eigen::MatrixXd& values,
                 bool nonNegative) {
  std::size_t found = 0;
  for (Eigen::Index i = 0; i < values.rows(); ++i) {
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      const double v = values(i, j);
      if (std::isfinite(v) && (!nonNegative || v >= 0)) continue;
      if (++found <= kMostProblemsPerKind) {
        const std::string index = values.cols() == 1 ? "[" + std::to_string(i) + "]"
                                                     : "[" + std::to_string(i) + ", " + std::to_string(j) + "]";
        problems.push_back(std::string(name) + index + " is " + describe(v));
      }
    }
  }
  if (found > kMostProblemsPerKind) {
    problems.push_back(std::string(name) + ": " + std::to_string(found - kMostProblemsPerKind) + " more such entries");
  }
}

/// Per row of a quadrature stored as [B, m] (a finite prefix, then NaN): weights that are finite,
/// not negative and sum to 1.
void checkWeightSums(std::vector<std::string>& problems, const std::string& name, const Eigen::MatrixXd& values,
                     const Eigen::MatrixXd& weights) {
  for (Eigen::Index b = 0; b < values.rows() && b < weights.rows(); ++b) {
    double sum = 0;
    bool finite = true;
    for (Eigen::Index i = 0; i < values.cols() && i < weights.cols() && std::isfinite(values(b, i)); ++i) {
      finite &= std::isfinite(weights(b, i)) && weights(b, i) >= -1e-12;
      sum += weights(b, i);
    }
    if (!finite || !(std::abs(sum - 1.0) <= kIdentityTolerance)) {
      problems.push_back(name + ", batch " + std::to_string(b) + ": the Gauss weights sum to " + describe(sum) +
                         " or are not finite");
    }
  }
}

/// Per row, rates per Ritz value (NaN entries skipped) that sum to the row's direct rate.
void checkRateSums(std::vector<std::string>& problems, const std::string& name, const std::string& directName,
                   const Eigen::MatrixXd& rates, const Eigen::VectorXd& direct) {
  for (Eigen::Index b = 0; b < rates.rows() && b < direct.size(); ++b) {
    double sum = 0, scale = 0;
    for (Eigen::Index i = 0; i < rates.cols(); ++i) {
      if (std::isnan(rates(b, i))) continue;
      sum += rates(b, i);
      scale += std::abs(rates(b, i));
    }
    if (!std::isfinite(sum) || !(std::abs(sum - direct(b)) <= kIdentityTolerance * std::max(scale, 1e-300))) {
      problems.push_back(name + ", batch " + std::to_string(b) + ": the rates per Ritz value sum to " + describe(sum) +
                         ", " + directName + " is " + describe(direct(b)));
    }
  }
}

}  // namespace

std::vector<std::string> runProblems(const Run& run) {
  std::vector<std::string> problems;
  const RunMetadata& m = run.meta;
  if (m.lanczosSteps < 1) problems.push_back("lanczos_steps is " + std::to_string(m.lanczosSteps) + ", at least 1 is needed");
  checkValues(problems, "shell_energy", run.shellEnergy, true);
  checkValues(problems, "shell_energy_batches", run.shellEnergyBatches, true);
  checkValues(problems, "underflow", run.underflow, true);
  checkValues(problems, "overflow", run.overflow, true);
  checkValues(problems, "error_norm2", run.errorNorm2, true);
  checkValues(problems, "loss", run.loss, false);
  if (std::set<std::int64_t>(run.batchIndex.begin(), run.batchIndex.end()).size() != run.batchIndex.size()) {
    problems.push_back("batch_index lists a batch twice");
  }
  const Eigen::Index B = run.batchCount(), columns = run.ritzValues.cols();
  const std::int64_t cap = std::max<std::int64_t>(m.lanczosSteps, m.lanczosMaxSteps);
  for (Eigen::Index b = 0; b < B && static_cast<std::size_t>(b) < run.stepsTaken.size(); ++b) {
    const std::string batch = "batch " + std::to_string(b);
    const std::int64_t steps = run.stepsTaken[static_cast<std::size_t>(b)];
    if (steps < 1 || steps > columns || steps > cap) {
      problems.push_back(batch + ": steps_taken is " + std::to_string(steps) + ", but the run has " +
                         std::to_string(columns) + " Ritz columns and a cap of " + std::to_string(cap) + " steps");
      continue;
    }
    if (static_cast<std::size_t>(b) < run.nTokens.size() && run.nTokens[static_cast<std::size_t>(b)] < 1) {
      problems.push_back(batch + ": n_tokens is " + std::to_string(run.nTokens[static_cast<std::size_t>(b)]));
    }
    double weights = 0;
    bool finite = true;
    for (Eigen::Index i = 0; i < steps; ++i) {
      const double lambda = run.ritzValues(b, i), w = run.ritzWeights(b, i);
      finite &= std::isfinite(lambda) && std::isfinite(w) && w >= -1e-12;
      weights += w;
    }
    if (!finite) {
      problems.push_back(batch + ": a Ritz value or weight among the first " + std::to_string(steps) +
                         " is not finite, or a weight is negative");
    } else if (!(std::abs(weights - 1.0) <= kIdentityTolerance)) {
      problems.push_back(batch + ": the Gauss weights sum to " + describe(weights) + ", not 1");
    }
    if (b < run.shellEnergyBatches.rows() && b < run.underflow.size() && b < run.overflow.size() &&
        b < run.errorNorm2.size()) {
      const double total = run.shellEnergyBatches.row(b).sum() + run.underflow(b) + run.overflow(b);
      const double expected = run.errorNorm2(b);
      if (std::isfinite(total) && std::isfinite(expected) &&
          !(std::abs(total - expected) <= kIdentityTolerance * std::max(expected, 1e-300))) {
        char text[160];
        std::snprintf(text, sizeof text, "%s: shells + underflow + overflow hold %.9g, mean(e²) is %.9g", batch.c_str(),
                      total, expected);
        problems.push_back(text);
      }
    }
  }
  // The quadratures from e ± 1: per batch a finite prefix of Ritz pairs (then NaN) whose weights
  // sum to 1, and a finite mean((e ± 1)²) >= 0.
  const PolarisedQuadratures& q = run.polarisation;
  if (!q.empty()) {
    const std::pair<const char*, std::pair<const Eigen::MatrixXd*, const Eigen::MatrixXd*>> parts[] = {
        {"polarisation_plus", {&q.plusValues, &q.plusWeights}}, {"polarisation_minus", {&q.minusValues, &q.minusWeights}}};
    checkValues(problems, "polarisation_plus_norm2", q.plusNorm2, true);
    checkValues(problems, "polarisation_minus_norm2", q.minusNorm2, true);
    // mean((e + 1)²) + mean((e − 1)²) = 2 mean(e²) + 2: swapped or damaged data show here.
    for (Eigen::Index b = 0; b < q.plusNorm2.size() && b < q.minusNorm2.size() && b < run.errorNorm2.size(); ++b) {
      const double expected = 2 * run.errorNorm2(b) + 2, sum = q.plusNorm2(b) + q.minusNorm2(b);
      if (std::isfinite(sum) && std::isfinite(expected) && !(std::abs(sum - expected) <= 1e-9 * expected)) {
        problems.push_back("batch " + std::to_string(b) + ": polarisation_plus_norm2 + polarisation_minus_norm2 is " +
                           describe(sum) + ", 2 error_norm2 + 2 is " + describe(expected));
      }
    }
    for (const auto& [name, matrices] : parts) checkWeightSums(problems, name, *matrices.first, *matrices.second);
  }
  // Held-out points: finite statistics, weights summing to 1 per batch, and Σ_j R_j = the direct
  // rate; the same for the cross-entropy split.
  const HeldOutSpectra& h = run.heldOut;
  if (!h.empty()) {
    checkValues(problems, "held_out_error_norm2", h.errorNorm2, true);
    checkValues(problems, "held_out_loss", h.loss, false);
    checkValues(problems, "held_out_rate_direct", h.rateDirect, false);
    checkWeightSums(problems, "held_out", h.ritzValues, h.ritzWeights);
    checkRateSums(problems, "held_out", "held_out_rate_direct", h.ritzRates, h.rateDirect);
    const HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
    if (!c.empty()) {
      checkValues(problems, "held_out_ce_rate_direct", c.rateDirect, false);
      checkWeightSums(problems, "held_out_ce", c.ritzValues, c.ritzWeights);
      checkRateSums(problems, "held_out_ce", "held_out_ce_rate_direct", c.ritzRates, c.rateDirect);
    }
  }
  return problems;
}

}  // namespace shellscope

// A run taken apart into the work items it was assembled from: batchSpectra(run) is the inverse of
// assembleRun on every per-batch array, so that items computed anywhere (the partial sessions of
// a campaign) are read back and assembled again, bit for bit, as one process would have:
//     assembleRun(run.meta, batchSpectra(run), policy) == run   (same policy).
// Every per-batch field of BatchSpectrum is listed here once; a new one goes here, in
// assembleRun (run_assembly.cpp) and in the session file (session_file.cpp).
#include <cmath>
#include <stdexcept>

#include "shellscope/spectral/run.h"

namespace shellscope {

namespace {

/// The entries of row `b` before the NaN padding assembleRun put after each batch's values.
Eigen::VectorXd leadingValues(const Eigen::MatrixXd& m, Eigen::Index b) {
  Eigen::Index k = 0;
  while (k < m.cols() && !std::isnan(m(b, k))) ++k;
  return m.row(b).head(k).transpose();
}

StartQuadrature quadratureRow(const Eigen::MatrixXd& values, const Eigen::MatrixXd& weights, double norm2, Eigen::Index b) {
  StartQuadrature q;
  q.ritzValues = leadingValues(values, b);
  q.ritzWeights = weights.row(b).head(q.ritzValues.size()).transpose();
  q.norm2 = norm2;
  return q;
}

}  // namespace

std::vector<BatchSpectrum> batchSpectra(const Run& run) {
  const Eigen::Index B = run.batchCount();
  const auto rows = static_cast<std::size_t>(B);
  if (run.ritzValues.rows() != B || run.ritzWeights.rows() != B || run.loss.size() != B || run.stepsTaken.size() != rows ||
      run.nTokens.size() != rows || run.batchIndex.size() != rows || run.orthogonalityLoss.size() != B ||
      run.batchSeconds.size() != B) {
    throw std::invalid_argument("run " + run.id + ": its per-batch arrays differ in length");
  }
  const bool jacobi = run.lanczosAlpha.rows() == B && run.lanczosBeta.rows() == B && B > 0;
  std::vector<BatchSpectrum> spectra(rows);
  for (Eigen::Index b = 0; b < B; ++b) {
    BatchSpectrum& s = spectra[static_cast<std::size_t>(b)];
    s.batchIndex = run.batchIndex[static_cast<std::size_t>(b)];
    s.ritzValues = leadingValues(run.ritzValues, b);
    const Eigen::Index k = s.ritzValues.size();
    s.ritzWeights = run.ritzWeights.row(b).head(k).transpose();
    s.stepsTaken = static_cast<int>(run.stepsTaken[static_cast<std::size_t>(b)]);
    s.errorNorm2 = run.errorNorm2(b);
    s.loss = run.loss(b);
    s.nTokens = run.nTokens[static_cast<std::size_t>(b)];
    s.orthogonalityLoss = run.orthogonalityLoss(b);
    s.seconds = run.batchSeconds(b);
    if (jacobi && k > 0) {
      s.jacobiDiagonal = run.lanczosAlpha.row(b).head(k).transpose();
      s.jacobiOffDiagonal = run.lanczosBeta.row(b).head(k - 1).transpose();
      s.nextOffDiagonal = run.lanczosBeta(b, k - 1);
    }
    if (!run.polarisation.empty()) {
      const PolarisedQuadratures& q = run.polarisation;
      s.errorPlusOnes = quadratureRow(q.plusValues, q.plusWeights, q.plusNorm2(b), b);
      s.errorMinusOnes = quadratureRow(q.minusValues, q.minusWeights, q.minusNorm2(b), b);
    }
    if (!run.heldOut.empty()) {
      const HeldOutSpectra& h = run.heldOut;
      BatchSpectrum::HeldOut& o = s.heldOut;
      o.batchIndex = h.batchIndex[static_cast<std::size_t>(b)];
      o.nTokens = h.nTokens[static_cast<std::size_t>(b)];
      o.spectrum = quadratureRow(h.ritzValues, h.ritzWeights, h.errorNorm2(b), b);
      o.loss = h.loss(b);
      o.ritzRates = h.ritzRates.row(b).head(k).transpose();
      o.rateDirect = h.rateDirect(b);
      if (!h.crossEntropy.empty()) {
        const HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
        o.crossEntropy = quadratureRow(c.ritzValues, c.ritzWeights, 1.0, b);
        o.crossEntropyRitzRates = c.ritzRates.row(b).head(o.crossEntropy.ritzValues.size()).transpose();
        o.crossEntropyRateDirect = c.rateDirect(b);
      }
    }
  }
  return spectra;
}

}  // namespace shellscope

// Merging per-batch spectra into a run: masses m_i = mean(e^2) w_i binned into log shells, so that
// per batch Σ_α E_α + underflow + overflow = mean(e^2) (science.md §3, paper B.3-B.4).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "shellscope/spectral/quadrature_bounds.h"
#include "shellscope/spectral/run.h"

namespace shellscope {

double Run::meanErrorNorm2() const { return errorNorm2.size() ? errorNorm2.mean() : 0.0; }

double Run::massIdentityResidual() const {
  double worst = 0.0;
  for (Eigen::Index b = 0; b < batchCount(); ++b) {
    const double total = shellEnergyBatches.row(b).sum() + underflow(b) + overflow(b);
    if (errorNorm2(b) > 0.0) worst = std::max(worst, std::abs(total - errorNorm2(b)) / errorNorm2(b));
  }
  return worst;
}

int Run::peakShell() const {
  if (shellEnergy.size() == 0 || !(shellEnergy.maxCoeff() > 0.0)) return -1;
  Eigen::Index index = 0;
  shellEnergy.maxCoeff(&index);
  return static_cast<int>(index);
}

std::vector<bool> Run::unconvergedShells() const {
  std::vector<bool> marked;
  if (shellEnergyLower.size() != shellCount() || shellEnergyUpper.size() != shellCount()) return marked;
  const double floor = 1e-3 * meanErrorNorm2();
  for (Eigen::Index j = 0; j < shellCount(); ++j) {
    marked.push_back(shellEnergyUpper(j) - shellEnergyLower(j) > std::max(shellEnergy(j), floor));
  }
  return marked;
}

std::string Run::lanczosStepsText() const {
  if (meta.adaptiveTolerance <= 0) return "m = " + std::to_string(meta.lanczosSteps);
  std::int64_t least = 0, most = 0;
  double mean = 0;
  for (std::size_t b = 0; b < stepsTaken.size(); ++b) {
    least = b == 0 ? stepsTaken[b] : std::min(least, stepsTaken[b]);
    most = std::max(most, stepsTaken[b]);
    mean += static_cast<double>(stepsTaken[b]) / static_cast<double>(stepsTaken.size());
  }
  char text[160];
  std::snprintf(text, sizeof text, "adaptive m (tolerance %g): %lld-%lld steps, mean %.0f, cap %lld", meta.adaptiveTolerance,
                static_cast<long long>(least), static_cast<long long>(most), mean,
                static_cast<long long>(meta.lanczosMaxSteps));
  return text;
}

namespace {
/// Per batch row, `amounts` at `values` (NaN entries: past the batch's steps) binned on `window`.
void binRows(const ShellWindow& window, const Eigen::MatrixXd& values, const Eigen::MatrixXd& amounts,
             Eigen::MatrixXd& shells, Eigen::VectorXd& below, Eigen::VectorXd& above) {
  const Eigen::Index batches = values.rows();
  shells = Eigen::MatrixXd::Zero(batches, window.shellCount);
  below = Eigen::VectorXd::Zero(batches);
  above = Eigen::VectorXd::Zero(batches);
  for (Eigen::Index b = 0; b < batches; ++b) {
    std::vector<double> at, amount;
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      if (std::isnan(values(b, j)) || std::isnan(amounts(b, j))) continue;
      at.push_back(values(b, j));
      amount.push_back(amounts(b, j));
    }
    const ShellEnergies binned = binMasses(window, at, amount);
    for (Eigen::Index j = 0; j < window.shellCount; ++j) shells(b, j) = binned.energy[static_cast<size_t>(j)];
    below(b) = binned.underflow;
    above(b) = binned.overflow;
  }
}

/// The held-out cross-entropy side, when every batch has it (compute --held-out-cross-entropy).
void assembleCrossEntropy(const std::vector<BatchSpectrum>& spectra, HeldOutSpectra::CrossEntropy& c) {
  const bool all = std::all_of(spectra.begin(), spectra.end(),
                               [](const BatchSpectrum& s) { return !s.heldOut.crossEntropy.empty(); });
  if (!all) return;
  const auto batches = static_cast<Eigen::Index>(spectra.size());
  Eigen::Index width = 1;
  for (const auto& s : spectra) width = std::max(width, s.heldOut.crossEntropy.ritzValues.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c.ritzValues = Eigen::MatrixXd::Constant(batches, width, nan);
  c.ritzWeights = Eigen::MatrixXd::Constant(batches, width, nan);
  c.ritzRates = Eigen::MatrixXd::Constant(batches, width, nan);
  c.rateDirect.resize(batches);
  for (Eigen::Index b = 0; b < batches; ++b) {
    const BatchSpectrum::HeldOut& o = spectra[static_cast<size_t>(b)].heldOut;
    const Eigen::Index k = o.crossEntropy.ritzValues.size();
    if (o.crossEntropy.ritzWeights.size() != k || o.crossEntropyRitzRates.size() != k) {
      throw std::invalid_argument("held-out cross-entropy: Ritz values, weights and rates differ in length");
    }
    c.ritzValues.row(b).head(k) = o.crossEntropy.ritzValues.transpose();
    c.ritzWeights.row(b).head(k) = o.crossEntropy.ritzWeights.transpose();
    c.ritzRates.row(b).head(k) = o.crossEntropyRitzRates.transpose();
    c.rateDirect(b) = o.crossEntropyRateDirect;
  }
}
}  // namespace

void HeldOutSpectra::computeShells(const ShellWindow& window, const Eigen::MatrixXd& trainingValues) {
  const Eigen::MatrixXd masses = ritzWeights.array().colwise() * errorNorm2.array();
  binRows(window, ritzValues, masses, shellEnergyBatches, underflow, overflow);
  shellEnergy = shellEnergyBatches.colwise().mean().transpose();
  binRows(window, trainingValues, ritzRates, shellRateBatches, rateUnderflow, rateOverflow);
  shellRate = shellRateBatches.colwise().mean().transpose();
  if (crossEntropy.empty()) return;
  CrossEntropy& c = crossEntropy;
  binRows(window, c.ritzValues, c.ritzRates, c.shellRateBatches, c.rateUnderflow, c.rateOverflow);
  c.shellRate = c.shellRateBatches.colwise().mean().transpose();
  // Training rate of mean(e) from the same quadrature: −Σ θ_j w_j (mean(1²) = 1).
  const Eigen::MatrixXd dissipation = -(c.ritzValues.array() * c.ritzWeights.array()).matrix();
  binRows(window, c.ritzValues, dissipation, c.trainingRateBatches, c.trainingRateUnderflow, c.trainingRateOverflow);
  c.trainingRate = c.trainingRateBatches.colwise().mean().transpose();
}

Run assembleRun(const RunMetadata& meta, std::vector<BatchSpectrum> spectra, const ShellWindowPolicy& policy) {
  if (spectra.empty()) throw std::invalid_argument("a run needs at least one batch");
  std::sort(spectra.begin(), spectra.end(),
            [](const BatchSpectrum& a, const BatchSpectrum& b) { return a.batchIndex < b.batchIndex; });
  for (size_t i = 1; i < spectra.size(); ++i) {
    if (spectra[i].batchIndex == spectra[i - 1].batchIndex) {
      throw std::invalid_argument("batch " + std::to_string(spectra[i].batchIndex) + " appears twice in one run");
    }
  }

  const Eigen::Index batches = static_cast<Eigen::Index>(spectra.size());
  Eigen::Index columns = std::max<Eigen::Index>(1, meta.lanczosSteps);
  for (const auto& s : spectra) columns = std::max(columns, s.ritzValues.size());

  Run run;
  run.meta = meta;
  run.meta.nBatches = batches;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  run.ritzValues = Eigen::MatrixXd::Constant(batches, columns, nan);
  run.ritzWeights = Eigen::MatrixXd::Constant(batches, columns, nan);
  run.errorNorm2.resize(batches);
  run.loss.resize(batches);
  run.orthogonalityLoss.resize(batches);
  run.batchSeconds.resize(batches);
  std::vector<double> allValues;
  for (Eigen::Index b = 0; b < batches; ++b) {
    const auto& s = spectra[static_cast<size_t>(b)];
    if (s.ritzValues.size() != s.ritzWeights.size()) throw std::invalid_argument("Ritz values and weights differ in length");
    const Eigen::Index k = s.ritzValues.size();
    run.ritzValues.row(b).head(k) = s.ritzValues.transpose();
    run.ritzWeights.row(b).head(k) = s.ritzWeights.transpose();
    run.stepsTaken.push_back(s.stepsTaken);
    run.errorNorm2(b) = s.errorNorm2;
    run.loss(b) = s.loss;
    run.nTokens.push_back(s.nTokens);
    run.batchIndex.push_back(s.batchIndex);
    run.orthogonalityLoss(b) = s.orthogonalityLoss;
    run.batchSeconds(b) = s.seconds;
    allValues.insert(allValues.end(), s.ritzValues.data(), s.ritzValues.data() + k);
  }

  run.window = chooseShellWindow(static_cast<int>(meta.shellsPerDecade), policy, allValues, &run.lambdaFloor);
  const Eigen::Index shells = run.window.shellCount;
  run.shellEnergyBatches = Eigen::MatrixXd::Zero(batches, shells);
  run.underflow.resize(batches);
  run.overflow.resize(batches);
  for (Eigen::Index b = 0; b < batches; ++b) {
    const auto& s = spectra[static_cast<size_t>(b)];
    std::vector<double> values(s.ritzValues.data(), s.ritzValues.data() + s.ritzValues.size());
    std::vector<double> masses(values.size());
    for (size_t i = 0; i < values.size(); ++i) masses[i] = s.errorNorm2 * s.ritzWeights(static_cast<Eigen::Index>(i));
    const ShellEnergies energies = binMasses(run.window, values, masses);
    for (Eigen::Index j = 0; j < shells; ++j) run.shellEnergyBatches(b, j) = energies.energy[static_cast<size_t>(j)];
    run.underflow(b) = energies.underflow;
    run.overflow(b) = energies.overflow;
  }
  run.shellEnergy = run.shellEnergyBatches.colwise().mean().transpose();
  run.computeSmoothShells();

  // The polarisation quadratures, when every batch has both.
  const bool polarised = std::all_of(spectra.begin(), spectra.end(), [](const BatchSpectrum& s) {
    return !s.errorPlusOnes.empty() && !s.errorMinusOnes.empty();
  });
  if (polarised) {
    Eigen::Index width = 1;
    for (const auto& s : spectra) width = std::max({width, s.errorPlusOnes.ritzValues.size(), s.errorMinusOnes.ritzValues.size()});
    PolarisedQuadratures& q = run.polarisation;
    for (Eigen::MatrixXd* m : {&q.plusValues, &q.plusWeights, &q.minusValues, &q.minusWeights}) {
      *m = Eigen::MatrixXd::Constant(batches, width, nan);
    }
    q.plusNorm2.resize(batches);
    q.minusNorm2.resize(batches);
    for (Eigen::Index b = 0; b < batches; ++b) {
      const auto& s = spectra[static_cast<size_t>(b)];
      for (const auto* part : {&s.errorPlusOnes, &s.errorMinusOnes}) {
        if (part->ritzValues.size() != part->ritzWeights.size()) {
          throw std::invalid_argument("polarisation: Ritz values and weights differ in length");
        }
      }
      q.plusValues.row(b).head(s.errorPlusOnes.ritzValues.size()) = s.errorPlusOnes.ritzValues.transpose();
      q.plusWeights.row(b).head(s.errorPlusOnes.ritzWeights.size()) = s.errorPlusOnes.ritzWeights.transpose();
      q.minusValues.row(b).head(s.errorMinusOnes.ritzValues.size()) = s.errorMinusOnes.ritzValues.transpose();
      q.minusWeights.row(b).head(s.errorMinusOnes.ritzWeights.size()) = s.errorMinusOnes.ritzWeights.transpose();
      q.plusNorm2(b) = s.errorPlusOnes.norm2;
      q.minusNorm2(b) = s.errorMinusOnes.norm2;
    }
  }

  // Held-out points, when every batch has them (compute --held-out-data).
  const bool heldOut = std::all_of(spectra.begin(), spectra.end(), [](const BatchSpectrum& s) { return !s.heldOut.empty(); });
  if (heldOut) {
    Eigen::Index width = 1;
    for (const auto& s : spectra) width = std::max(width, s.heldOut.spectrum.ritzValues.size());
    HeldOutSpectra& h = run.heldOut;
    h.ritzValues = Eigen::MatrixXd::Constant(batches, width, nan);
    h.ritzWeights = Eigen::MatrixXd::Constant(batches, width, nan);
    h.ritzRates = Eigen::MatrixXd::Constant(batches, columns, nan);
    h.errorNorm2.resize(batches);
    h.loss.resize(batches);
    h.rateDirect.resize(batches);
    for (Eigen::Index b = 0; b < batches; ++b) {
      const BatchSpectrum::HeldOut& o = spectra[static_cast<size_t>(b)].heldOut;
      if (o.spectrum.ritzValues.size() != o.spectrum.ritzWeights.size()) {
        throw std::invalid_argument("held-out: Ritz values and weights differ in length");
      }
      if (o.ritzRates.size() != spectra[static_cast<size_t>(b)].ritzValues.size()) {
        throw std::invalid_argument("held-out: one rate per training Ritz value is needed");
      }
      h.batchIndex.push_back(o.batchIndex);
      h.nTokens.push_back(o.nTokens);
      h.ritzValues.row(b).head(o.spectrum.ritzValues.size()) = o.spectrum.ritzValues.transpose();
      h.ritzWeights.row(b).head(o.spectrum.ritzWeights.size()) = o.spectrum.ritzWeights.transpose();
      h.ritzRates.row(b).head(o.ritzRates.size()) = o.ritzRates.transpose();
      h.errorNorm2(b) = o.spectrum.norm2;
      h.loss(b) = o.loss;
      h.rateDirect(b) = o.rateDirect;
    }
    assembleCrossEntropy(spectra, h.crossEntropy);
    h.computeShells(run.window, run.ritzValues);
  }

  // The Jacobi matrices, when every batch has one, and the bounds they give.
  const bool jacobi = std::all_of(spectra.begin(), spectra.end(), [](const BatchSpectrum& s) {
    return s.jacobiDiagonal.size() > 0 && s.jacobiDiagonal.size() == s.ritzValues.size() &&
           s.jacobiOffDiagonal.size() == std::max<Eigen::Index>(0, s.jacobiDiagonal.size() - 1);
  });
  if (jacobi) {
    run.lanczosAlpha = Eigen::MatrixXd::Constant(batches, columns, nan);
    run.lanczosBeta = Eigen::MatrixXd::Constant(batches, columns, nan);
    for (Eigen::Index b = 0; b < batches; ++b) {
      const auto& s = spectra[static_cast<size_t>(b)];
      const Eigen::Index k = s.jacobiDiagonal.size();
      run.lanczosAlpha.row(b).head(k) = s.jacobiDiagonal.transpose();
      run.lanczosBeta.row(b).head(k - 1) = s.jacobiOffDiagonal.transpose();
      run.lanczosBeta(b, k - 1) = s.nextOffDiagonal;
    }
    run.computeQuadratureBounds();
  }
  return run;
}

void Run::computeSmoothShells() {
  const Eigen::Index B = batchCount(), S = shellCount();
  smoothShellEnergyBatches = Eigen::MatrixXd::Zero(B, S);
  smoothUnderflow = Eigen::VectorXd::Zero(B);
  smoothOverflow = Eigen::VectorXd::Zero(B);
  for (Eigen::Index b = 0; b < B; ++b) {
    std::vector<double> values, masses;
    for (Eigen::Index i = 0; i < ritzValues.cols(); ++i) {
      if (std::isnan(ritzValues(b, i))) continue;
      values.push_back(ritzValues(b, i));
      masses.push_back(errorNorm2(b) * ritzWeights(b, i));
    }
    const ShellEnergies energies = binMassesSmoothly(window, values, masses);
    for (Eigen::Index j = 0; j < S; ++j) smoothShellEnergyBatches(b, j) = energies.energy[static_cast<size_t>(j)];
    smoothUnderflow(b) = energies.underflow;
    smoothOverflow(b) = energies.overflow;
  }
  smoothShellEnergy = B ? Eigen::VectorXd(smoothShellEnergyBatches.colwise().mean().transpose()) : Eigen::VectorXd::Zero(S);
}

void Run::computeQuadratureBounds() {
  const Eigen::Index B = batchCount(), S = shellCount();
  shellEnergyLowerBatches.resize(0, 0);
  shellEnergyUpperBatches.resize(0, 0);
  shellEnergyLower.resize(0);
  shellEnergyUpper.resize(0);
  if (lanczosAlpha.rows() != B || lanczosBeta.rows() != B || B == 0) return;
  shellEnergyLowerBatches = Eigen::MatrixXd::Zero(B, S);
  shellEnergyUpperBatches = Eigen::MatrixXd::Zero(B, S);
  for (Eigen::Index b = 0; b < B; ++b) {
    const Eigen::Index k = stepsTaken[static_cast<size_t>(b)];
    if (k <= 0) continue;  // e = 0: no measure, every bound 0
    const Eigen::VectorXd diagonal = lanczosAlpha.row(b).head(k).transpose();
    const Eigen::VectorXd off = lanczosBeta.row(b).head(k - 1).transpose();
    const ShellEnergyBounds bounds = shellEnergyBounds(window, diagonal, off, lanczosBeta(b, k - 1), errorNorm2(b));
    shellEnergyLowerBatches.row(b) = bounds.lower.transpose();
    shellEnergyUpperBatches.row(b) = bounds.upper.transpose();
  }
  shellEnergyLower = shellEnergyLowerBatches.colwise().mean().transpose();
  shellEnergyUpper = shellEnergyUpperBatches.colwise().mean().transpose();
}

}  // namespace shellscope

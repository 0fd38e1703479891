// Paper Algorithm 1 for one batch: v0 = e/||e||, m Lanczos steps on M = J J^T/n (or Golub-Kahan
// on J/sqrt(n)), Gauss weights w_i = U[0,i]^2; the caller turns them into masses mean(e^2) w_i.
#include "operator/batch_spectrum.h"

#include <c10/util/Exception.h>

#include <stdexcept>

#include "operator/linearization.h"
#include "operator/operators.h"
#include "shellscope/spectral/shell_convergence.h"

namespace shellscope::engine {

namespace {

/// The Lanczos options of `settings` (adaptive m included).
LanczosOptions lanczosOptions(const ComputeSettings& settings, const std::function<void(int)>& onStep) {
  LanczosOptions options;
  options.mode = settings.lanczosMode;
  options.maxSteps = settings.effectiveMaxSteps();
  options.relativeTolerance = settings.effectiveTolerance();
  options.onStep = onStep;
  if (settings.adaptiveTolerance > 0) {
    ShellConvergenceTest test;
    test.tolerance = settings.adaptiveTolerance;
    test.shellsPerDecade = settings.shellsPerDecade;
    test.policy = settings.windowPolicy();
    options.minSteps = settings.lanczosSteps;
    options.stopWhen = [test](const Eigen::VectorXd& diagonal, const Eigen::VectorXd& off, double next) {
      return testShellConvergence(test, diagonal, off, next).converged;
    };
  }
  return options;
}

/// The quadrature of the linearisation's M from `start`, by the options' mode.
LanczosResult quadratureOf(BatchLinearization& linearization, const Eigen::VectorXd& start, const LanczosOptions& options) {
  if (options.mode == LanczosMode::GolubKahan) {
    ScaledJacobianOperator op(linearization);
    return golubKahan(op, start, options);
  }
  FunctionSpaceOperator op(linearization);
  return lanczos(op, start, options);
}

/// What the training side needs of the held-out batch: J'ᵀ e' and, for the cross-entropy split,
/// J'ᵀ 1 (P entries each, one tensor per parameter).
struct HeldOutGradients {
  std::vector<at::Tensor> ofErrors, ofOnes;
};

/// The held-out batch's side that needs only its own linearisation: e', its quadrature and its
/// gradients, after which the held-out graph is freed.
HeldOutGradients heldOutSide(const ModelFunction& model, const Batch& heldOut, const ComputeSettings& settings,
                             const std::function<void(int)>& onStep, const std::string& where,
                             BatchSpectrum::HeldOut& out) {
  BatchLinearization held(model, heldOut, settings.jvpMethod, settings.recomputeActivations);
  const Eigen::VectorXd e = toEigen(held.errors());
  if (!e.allFinite()) {
    throw std::runtime_error(where + " (held-out batch " + std::to_string(heldOut.index) +
                             "): the model's outputs are not finite (NaN or infinite logits)");
  }
  out.batchIndex = heldOut.index;
  out.nTokens = e.size();
  out.loss = e.mean();
  out.spectrum.norm2 = e.squaredNorm() / static_cast<double>(e.size());
  const LanczosResult quadrature = quadratureOf(held, e, lanczosOptions(settings, onStep));
  out.spectrum.ritzValues = quadrature.ritzValues;
  out.spectrum.ritzWeights = quadrature.ritzWeights;
  HeldOutGradients gradients;
  gradients.ofErrors = held.vjp(held.errors());
  if (settings.heldOutCrossEntropy) gradients.ofOnes = held.vjp(at::ones_like(held.errors()));
  return gradients;
}

/// The split of a held-out loss rate −wᵀz/(n n') over the Ritz values of the training quadrature
/// from `start` = w, with z = J (J'ᵀ w') the probe (lanczos.h's bilinear quadrature): returns the
/// quadrature and fills the rates per Ritz value and the direct rate.
LanczosResult splitHeldOutRate(BatchLinearization& linearization, const Eigen::VectorXd& start,
                               const std::vector<at::Tensor>& heldOutGradient, std::int64_t heldOutPoints,
                               LanczosOptions options, const std::string& what, Eigen::VectorXd& rates, double& direct) {
  const Eigen::VectorXd z = toEigen(linearization.jvp(heldOutGradient));
  if (!z.allFinite()) throw std::runtime_error(what + " is not finite");
  options.probe = z;
  LanczosResult result = quadratureOf(linearization, start, options);
  const double scale = -1.0 / (static_cast<double>(start.size()) * static_cast<double>(heldOutPoints));
  rates = scale * result.probeProducts;
  direct = scale * start.dot(z);
  return result;
}

}  // namespace

BatchSpectrum batchSpectrum(const ModelFunction& model, Batch batch, const ComputeSettings& settings,
                            const std::function<void(int)>& onStep, const std::string& context, const Batch* heldOut) {
  const double start = monotonicSeconds();
  const std::int64_t index = batch.index;
  const std::string where = context + ", batch " + std::to_string(index);
  try {
    // Progress counts the steps of every quadrature of the batch one after another.
    int quadratures = 0;
    const auto nextSteps = [&] {
      const int offset = quadratures++ * settings.effectiveMaxSteps();
      return std::function<void(int)>([onStep, offset](int step) {
        if (onStep) onStep(offset + step);
      });
    };
    BatchSpectrum::HeldOut held;
    HeldOutGradients heldOutGradient;
    if (heldOut) heldOutGradient = heldOutSide(model, *heldOut, settings, nextSteps(), where, held);
    BatchLinearization linearization(model, std::move(batch), settings.jvpMethod, settings.recomputeActivations);
    const Eigen::VectorXd e = toEigen(linearization.errors());
    if (!e.allFinite()) {
      throw std::runtime_error(where + ": the model's outputs are not finite (NaN or infinite logits)");
    }
    BatchSpectrum spectrum;
    spectrum.batchIndex = index;
    spectrum.nTokens = e.size();
    spectrum.errorNorm2 = e.squaredNorm() / static_cast<double>(e.size());
    spectrum.loss = e.mean();

    const auto quadrature = [&](const Eigen::VectorXd& start) {
      return quadratureOf(linearization, start, lanczosOptions(settings, nextSteps()));
    };
    LanczosResult result;
    if (heldOut) {
      // z = J (J'ᵀ e'): the held-out loss rate is −eᵀz/(n n'), split over the Ritz values by the
      // bilinear quadrature of the probe z (lanczos.h).
      result = splitHeldOutRate(linearization, e, heldOutGradient.ofErrors, held.nTokens,
                                lanczosOptions(settings, nextSteps()), "J J'^T e'", held.ritzRates, held.rateDirect);
      if (settings.heldOutCrossEntropy) {
        // The cross-entropy objective: w = w' = 1, so the quadrature starts from 1 (mean(1²) = 1).
        const LanczosResult ones = splitHeldOutRate(
            linearization, Eigen::VectorXd::Ones(e.size()), heldOutGradient.ofOnes, held.nTokens,
            lanczosOptions(settings, nextSteps()), "J J'^T 1", held.crossEntropyRitzRates, held.crossEntropyRateDirect);
        held.crossEntropy.ritzValues = ones.ritzValues;
        held.crossEntropy.ritzWeights = ones.ritzWeights;
        held.crossEntropy.norm2 = 1.0;
      }
      spectrum.heldOut = std::move(held);
    } else {
      result = quadrature(e);
    }
    if (settings.crossDissipation) {
      // Polarisation: (φ·(e+1))² − (φ·(e−1))² = 4 (φ·e)(φ·1), read per shell from two more runs.
      const Eigen::VectorXd ones = Eigen::VectorXd::Ones(e.size());
      for (const double sign : {1.0, -1.0}) {
        const Eigen::VectorXd start = e + sign * ones;
        StartQuadrature& part = sign > 0 ? spectrum.errorPlusOnes : spectrum.errorMinusOnes;
        part.norm2 = start.squaredNorm() / static_cast<double>(start.size());
        if (part.norm2 > 0) {
          const LanczosResult polarised = quadrature(start);
          part.ritzValues = polarised.ritzValues;
          part.ritzWeights = polarised.ritzWeights;
        } else {  // e = ∓1 exactly: no mass to place
          part.ritzValues = Eigen::VectorXd::Zero(1);
          part.ritzWeights = Eigen::VectorXd::Ones(1);
        }
      }
    }
    spectrum.ritzValues = result.ritzValues;
    spectrum.ritzWeights = result.ritzWeights;
    spectrum.stepsTaken = result.stepsTaken;
    spectrum.orthogonalityLoss = result.orthogonalityLoss;
    spectrum.jacobiDiagonal = result.jacobiDiagonal;
    spectrum.jacobiOffDiagonal = result.jacobiOffDiagonal;
    spectrum.nextOffDiagonal = result.nextOffDiagonal;
    spectrum.seconds = monotonicSeconds() - start;
    return spectrum;
  } catch (const CancelledError&) {
    throw;
  } catch (const c10::Error& error) {
    throw std::runtime_error(where + ": LibTorch failed: " + error.what_without_backtrace());
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    if (message.rfind(context, 0) == 0) throw;
    throw std::runtime_error(where + ": " + message);
  }
}

BatchSpectrum batchErrors(const ModelFunction& model, const Batch& batch, const std::string& context) {
  at::NoGradGuard noGrad;
  const Eigen::VectorXd e = toEigen(model.errors(model.outputs(model.parameters(), batch), batch));
  if (!e.allFinite()) {
    throw std::runtime_error(context + ", batch " + std::to_string(batch.index) +
                             ": the model's outputs are not finite (NaN or infinite logits)");
  }
  BatchSpectrum result;
  result.batchIndex = batch.index;
  result.nTokens = e.size();
  result.errorNorm2 = e.squaredNorm() / static_cast<double>(e.size());
  result.loss = e.mean();
  return result;
}

}  // namespace shellscope::engine

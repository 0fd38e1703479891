// Paper Algorithm 1 for one batch: v0 = e/||e||, m Lanczos steps on M = J J^T/n (or Golub-Kahan
// on J/sqrt(n)), Gauss weights w_i = U[0,i]^2; the caller turns them into masses mean(e^2) w_i.
#include "operator/batch_spectrum.h"

#include <c10/util/Exception.h>

#include <stdexcept>

#include "operator/linearization.h"
#include "operator/operators.h"
#include "shellscope/spectral/shell_convergence.h"

namespace shellscope::engine {

BatchSpectrum batchSpectrum(const ModelFunction& model, Batch batch, const ComputeSettings& settings,
                            const std::function<void(int)>& onStep, const std::string& context) {
  const double start = monotonicSeconds();
  const std::int64_t index = batch.index;
  const std::string where = context + ", batch " + std::to_string(index);
  try {
    BatchLinearization linearization(model, std::move(batch), settings.jvpMethod);
    const Eigen::VectorXd e = toEigen(linearization.errors());
    if (!e.allFinite()) {
      throw std::runtime_error(where + ": the model's outputs are not finite (NaN or infinite logits)");
    }
    BatchSpectrum spectrum;
    spectrum.batchIndex = index;
    spectrum.nTokens = e.size();
    spectrum.errorNorm2 = e.squaredNorm() / static_cast<double>(e.size());
    spectrum.loss = e.mean();

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
    const auto quadrature = [&](const Eigen::VectorXd& start) {
      if (options.mode == LanczosMode::GolubKahan) {
        ScaledJacobianOperator op(linearization);
        return golubKahan(op, start, options);
      }
      FunctionSpaceOperator op(linearization);
      return lanczos(op, start, options);
    };
    const LanczosResult result = quadrature(e);
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

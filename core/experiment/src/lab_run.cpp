// The exact lab driver (shellscope/experiment/lab_run.h; docs/lab.md, "The driver"): full-batch
// gradient descent θ ← θ − (η/α²) ∇L on fixed points, M = J Jᵀ/n formed exactly at every
// checkpoint, and the shell balance of every interval from shellscope_lab:
//     ΔE_b/Δτ = −2 D̄_b + 2 Σ_{c≠b} F̄_{c→b} + crossing_b/Δτ + R_b,   τ = Σ η/α².
#include "shellscope/experiment/lab_run.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>

#include "checkpoints/checkpoint_io.h"
#include "lab_problem.h"
#include "shellscope/data/token_data.h"
#include "shellscope/engine/runtime.h"
#include "shellscope/lab/held_out_rate.h"
#include "shellscope/lab/shell_balance.h"
#include "shellscope/base/progress.h"

namespace shellscope {

namespace fs = std::filesystem;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();


bool isLanguageModel(const std::string& model) { return model != "builtin:mlp"; }

/// The window from the first checkpoint's spectrum: the spectral stage's policy, with automatic
/// ends widened by marginDecades, since training moves the spectrum.
ShellWindow labWindow(const LabRunSettings& s, const Eigen::VectorXd& lambdas, double* floor) {
  double largest = 0, smallest = std::numeric_limits<double>::infinity();
  for (Eigen::Index u = 0; u < lambdas.size(); ++u) {
    if (lambdas(u) > 0) {
      largest = std::max(largest, lambdas(u));
      smallest = std::min(smallest, lambdas(u));
    }
  }
  if (!(largest > 0)) throw std::runtime_error("M is zero at the first checkpoint: the model does not depend on its parameters");
  const double margin = std::pow(10.0, s.marginDecades);
  ShellWindowPolicy policy;
  policy.relativeFloor = s.relativeFloor;
  policy.lambdaMax = s.lambdaMax > 0 ? s.lambdaMax : largest * margin;
  policy.lambdaMin = s.lambdaMin > 0 ? s.lambdaMin : std::max(largest * s.relativeFloor, smallest / margin);
  std::vector<double> values(lambdas.data(), lambdas.data() + lambdas.size());
  return chooseShellWindow(s.shellsPerDecade, policy, values, floor);
}

LabInterval intervalOf(const lab::IntervalBalance& b) {
  LabInterval i;
  i.dtau = b.dtau;
  i.energyChange = b.energyChange;
  i.dissipationMean = b.dissipationMean;
  i.checkpointDissipationMean = b.checkpointDissipationMean;
  i.flux = b.flux.matrix;
  i.netFlux = b.netFlux;
  i.crossing = b.crossing;
  i.residual = b.residual;
  i.frozenErrorChange = b.frozenBasis.errorChange;
  i.frozenBasisChange = b.frozenBasis.basisChange;
  i.cumulativeFlux = b.cumulativeFlux;
  i.cumulativeFluxByDifference = b.cumulativeFluxByDifference;
  i.cosineErrorFlow = b.againstErrorFlow.cosine;
  i.relativeErrorFlow = b.againstErrorFlow.relativeDifference;
  i.cosineOnesFlow = b.againstOnesFlow.cosine;
  i.relativeOnesFlow = b.againstOnesFlow.relativeDifference;
  i.transportToDissipation = b.transportToDissipation;
  const double dissipation = 2 * b.dissipationMean.cwiseAbs().sum();
  i.relativeResidual = dissipation > 0 ? b.residual.cwiseAbs().maxCoeff() / dissipation : kNan;
  i.crossingModes = b.crossingModes;
  i.weakCrossings = b.weakCrossings;
  i.weakMatches = b.weakMatches;
  i.smallestOverlap = b.smallestTrackingOverlap;
  i.largestRotation = b.largestRotation;
  i.skippedAcrossBins = b.flux.skippedAcrossBins;
  return i;
}

}  // namespace

std::string toString(ScaleOn scaleOn) { return scaleOn == ScaleOn::Logits ? "logits" : "f"; }

ScaleOn parseScaleOn(const std::string& text) {
  if (text == "f") return ScaleOn::Observable;
  if (text == "logits") return ScaleOn::Logits;
  throw std::invalid_argument("unknown quantity to scale '" + text + "' (expected f or logits)");
}

std::vector<std::string> labModelNames() { return {"builtin:mlp", "builtin:nano-lm", "builtin:tiny-lm"}; }

std::vector<int> LabRunSettings::checkpointSteps() const {
  std::vector<int> out;
  for (int s = 0; s < steps; s += std::max(1, every)) out.push_back(s);
  out.push_back(steps);
  return out;
}

void LabRunSettings::validate() const {
  auto require = [](bool ok, const char* setting, const std::string& problem) {
    if (!ok) throw SettingError(setting, problem);
  };
  const std::vector<std::string> names = labModelNames();
  std::string known;
  for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
  require(std::find(names.begin(), names.end(), model) != names.end(), "model",
          "'" + model + "' is not a lab model (known: " + known + ")");
  require(points >= 2 && points <= 4000, "points", "must be between 2 and 4000 (M is n x n, diagonalised densely)");
  if (isLanguageModel(model)) {
    require(seqLen >= 1 && seqLen <= 1024, "seq_len", "must be between 1 and 1024");
    require(points % seqLen == 0, "points",
            "must be a multiple of seq_len (" + std::to_string(seqLen) + ") for a language model: the points are the "
            "token positions of whole windows");
  }
  require(steps >= 1, "steps", "must be at least 1");
  require(std::isfinite(learningRate) && learningRate > 0, "learning_rate", "must be a positive number");
  require(every >= 1, "every", "must be at least 1");
  require(std::isfinite(outputScale) && outputScale > 0, "output_scale", "must be a positive number");
  require(scaleOn == ScaleOn::Observable || isLanguageModel(model), "scale_on",
          "logits needs a language model (the regressor's output is f itself)");
  require(objective == lab::Objective::MseOfError || isLanguageModel(model), "objective",
          "cross-entropy needs a language model (L = mean(e) of the regressor's e = y - f has no minimum)");
  require(shellsPerDecade >= 1 && shellsPerDecade <= 100, "shells_per_decade", "must be between 1 and 100");
  require(lambdaMin <= 0.0 || lambdaMax <= 0.0 || lambdaMin < lambdaMax, "lambda_min",
          "must be below the upper end of the shell window");
  require(std::isfinite(relativeFloor) && relativeFloor > 0 && relativeFloor < 1, "relative_floor",
          "must lie strictly between 0 and 1");
  require(std::isfinite(marginDecades) && marginDecades >= 0 && marginDecades <= 10, "margin_decades",
          "must be between 0 and 10");
  require(threads >= 0, "threads", "must be 0 (all cores) or more");
  require(checkpointFolder.empty() || isLanguageModel(model), "checkpoint_folder",
          "needs a language model (the regressor has no checkpoint format)");
  const int rows = isLanguageModel(model) ? points / std::max(1, seqLen) : points;
  require(batchRows >= 0 && batchRows <= rows, "batch_rows",
          "must be between 0 (full batch) and the " + std::to_string(rows) + (isLanguageModel(model) ? " windows" : " points"));
  require(std::isfinite(momentum) && momentum >= 0 && momentum < 1, "momentum", "must lie in [0, 1)");
  require(heldOutPoints == 0 || (heldOutPoints >= 2 && heldOutPoints <= 4000), "held_out_points",
          "must be 0 (none) or between 2 and 4000");
  require(!isLanguageModel(model) || heldOutPoints % std::max(1, seqLen) == 0, "held_out_points",
          "must be a multiple of seq_len (" + std::to_string(seqLen) + ") for a language model: whole windows");
  require(std::isfinite(labelNoise) && labelNoise >= 0, "label_noise", "must be 0 or a positive number");
  require(labelNoise == 0 || !isLanguageModel(model), "label_noise", "needs the regressor (builtin:mlp)");
}

std::string LabRunSettings::optimizerDescription() const {
  const int rows = isLanguageModel(model) ? points / std::max(1, seqLen) : points;
  std::string text = batchRows == 0 || batchRows == rows
                         ? std::string("gradient descent, full batch, constant step")
                         : "SGD, " + std::to_string(batchRows) + " of " + std::to_string(rows) +
                               (isLanguageModel(model) ? " windows" : " points") + " per step, constant step";
  if (momentum > 0) {
    char beta[32];
    std::snprintf(beta, sizeof beta, "%g", momentum);
    text += std::string(", heavy-ball momentum ") + beta;
  }
  return text;
}

double LabRun::maxRelativeResidual() const {
  double worst = kNan;
  for (const LabInterval& i : intervals) {
    if (std::isfinite(i.relativeResidual)) worst = std::isnan(worst) ? i.relativeResidual : std::max(worst, i.relativeResidual);
  }
  return worst;
}

double LabRun::medianRelativeResidual() const {
  std::vector<double> values;
  for (const LabInterval& i : intervals) {
    if (std::isfinite(i.relativeResidual)) values.push_back(i.relativeResidual);
  }
  if (values.empty()) return kNan;
  std::sort(values.begin(), values.end());
  const std::size_t h = values.size() / 2;
  return values.size() % 2 ? values[h] : 0.5 * (values[h - 1] + values[h]);
}

int LabRun::fastIntervals(double rotation) const {
  int count = 0;
  for (const LabInterval& i : intervals) count += i.largestRotation > rotation ? 1 : 0;
  return count;
}

double LabRun::runTransportToDissipation() const {
  double transport = 0, dissipation = 0;
  for (const LabInterval& i : intervals) {
    for (Eigen::Index a = 0; a < i.flux.rows(); ++a) {
      for (Eigen::Index b = a + 1; b < i.flux.cols(); ++b) transport += i.dtau * std::abs(i.flux(a, b));
    }
    dissipation += i.dtau * i.dissipationMean.cwiseAbs().sum();
  }
  return dissipation > 0 ? transport / dissipation : kNan;
}

namespace {
template <typename Get>
double minimumOf(const std::vector<LabInterval>& intervals, Get get) {
  double m = kNan;
  for (const LabInterval& i : intervals) {
    const double v = get(i);
    if (std::isfinite(v)) m = std::isnan(m) ? v : std::min(m, v);
  }
  return m;
}
template <typename Get>
double meanOf(const std::vector<LabInterval>& intervals, Get get) {
  double sum = 0;
  int count = 0;
  for (const LabInterval& i : intervals) {
    const double v = get(i);
    if (std::isfinite(v)) sum += v, ++count;
  }
  return count ? sum / count : kNan;
}
}  // namespace

double LabRun::minCosineErrorFlow() const { return minimumOf(intervals, [](const LabInterval& i) { return i.cosineErrorFlow; }); }
double LabRun::meanCosineErrorFlow() const { return meanOf(intervals, [](const LabInterval& i) { return i.cosineErrorFlow; }); }
double LabRun::minCosineOnesFlow() const { return minimumOf(intervals, [](const LabInterval& i) { return i.cosineOnesFlow; }); }
double LabRun::meanCosineOnesFlow() const { return meanOf(intervals, [](const LabInterval& i) { return i.cosineOnesFlow; }); }

double LabRun::largestStepTimesLambda() const {
  double largest = 0;
  for (const LabCheckpoint& c : checkpoints) largest = std::max(largest, c.lambdaMax);
  return settings.stepSize() * largest;
}

double LabRun::maxHeldOutRateMismatch() const {
  if (!hasHeldOut() || intervals.empty()) return kNan;
  double worst = 0, scale = 0;
  for (const LabInterval& i : intervals) {
    worst = std::max(worst, std::abs(i.heldOutRateMean - i.heldOutLossRate));
    scale = std::max(scale, std::abs(i.heldOutLossRate));
  }
  return scale > 0 ? worst / scale : kNan;
}

double LabRun::maxHeldOutIdentityError() const {
  if (!hasHeldOut()) return kNan;
  double worst = 0;
  for (const LabCheckpoint& c : checkpoints) {
    const double scale = std::abs(c.heldOutRateDirect);
    if (scale > 0) worst = std::max(worst, std::abs(c.heldOutRate.sum() - c.heldOutRateDirect) / scale);
  }
  return worst;
}

HeldOutRiseWindow heldOutRiseWindow(const LabRun& run, double share) {
  HeldOutRiseWindow w;
  if (!run.hasHeldOut()) return w;
  const int bins = run.binCount();
  w.positiveRate = Eigen::VectorXd::Zero(bins);
  for (std::size_t k = 0; k < run.intervals.size(); ++k) {
    const LabInterval& i = run.intervals[k];
    if (!(i.heldOutLossRate > 0)) continue;
    const LabCheckpoint& a = run.checkpoints[k];
    const LabCheckpoint& b = run.checkpoints[k + 1];
    if (w.risingIntervals++ == 0) w.firstStep = a.step, w.tauFirst = a.tau;
    w.lastStep = b.step;
    w.tauLast = b.tau;
    w.positiveRate += i.dtau * (0.5 * (a.heldOutRate + b.heldOutRate)).cwiseMax(0.0);
  }
  const double total = w.positiveRate.sum();
  if (!(total > 0)) return w;
  // The narrowest [lo, hi] holding the share (ties: the larger share).
  int bestWidth = bins + 1;
  for (int lo = 0; lo < bins; ++lo) {
    double held = 0;
    for (int hi = lo; hi < bins && hi - lo + 1 <= bestWidth; ++hi) {
      held += w.positiveRate(hi);
      if (held >= share * total) {
        if (hi - lo + 1 < bestWidth || held / total > w.positiveShare) {
          bestWidth = hi - lo + 1;
          w.binLow = lo, w.binHigh = hi, w.positiveShare = held / total;
        }
        break;
      }
    }
  }
  const ShellWindow& window = run.window;
  w.lambdaLow = w.binLow == 0 ? 0.0 : window.edge(w.binLow - 1);
  w.lambdaHigh = w.binHigh == bins - 1 ? std::numeric_limits<double>::infinity() : window.edge(w.binHigh);
  return w;
}

namespace {

/// The points as a token file: every window's seq_len + 1 tokens (inputs, then the last target)
/// one after another, which the sequential batch source cuts back into the same windows.
void savePoints(const engine::LabProblem& problem, const LabRunSettings& settings) {
  const fs::path folder(settings.checkpointFolder);
  // Only an empty folder or one an earlier lab run wrote (its marker file): step folders of a
  // real checkpoint series must never be replaced.
  const fs::path marker = folder / ".shellscope-lab-checkpoints";
  std::error_code error;
  if (fs::exists(folder, error) && !fs::is_empty(folder, error) && !fs::exists(marker, error)) {
    throw SettingError("checkpoint_folder", "'" + folder.string() + "' is not empty and was not written by a lab run");
  }
  fs::create_directories(folder);
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind("step", 0) == 0) fs::remove_all(entry.path());  // an earlier run's
  }
  std::ofstream(marker) << "checkpoints and points written by shellscope-cli lab run\n";
  const auto save = [&](const engine::Batch& points, const std::string& name) {
    const at::Tensor inputs = points.inputs, targets = points.targets;
    const at::Tensor windows = at::cat({inputs, targets.narrow(1, targets.size(1) - 1, 1)}, 1).contiguous();
    std::vector<std::int64_t> tokens(windows.data_ptr<std::int64_t>(), windows.data_ptr<std::int64_t>() + windows.numel());
    const fs::path temporary = folder / ("." + name + ".tmp");
    try {
      writeNpy(temporary.string(), tokens, TokenDType::I32);
      fs::rename(temporary, folder / name);
    } catch (...) {
      fs::remove(temporary, error);
      throw;
    }
  };
  save(problem.points(), "points.npy");
  if (problem.hasHeldOut()) save(problem.heldOutPoints(), "held-out.npy");  // compute --held-out-data
}

/// θ at `step` as <folder>/step<step>/, written beside it first and renamed into place.
void saveLabCheckpoint(const engine::LabProblem& problem, const std::string& folder, int step) {
  const fs::path final = fs::path(folder) / ("step" + std::to_string(step));
  const fs::path temporary = fs::path(folder) / (".step" + std::to_string(step) + ".tmp");
  fs::remove_all(temporary);
  engine::saveCheckpoint(problem.model(), temporary.string(), CheckpointFiles::Layout::Safetensors, at::kDouble);
  fs::remove_all(final);
  fs::rename(temporary, final);
}

/// The held-out side of one checkpoint (docs/generalisation.md): L', the held-out profile in its
/// own operator M' = J'J'ᵀ/n', and the rates R_b of the held-out and the training loss over the
/// training bins, from K' = J'Jᵀ and K = J Jᵀ.
void measureHeldOut(const engine::LabProblem& problem, const at::Tensor& jacobian, const lab::CheckpointSnapshot& train,
                    lab::Objective objective, LabCheckpoint& c) {
  const at::Tensor heldOutJacobian = problem.heldOutJacobian();
  const Eigen::VectorXd e = problem.heldOutErrorVector();
  if (!e.allFinite()) throw std::runtime_error("the held-out errors are not finite at step " + std::to_string(c.step));
  const double held = static_cast<double>(e.size());
  c.heldOutMeanSquaredError = e.squaredNorm() / held;
  c.heldOutLoss = objective == lab::Objective::MseOfError ? 0.5 * c.heldOutMeanSquaredError : e.mean();
  c.heldOutEnergy = lab::snapshotCheckpoint(engine::LabProblem::gram(heldOutJacobian), e, train.window).energy;
  const lab::HeldOutRates rates =
      lab::heldOutRates(train, engine::LabProblem::crossKernel(heldOutJacobian, jacobian), e, objective);
  c.heldOutRate = rates.bins;
  c.heldOutRateDirect = rates.direct;
  const double n = static_cast<double>(train.size());
  c.trainingRate = lab::heldOutRates(train, n * train.operatorMatrix, train.error, objective).bins;
}

}  // namespace

LabRun runLab(const LabRunSettings& settings, const ProgressToken& progress) {
  settings.validate();
  const double started = monotonicSeconds();
  configureThreads(settings.threads);
  engine::LabSetup setup = engine::makeLabSetup(settings.model, settings.points, settings.seqLen, settings.seed,
                                                settings.heldOutPoints, settings.labelNoise);
  LabRun run;
  run.settings = settings;
  run.modelName = setup.modelName;
  run.dataSource = setup.dataSource;
  run.heldOutSource = setup.heldOutSource;
  run.observable = setup.model->observable().name();
  engine::LabProblem problem(std::move(setup.model), std::move(setup.points), settings.outputScale,
                             settings.scaleOn == ScaleOn::Logits, std::move(setup.heldOut));
  run.parameterCount = problem.parameterCount();
  const RuntimeInfo runtime = runtimeInfo();
  run.createdAt = utcTimestamp();
  run.softwareVersion = "shellscope " + runtime.shellscopeVersion + " (libtorch " + runtime.torchVersion + ", BLAS " +
                        runtime.blasLibrary + ")";

  const std::vector<int> checkpoints = settings.checkpointSteps();
  if (!settings.checkpointFolder.empty()) savePoints(problem, settings);
  const double h = settings.stepSize();
  const double n = static_cast<double>(problem.pointCount());
  // Progress in units of one gradient step; a checkpoint costs about n small backward passes.
  const double checkpointCost = std::max(1.0, 0.1 * (n + static_cast<double>(problem.heldOutPointCount())));
  const double total = settings.steps + checkpointCost * static_cast<double>(checkpoints.size());
  double done = 0;
  lab::BalanceOptions options;
  options.objective = settings.objective;

  // SGD's rows, drawn without replacement for every step from a generator of its own (the model's
  // initialisation and the data use `seed` too, through other streams).
  std::mt19937_64 sampler(settings.seed * 0x9E3779B97F4A7C15ull + 17);
  std::vector<std::int64_t> rowOrder(static_cast<std::size_t>(problem.rowCount()));
  std::iota(rowOrder.begin(), rowOrder.end(), 0);
  lab::CheckpointSnapshot previous;
  double tau = 0, previousTau = 0;
  int step = 0;
  for (std::size_t k = 0; k < checkpoints.size(); ++k) {
    const std::string where = "checkpoint " + std::to_string(k + 1) + "/" + std::to_string(checkpoints.size());
    while (step < checkpoints[k]) {
      progress.throwIfCancelled();
      std::vector<std::int64_t> batch;
      if (settings.batchRows > 0 && settings.batchRows < problem.rowCount()) {
        std::shuffle(rowOrder.begin(), rowOrder.end(), sampler);
        batch.assign(rowOrder.begin(), rowOrder.begin() + settings.batchRows);
        std::sort(batch.begin(), batch.end());
      }
      const double before = problem.gradientStep(settings.objective, h, batch, settings.momentum);
      if (!std::isfinite(before)) {
        throw SettingError("learning_rate", "is too large: the loss is " + std::to_string(before) + " at step " +
                                                std::to_string(step) + " (gradient descent diverged)");
      }
      tau += h;
      ++step;
      done += 1;
      progress.report(done / total, "step " + std::to_string(step) + "/" + std::to_string(settings.steps));
    }
    double t0 = monotonicSeconds();
    const ProgressToken part = progress.part(done / total, (done + checkpointCost) / total);
    const at::Tensor jacobian = problem.jacobian(part);
    const Eigen::MatrixXd m = engine::LabProblem::gram(jacobian);
    const Eigen::VectorXd e = problem.errorVector();
    if (!e.allFinite() || !m.allFinite()) {
      throw SettingError("learning_rate", "is too large: the errors are no longer finite at step " + std::to_string(step) +
                                              " (gradient descent diverged)");
    }
    run.jacobianSeconds += monotonicSeconds() - t0;
    if (!settings.checkpointFolder.empty()) saveLabCheckpoint(problem, settings.checkpointFolder, step);
    progress.throwIfCancelled();
    part.report(0.9, where + ": eigenbasis and balance");
    t0 = monotonicSeconds();
    if (k == 0) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(lab::symmetricPart(m), Eigen::EigenvaluesOnly);
      if (solver.info() != Eigen::Success) throw std::runtime_error("the eigenvalues of M did not converge");
      run.window = labWindow(settings, solver.eigenvalues(), &run.lambdaFloor);
    }
    lab::CheckpointSnapshot snapshot = lab::snapshotCheckpoint(m, e, run.window);
    LabCheckpoint c;
    c.step = step;
    c.tau = tau;
    c.meanSquaredError = snapshot.meanSquaredError;
    c.lambdaMax = snapshot.basis.values.maxCoeff();
    c.loss = settings.objective == lab::Objective::MseOfError ? 0.5 * e.squaredNorm() / n : e.mean();
    c.energy = snapshot.energy;
    c.dissipation = snapshot.dissipation;
    c.crossEntropyDissipation = snapshot.crossEntropyDissipation;
    if (settings.storeSpectra) {
      c.eigenvalues = snapshot.basis.values;
      c.coefficients = snapshot.coefficients;
    }
    if (problem.hasHeldOut()) {
      part.report(0.92, where + ": held-out points");
      measureHeldOut(problem, jacobian, snapshot, settings.objective, c);
    }
    run.checkpoints.push_back(std::move(c));
    if (k > 0) {
      LabInterval interval = intervalOf(lab::balanceInterval(previous, snapshot, tau - previousTau, options));
      if (problem.hasHeldOut()) {
        const LabCheckpoint& a = run.checkpoints[k - 1];
        const LabCheckpoint& b = run.checkpoints[k];
        interval.heldOutLossRate = (b.heldOutLoss - a.heldOutLoss) / interval.dtau;
        interval.heldOutRateMean = 0.5 * (a.heldOutRate.sum() + b.heldOutRate.sum());
      }
      run.intervals.push_back(std::move(interval));
    }
    previous = std::move(snapshot);
    previousTau = tau;
    run.spectrumSeconds += monotonicSeconds() - t0;
    done += checkpointCost;
    progress.report(done / total, where);
  }
  run.computeSeconds = monotonicSeconds() - started;
  return run;
}

}  // namespace shellscope

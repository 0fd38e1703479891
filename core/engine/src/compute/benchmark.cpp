#include "shellscope/engine/benchmark.h"

#include <torch/csrc/autograd/autograd.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <limits>
#include <filesystem>
#include <fstream>
#include <functional>

#include "checkpoints/checkpoint_io.h"
#include "compute/batch_source.h"
#include "compute/devices.h"
#include "models/builtin_models.h"
#include "models/synthetic_data.h"
#include "operator/explicit_jacobian.h"
#include "operator/linearization.h"
#include "operator/operators.h"
#include "shellscope/engine/checkpoint_writer.h"
#include "shellscope/engine/runtime.h"
#include "shellscope/data/token_data.h"
#include "shellscope/spectral/quadrature_bounds.h"
#include "shellscope/spectral/shell_convergence.h"

namespace shellscope {

namespace {

/// Times several operations round-robin, so that drift in machine speed (shared CPUs) hits all of
/// them alike; reports per-operation medians and per-round ratios to the first one.
class RoundRobinTimer {
 public:
  void add(std::function<void()> work) { work_.push_back(std::move(work)); }

  /// Runs one warm-up round and `rounds` timed rounds.
  void run(int rounds, const ProgressToken& progress) {
    times_.assign(work_.size(), {});
    for (auto& w : work_) w();
    for (int r = 0; r < rounds; ++r) {
      progress.throwIfCancelled();
      for (size_t i = 0; i < work_.size(); ++i) {
        const double start = monotonicSeconds();
        work_[i]();
        times_[i].push_back(monotonicSeconds() - start);
      }
    }
  }

  double median(size_t i) const { return medianOf(times_[i]); }
  /// Median over rounds of time(i) / time(0).
  double medianRatio(size_t i) const {
    std::vector<double> ratios;
    for (size_t r = 0; r < times_[i].size(); ++r) ratios.push_back(times_[i][r] / times_[0][r]);
    return medianOf(ratios);
  }

 private:
  static double medianOf(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  }
  std::vector<std::function<void()>> work_;
  std::vector<std::vector<double>> times_;
};

}  // namespace

std::vector<OperatorBenchmarkResult> runOperatorBenchmark(const OperatorBenchmarkOptions& options,
                                                          const ProgressToken& progress) {
  configureThreads(options.threads);
  const at::Device device = engine::resolveDevice(options.device);
  const at::ScalarType dtype = engine::modelScalarType(options.dtype, device);
  std::vector<OperatorBenchmarkResult> results;
  for (size_t i = 0; i < options.models.size(); ++i) {
    const ProgressToken part = progress.item(i, options.models.size());
    part.throwIfCancelled();
    part.report(0.0, options.models[i]);
    auto model = engine::makeBuiltinModel(options.models[i], options.seed);
    auto data = engine::makeBuiltinData(*model, 1, options.batchSize, options.seqLen, options.seed);
    model->to(device, dtype);
    engine::Batch batch = data->batch(0, dtype);
    batch.inputs = batch.inputs.to(device);
    batch.targets = batch.targets.to(device);

    OperatorBenchmarkResult r;
    r.model = options.models[i];
    r.nParams = model->parameterCount();
    r.nPoints = batch.pointCount();

    const at::Tensor u = at::randn({r.nPoints}, model->parameters().front().options());
    const Eigen::VectorXd uVector = engine::toEigen(u);
    Eigen::VectorXd out(uVector.size());

    RoundRobinTimer timer;
    timer.add([&] {  // 0: the baseline
      const at::Tensor f = model->outputs(model->parameters(), batch);
      torch::autograd::grad({f.sum()}, model->parameters(), {}, false, false, true);
    });
    timer.add([&] { model->outputs(model->parameters(), batch); });  // 1

    const std::vector<JvpMethod> methods{JvpMethod::ForwardMode, JvpMethod::ForwardAD, JvpMethod::DoubleBackward};
    std::vector<std::unique_ptr<engine::BatchLinearization>> linearizations;
    std::vector<std::unique_ptr<engine::FunctionSpaceOperator>> operators;
    std::vector<std::vector<at::Tensor>> tangents;
    for (JvpMethod method : methods) {
      JvpMethodTiming timing;
      timing.method = method;
      // Setup = building the linearisation (recorded forward pass included) and a first VJP + JVP,
      // the median of three builds so that one-off allocations do not count.
      std::vector<double> builds;
      for (int build = 0; build < 3; ++build) {
        const double start = monotonicSeconds();
        auto lin = std::make_unique<engine::BatchLinearization>(*model, batch, method);
        auto g = lin->vjp(u);
        lin->jvp(g);  // double backward: builds the graph of w -> J^T w
        builds.push_back(monotonicSeconds() - start);
        if (build == 2) {
          linearizations.push_back(std::move(lin));
          tangents.push_back(std::move(g));
        }
      }
      std::sort(builds.begin(), builds.end());
      timing.setup = builds[1];
      operators.push_back(std::make_unique<engine::FunctionSpaceOperator>(*linearizations.back()));
      r.methods.push_back(timing);
    }
    timer.add([&] { linearizations[0]->vjp(u); });  // 2
    for (size_t m = 0; m < methods.size(); ++m) {
      timer.add([&, m] { linearizations[m]->jvp(tangents[m]); });  // 3 + 2m
      timer.add([&, m] { operators[m]->apply(uVector, out); });    // 4 + 2m
    }
    timer.run(options.repeats, part);

    r.forwardBackward = timer.median(0);
    r.forward = timer.median(1);
    r.vjp = timer.median(2);
    for (size_t m = 0; m < methods.size(); ++m) {
      JvpMethodTiming& timing = r.methods[m];
      timing.jvp = timer.median(3 + 2 * m);
      timing.product = timer.median(4 + 2 * m);
      timing.ratio = timer.medianRatio(4 + 2 * m);
      // Setup as timed above includes the recorded forward pass, one VJP and one JVP.
      timing.setup = std::max(0.0, timing.setup - r.forward - r.vjp - timing.jvp);
      timing.batchSeconds = r.forward + timing.setup + options.lanczosSteps * timing.product;
    }
    results.push_back(r);
  }
  progress.report(1.0, "done");
  return results;
}

namespace {

double peakResidentGiB() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB
}

/// Resident memory now (/proc/self/statm's second field, in pages).
double residentGiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0 * 1024.0);
}

/// Resets the peak resident memory (VmHWM) to the resident memory now (Linux 4.0+); false where
/// it cannot be reset.
bool resetPeakResident() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  return static_cast<bool>(clear.flush());
}

/// Peak resident memory since the last reset (/proc/self/status VmHWM), GiB.
double peakResidentSinceResetGiB() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib / (1024.0 * 1024.0);
    }
  }
  return peakResidentGiB();
}

}  // namespace

ScaleBenchmarkResult runScaleBenchmark(const ScaleBenchmarkOptions& options, const ProgressToken& progress) {
  configureThreads(options.threads);
  namespace fs = std::filesystem;
  const std::string work = options.workDir.empty()
                               ? (fs::temp_directory_path() / ("shellscope-scale-" + std::to_string(::getpid()))).string()
                               : options.workDir;
  fs::create_directories(work);
  ScaleBenchmarkResult r;
  std::string folder = options.model;
  if (folder.empty()) {
    progress.report(0.0, "writing a random " + options.shape + " checkpoint");
    folder = (fs::path(work) / options.shape).string();
    RandomCheckpointOptions init;
    init.shape = options.shape;
    init.storeDtype = "float16";  // as Pythia's checkpoints are stored
    writeRandomCheckpoint(folder, init);
  }
  progress.throwIfCancelled();

  progress.report(0.1, "loading " + folder);
  const at::Device device = engine::resolveDevice(options.device);
  const at::ScalarType dtype = engine::modelScalarType(options.dtype, device);
  const double loadStart = monotonicSeconds();
  engine::LoadedCheckpoint loaded = engine::loadCheckpoint(folder, dtype, device);
  r.loadSeconds = monotonicSeconds() - loadStart;
  r.loadedMemoryGiB = residentGiB();
  r.device = device.str();
  r.storedDtype = loaded.storedDtypes;
  r.model = folder;
  const engine::ModelFunction& model = *loaded.model;
  r.nParams = model.parameterCount();
  const std::int64_t vocabulary = model.description().vocabularySize;
  if (vocabulary <= 0) throw std::invalid_argument(folder + ": bench-scale measures language models");

  // Token windows through the MMIDIDX reader, as real data arrives.
  const std::int64_t needed = static_cast<std::int64_t>(options.batchSize) * (options.seqLen + 1);
  const std::vector<std::int64_t> tokens = engine::markovTokenStream(std::min<std::int64_t>(vocabulary, 50277), needed, 1);
  const std::string prefix = (fs::path(work) / "tokens").string();
  writeMmidIdx(prefix, {tokens}, vocabulary <= 65536 ? TokenDType::U16 : TokenDType::I32);
  const engine::TokenWindowSource source(openMmidIdx(prefix), 1, options.batchSize, options.seqLen, vocabulary);
  engine::Batch batch = source.batch(0, dtype);
  batch.inputs = batch.inputs.to(device);
  batch.targets = batch.targets.to(device);
  r.nPoints = batch.pointCount();

  const Eigen::VectorXd u = engine::toEigen(at::randn({r.nPoints}, at::kDouble));
  ::malloc_trim(0);
  const double baseline = residentGiB();
  // One phase: the batch's linearisation, then the timed products; memory above `baseline`.
  auto measure = [&](bool recompute, const ProgressToken& part) {
    ScaleBenchmarkPhase phase;
    phase.recomputeActivations = recompute;
    ::malloc_trim(0);  // what an earlier phase freed goes back to the system
    resetPeakResident();
    part.report(0.0, recompute ? "forward pass keeping the layer inputs, output-layer block"
                               : "recorded forward pass and output-layer block");
    double start = monotonicSeconds();
    auto linearization = std::make_unique<engine::BatchLinearization>(model, batch, JvpMethod::ForwardMode, recompute);
    (void)linearization->outputs().sum().item<double>();  // waits for the device
    phase.setupSeconds = monotonicSeconds() - start;
    phase.heldMemoryGiB = residentGiB() - baseline;
    engine::FunctionSpaceOperator op(*linearization);
    Eigen::VectorXd out(u.size());
    std::vector<double> times;
    for (int i = 0; i < options.products; ++i) {
      progress.throwIfCancelled();
      part.part(0.1, 1.0).report(static_cast<double>(i) / options.products, "product M·u " + std::to_string(i + 1));
      start = monotonicSeconds();
      op.apply(u, out);
      times.push_back(monotonicSeconds() - start);
    }
    std::sort(times.begin(), times.end());
    phase.productSeconds = times[times.size() / 2];
    phase.peakMemoryGiB = peakResidentSinceResetGiB() - baseline;
    return phase;
  };
  if (options.compareRecompute) {
    r.phases.push_back(measure(true, progress.part(0.2, 0.5)));
    r.phases.push_back(measure(false, progress.part(0.5, 0.8)));
  } else {
    r.phases.push_back(measure(options.recomputeActivations, progress.part(0.2, 0.8)));
  }
  const ScaleBenchmarkPhase& measured = r.phases.back();
  r.setupSeconds = measured.setupSeconds;
  r.productSeconds = measured.productSeconds;
  r.peakMemoryGiB = peakResidentGiB();
  double start = 0;

  progress.report(0.85, "plain forward + backward");
  start = monotonicSeconds();
  {
    const at::Tensor f = model.outputs(model.parameters(), batch);
    const auto grads = torch::autograd::grad({f.sum()}, model.parameters(), {}, false, false, true);
    (void)grads.back().sum().item<double>();  // waits for the device
  }
  r.forwardBackwardSeconds = monotonicSeconds() - start;
  r.projectedBatchSeconds = r.setupSeconds + options.lanczosSteps * r.productSeconds;
  r.projectedRunSeconds = options.batches * r.projectedBatchSeconds;
  if (options.workDir.empty() && options.model.empty()) fs::remove_all(work);
  progress.report(1.0, "done");
  return r;
}

std::vector<QuadratureBenchmarkRow> runQuadratureBenchmark(const QuadratureBenchmarkOptions& options,
                                                           const ProgressToken& progress) {
  configureThreads(options.threads);
  std::vector<QuadratureBenchmarkRow> rows;
  for (std::size_t c = 0; c < options.batchSizes.size(); ++c) {
    const ProgressToken part = progress.item(c, options.batchSizes.size());
    auto model = engine::makeBuiltinModel(options.model, options.seed);
    model->to(at::kCPU, at::kDouble);
    auto data = engine::makeBuiltinData(*model, 1, options.batchSizes[c], options.seqLen, options.seed);
    const engine::Batch batch = data->batch(0, at::kDouble);
    const std::int64_t n = batch.pointCount();

    // The truth: M = J J^T / n from the explicit Jacobian, decomposed densely.
    part.report(0.0, "explicit Jacobian, n = " + std::to_string(n));
    const Eigen::MatrixXd j = engine::explicitJacobian(*model, batch);
    const Eigen::VectorXd e = engine::batchErrorVector(*model, batch);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / static_cast<double>(n));
    const double meanSquare = e.squaredNorm() / static_cast<double>(n);
    const Eigen::VectorXd masses = (dense.eigenvectors().transpose() * e).array().square() / e.squaredNorm() * meanSquare;
    std::vector<double> lambda(dense.eigenvalues().data(), dense.eigenvalues().data() + n);
    std::vector<double> massList(masses.data(), masses.data() + n);
    ShellWindowPolicy policy;
    policy.relativeFloor = 1e-12;
    const ShellWindow window = chooseShellWindow(options.shellsPerDecade, policy, lambda);
    const ShellEnergies exactSharp = binMasses(window, lambda, massList);
    const ShellEnergies exactSmooth = binMassesSmoothly(window, lambda, massList);

    // One Lanczos run as long as the longest m; every shorter m is a leading block of its T.
    const int longest = static_cast<int>(std::min<std::int64_t>(n, *std::max_element(options.steps.begin(), options.steps.end())));
    engine::BatchLinearization linearization(*model, batch, JvpMethod::ForwardMode);
    engine::FunctionSpaceOperator op(linearization);
    LanczosOptions lanczosOptions;
    lanczosOptions.maxSteps = longest;
    lanczosOptions.relativeTolerance = 1e-12;
    lanczosOptions.onStep = [&](int k) {
      part.throwIfCancelled();
      part.report(std::min(1.0, static_cast<double>(k) / longest), "Lanczos step " + std::to_string(k) + ", n = " + std::to_string(n));
    };
    const LanczosResult lanczosRun = lanczos(op, e, lanczosOptions);
    // The dissipations: D of e and, by polarisation from e ± 1, the cross-entropy one (the
    // engine's --cross-dissipation), against the dense truth Σ_{u∈γ} λ_u (φ_u·e)(φ_u·v)/n.
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(n);
    const LanczosResult plusRun = lanczos(op, e + ones, lanczosOptions);
    const LanczosResult minusRun = lanczos(op, e - ones, lanczosOptions);
    const auto denseDissipation = [&](const Eigen::VectorXd& v) {
      const Eigen::VectorXd pe = dense.eigenvectors().transpose() * e, pv = dense.eigenvectors().transpose() * v;
      Eigen::VectorXd perShell = Eigen::VectorXd::Zero(window.shellCount);
      for (Eigen::Index u = 0; u < n; ++u) {
        const int a = window.locate(dense.eigenvalues()(u));
        if (a >= 0 && a < window.shellCount) perShell(a) += std::max(dense.eigenvalues()(u), 0.0) * pe(u) * pv(u) / static_cast<double>(n);
      }
      return perShell;
    };
    const Eigen::VectorXd trueDissipation = denseDissipation(e), trueCross = denseDissipation(ones);
    // Σ_γ θ m of the leading k-step block of a run started from v (masses mean(v²) w).
    const auto quadratureDissipation = [&](const LanczosResult& run, const Eigen::VectorXd& start, int m) {
      const Eigen::Index k = std::min<Eigen::Index>(m, run.stepsTaken);
      Eigen::VectorXd values, weights;
      tridiagonalQuadrature(run.jacobiDiagonal.head(k), run.jacobiOffDiagonal.head(k - 1), values, weights);
      const double norm2 = start.squaredNorm() / static_cast<double>(n);
      Eigen::VectorXd perShell = Eigen::VectorXd::Zero(window.shellCount);
      for (Eigen::Index i = 0; i < k; ++i) {
        const int a = window.locate(values(i));
        if (a >= 0 && a < window.shellCount) perShell(a) += std::max(values(i), 0.0) * norm2 * weights(i);
      }
      return perShell;
    };

    // Scores the quadrature of T_k (leading block of a run) against the truth.
    auto score = [&](const Eigen::VectorXd& diagonal, const Eigen::VectorXd& off, double next, int m) {
      const Eigen::Index k = diagonal.size();
      Eigen::VectorXd values, weights;
      tridiagonalQuadrature(diagonal, off, values, weights);
      std::vector<double> v(values.data(), values.data() + k), w(static_cast<std::size_t>(k));
      for (Eigen::Index i = 0; i < k; ++i) w[static_cast<std::size_t>(i)] = meanSquare * weights(i);
      const ShellEnergies sharp = binMasses(window, v, w);
      const ShellEnergies smooth = binMassesSmoothly(window, v, w);
      const ShellEnergyBounds bounds = shellEnergyBounds(window, diagonal, off, next, meanSquare);

      QuadratureBenchmarkRow row;
      row.n = n;
      row.m = m;
      row.smoothWithinFrom = std::numeric_limits<double>::quiet_NaN();
      int firstFailingSmooth = -1;  // the highest scored smooth window outside tolerance
      for (int a = 0; a < window.shellCount; ++a) {
        const auto u = static_cast<std::size_t>(a);
        const double truthSharp = exactSharp.energy[u], truthSmooth = exactSmooth.energy[u];
        const double slack = 1e-10 * meanSquare;
        row.boundsHold = row.boundsHold && bounds.lower(a) <= truthSharp + slack && truthSharp <= bounds.upper(a) + slack;
        const bool scoredSharp = truthSharp >= options.massFraction * meanSquare;
        const bool scoredSmooth = truthSmooth >= options.massFraction * meanSquare;
        if (!scoredSharp && !scoredSmooth) continue;
        const double errSharp = scoredSharp ? std::abs(sharp.energy[u] - truthSharp) / truthSharp : std::nan("");
        const double errSmooth = scoredSmooth ? std::abs(smooth.energy[u] - truthSmooth) / truthSmooth : std::nan("");
        const double width = scoredSharp ? (bounds.upper(a) - bounds.lower(a)) / truthSharp : std::nan("");
        if (scoredSharp) {
          ++row.scoredSharp;
          row.withinSharp += errSharp <= options.tolerance;
          row.worstSharp = std::max(row.worstSharp, errSharp);
          row.worstBoundWidth = std::max(row.worstBoundWidth, width);
        }
        if (scoredSmooth) {
          ++row.scoredSmooth;
          row.withinSmooth += errSmooth <= options.tolerance;
          row.worstSmooth = std::max(row.worstSmooth, errSmooth);
          if (errSmooth > options.tolerance) firstFailingSmooth = a;
        }
        row.centres.push_back(window.centre(a));
        row.sharpErrors.push_back(errSharp);
        row.smoothErrors.push_back(errSmooth);
        row.boundWidths.push_back(width);
      }
      for (int a = firstFailingSmooth + 1; a < window.shellCount; ++a) {
        if (exactSmooth.energy[static_cast<std::size_t>(a)] >= options.massFraction * meanSquare) {
          row.smoothWithinFrom = window.centre(a);
          break;
        }
      }
      return row;
    };

    for (int m : options.steps) {
      if (m > lanczosRun.stepsTaken && m != options.steps.front()) continue;
      const int k = std::min(m, lanczosRun.stepsTaken);
      const double next = k < lanczosRun.stepsTaken ? lanczosRun.jacobiOffDiagonal(k - 1) : lanczosRun.nextOffDiagonal;
      QuadratureBenchmarkRow row = score(lanczosRun.jacobiDiagonal.head(k), lanczosRun.jacobiOffDiagonal.head(k - 1), next, m);
      row.dissipationError = (quadratureDissipation(lanczosRun, e, m) - trueDissipation).cwiseAbs().maxCoeff() /
                             trueDissipation.cwiseAbs().sum();
      const Eigen::VectorXd cross = 0.25 * (quadratureDissipation(plusRun, e + ones, m) - quadratureDissipation(minusRun, e - ones, m));
      row.crossDissipationError = (cross - trueCross).cwiseAbs().maxCoeff() / trueCross.cwiseAbs().sum();
      rows.push_back(std::move(row));
    }

    // Adaptive m: the same Lanczos run stopped by the shell-convergence test.
    for (double tolerance : options.adaptiveTolerances) {
      ShellConvergenceTest test;
      test.tolerance = tolerance;
      test.massFraction = options.massFraction;
      test.shellsPerDecade = options.shellsPerDecade;
      test.policy = policy;
      LanczosOptions adaptive = lanczosOptions;
      adaptive.maxSteps = static_cast<int>(n);
      adaptive.minSteps = options.adaptiveMinSteps;
      adaptive.stopWhen = [&](const Eigen::VectorXd& diagonal, const Eigen::VectorXd& off, double next) {
        return testShellConvergence(test, diagonal, off, next).converged;
      };
      const LanczosResult run = lanczos(op, e, adaptive);
      QuadratureBenchmarkRow row = score(run.jacobiDiagonal, run.jacobiOffDiagonal, run.nextOffDiagonal, run.stepsTaken);
      row.adaptiveTolerance = tolerance;
      row.dissipationError = row.crossDissipationError = std::numeric_limits<double>::quiet_NaN();
      rows.push_back(std::move(row));
    }
  }
  progress.report(1.0, "done");
  return rows;
}

}  // namespace shellscope

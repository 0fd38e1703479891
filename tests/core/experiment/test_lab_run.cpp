// The exact lab driver (shellscope/experiment/lab_run.h) against ground truth that does not rest
// on its own code: M of a checkpoint against the engine's matrix-free operator M u (α = 1) and
// against central finite differences of the scaled f (α ≠ 1); the measured Δe/Δτ against −M e
// (mse-of-error) and −M 1 (cross-entropy) as the step size shrinks, with the balance residual;
// the stored arrays read back bit for bit with everything else in the file kept; a lazy run
// (large α) transporting far less than a rich one; held-out points: the identity, −D on the
// training side, the held-out loss's measured rate at first order in the step.
#include <H5Cpp.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <cmath>
#include <cstdio>

#include "lab_problem.h"
#include "operator/explicit_jacobian.h"
#include "operator/linearization.h"
#include "operator/operators.h"
#include "shellscope/engine/compute.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/exact_agreement.h"
#include "synthetic_runs.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::randomVector;

namespace {

engine::LabProblem problemFor(const std::string& model, int points, int seqLen, double alpha, bool logits = false,
                              std::uint64_t seed = 3) {
  engine::LabSetup setup = engine::makeLabSetup(model, points, seqLen, seed);
  return engine::LabProblem(std::move(setup.model), std::move(setup.points), alpha, logits);
}

LabRunSettings settingsFor(const std::string& model, lab::Objective objective, int points, double lr, int steps,
                           int every, double alpha = 1.0) {
  LabRunSettings s;
  s.model = model;
  s.objective = objective;
  s.points = points;
  s.seqLen = 16;
  s.learningRate = lr;
  s.steps = steps;
  s.every = every;
  s.outputScale = alpha;
  s.seed = 3;
  s.threads = 2;
  return s;
}

double worst(const LabRun& run, double LabInterval::*field, bool oneMinus) {
  double w = 0;
  for (const LabInterval& i : run.intervals) w = std::max(w, oneMinus ? 1 - i.*field : i.*field);
  return w;
}

void compareVectors(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const char* what) {
  QVERIFY2(a.size() == b.size() && (a.array() == b.array() || (a.array().isNaN() && b.array().isNaN())).all(), what);
}

}  // namespace

class TestLabRun : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void exactOperatorMatchesEngine_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("mlp") << QString("builtin:mlp");
    QTest::newRow("nano-lm") << QString("builtin:nano-lm");
  }
  // M = J Jᵀ/n from the lab's per-window (per-chunk) Jacobian against the engine's operator, which
  // never forms J (GPT-NeoX: the output layer split off exactly, tangent passes by hand).
  void exactOperatorMatchesEngine() {
    QFETCH(QString, model);
    const int n = 32;
    engine::LabProblem problem = problemFor(model.toStdString(), n, 16, 1.0);
    const at::Tensor j = problem.jacobian();
    const Eigen::MatrixXd m = engine::LabProblem::gram(j);
    QCOMPARE(m.rows(), Eigen::Index(n));
    engine::LabSetup twin = engine::makeLabSetup(model.toStdString(), n, 16, 3);
    twin.model->to(at::kCPU, at::kDouble);
    if (twin.points.inputs.is_floating_point()) twin.points.inputs = twin.points.inputs.to(at::kDouble);
    if (twin.points.targets.is_floating_point()) twin.points.targets = twin.points.targets.to(at::kDouble);
    engine::BatchLinearization lin(*twin.model, twin.points, JvpMethod::ForwardMode);
    engine::FunctionSpaceOperator op(lin);
    for (unsigned seed = 1; seed <= 3; ++seed) {
      const Eigen::VectorXd u = randomVector(n, seed);
      Eigen::VectorXd mu;
      op.apply(u, mu);
      SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(m * u, mu), 1e-11);
    }
    // And row by row against the engine's explicit Jacobian of the whole batch (one graph).
    const Eigen::MatrixXd rows = engine::explicitJacobian(*twin.model, twin.points);
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::MatrixXd mine = Eigen::Map<const RowMajor>(j.contiguous().data_ptr<double>(), n, j.size(1));
    SHELLSCOPE_COMPARE_ERROR((mine - rows).cwiseAbs().maxCoeff() / rows.cwiseAbs().maxCoeff(), 1e-13);
    std::printf("%s: n = %d, P = %lld, lambda_max = %.4g\n", qPrintable(model), n,
                static_cast<long long>(problem.parameterCount()), Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(m, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff());
  }

  void scaledOperatorMatchesFiniteDifferences_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("objective");
    QTest::addColumn<bool>("logits");
    QTest::newRow("mlp") << QString("builtin:mlp") << int(lab::Objective::MseOfError) << false;
    QTest::newRow("nano-lm, f scaled") << QString("builtin:nano-lm") << int(lab::Objective::CrossEntropy) << false;
    QTest::newRow("nano-lm, logits scaled") << QString("builtin:nano-lm") << int(lab::Objective::CrossEntropy) << true;
  }
  // With α = 4: M_α = α² M at θ₀ (f_α and f agree there and J_α = α J), and after a few steps
  // J v matches central differences (f_α(θ + εv) − f_α(θ − εv)) / 2ε along random directions.
  void scaledOperatorMatchesFiniteDifferences() {
    QFETCH(QString, model);
    QFETCH(int, objective);
    QFETCH(bool, logits);
    const double alpha = 4.0;
    const int n = 32;
    engine::LabProblem plain = problemFor(model.toStdString(), n, 16, 1.0);
    engine::LabProblem scaled = problemFor(model.toStdString(), n, 16, alpha, logits);
    const Eigen::MatrixXd m1 = engine::LabProblem::gram(plain.jacobian());
    const Eigen::MatrixXd ma = engine::LabProblem::gram(scaled.jacobian());
    SHELLSCOPE_COMPARE_ERROR((ma - alpha * alpha * m1).cwiseAbs().maxCoeff() / ma.cwiseAbs().maxCoeff(), 1e-12);
    for (int step = 0; step < 3; ++step) scaled.gradientStep(lab::Objective(objective), 0.05 / (alpha * alpha));
    const at::Tensor j = scaled.jacobian();
    const auto& params = scaled.model().parameters();
    const double eps = 1e-6;
    for (unsigned seed = 1; seed <= 3; ++seed) {
      at::NoGradGuard noGrad;
      std::vector<at::Tensor> plus, minus, flat;
      at::Tensor v = at::randn({scaled.parameterCount()}, at::TensorOptions().dtype(at::kDouble));
      std::int64_t offset = 0;
      for (const at::Tensor& p : params) {
        const at::Tensor d = v.narrow(0, offset, p.numel()).view(p.sizes());
        plus.push_back(p.detach() + eps * d);
        minus.push_back(p.detach() - eps * d);
        offset += p.numel();
      }
      const at::Tensor fd = (scaled.outputs(plus) - scaled.outputs(minus)) / (2 * eps);
      const at::Tensor jv = j.mv(v);
      const double error = (jv - fd).abs().max().item<double>() / fd.abs().max().item<double>();
      SHELLSCOPE_COMPARE_ERROR(error, 1e-7);
    }
  }

  // mse-of-error: Δe/Δτ → −M e and the balance residual shrinks as the step size does (the same
  // τ = 0.8 covered by 20, 40 and 80 steps, a checkpoint after every step).
  void errorFlowConverges() {
    std::vector<double> cosineGap, residual;
    for (double lr : {0.04, 0.02, 0.01}) {
      const int steps = static_cast<int>(std::lround(0.8 / lr));
      const LabRun run = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 48, lr, steps, 1));
      cosineGap.push_back(worst(run, &LabInterval::cosineErrorFlow, true));
      residual.push_back(run.maxRelativeResidual());
      std::printf("mse-of-error eta %.3g: max(1 - cos(-Me)) %.3e, mean cos(-M1) %.3f, max relative residual %.3e\n", lr,
                  cosineGap.back(), run.meanCosineOnesFlow(), residual.back());
    }
    std::printf("observed orders: cosine gap %.2f %.2f, residual %.2f %.2f\n", std::log2(cosineGap[0] / cosineGap[1]),
                std::log2(cosineGap[1] / cosineGap[2]), std::log2(residual[0] / residual[1]), std::log2(residual[1] / residual[2]));
    for (int k = 0; k < 2; ++k) {
      QVERIFY2(cosineGap[k + 1] < cosineGap[k] / 1.5, "1 - cos(-Me) does not shrink with the step size");
      QVERIFY2(residual[k + 1] < residual[k] / 1.4, "the balance residual does not shrink with the step size");
    }
    QVERIFY(cosineGap[2] < 1e-3);
    QVERIFY(residual[2] < 0.05);
  }

  // cross-entropy on the nano LM: Δe/Δτ → −M 1 as the step size shrinks; −M e describes it worse.
  void onesFlowConverges() {
    std::vector<double> cosineGap;
    double errorFlowGap = 0;
    for (double lr : {0.01, 0.005, 0.0025}) {
      const int steps = static_cast<int>(std::lround(0.05 / lr));
      const LabRun run = runLab(settingsFor("builtin:nano-lm", lab::Objective::CrossEntropy, 32, lr, steps, 1));
      cosineGap.push_back(worst(run, &LabInterval::cosineOnesFlow, true));
      errorFlowGap = worst(run, &LabInterval::cosineErrorFlow, true);
      std::printf("cross-entropy eta %.3g: max(1 - cos(-M1)) %.3e, max(1 - cos(-Me)) %.3e, median relative residual %.3e\n",
                  lr, cosineGap.back(), errorFlowGap, run.medianRelativeResidual());
    }
    std::printf("observed orders: %.2f %.2f\n", std::log2(cosineGap[0] / cosineGap[1]), std::log2(cosineGap[1] / cosineGap[2]));
    for (int k = 0; k < 2; ++k) QVERIFY2(cosineGap[k + 1] < cosineGap[k] / 1.5, "1 - cos(-M1) does not shrink");
    QVERIFY(cosineGap[2] < 1e-3);
    QVERIFY2(errorFlowGap > 3 * cosineGap[2], "-M e should describe cross-entropy training worse than -M 1");
  }

  // Large α: the lazy regime, where M barely moves, transports far less than α = 1.
  void lazyRunTransportsLess() {
    const LabRun rich = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 48, 0.05, 100, 5, 1.0));
    const LabRun lazy = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 48, 0.05, 100, 5, 32.0));
    std::printf("transport/dissipation over the run: rich (alpha 1) %.4g, lazy (alpha 32) %.4g; losses %.4g, %.4g\n",
                rich.runTransportToDissipation(), lazy.runTransportToDissipation(), rich.checkpoints.back().loss,
                lazy.checkpoints.back().loss);
    QVERIFY(lazy.runTransportToDissipation() < 0.1 * rich.runTransportToDissipation());
    // Both trained: the first steps agree in function space (h M_α = η M).
    QVERIFY(lazy.checkpoints.back().loss < 0.8 * lazy.checkpoints.front().loss);
    QCOMPARE(lazy.checkpoints.front().loss, rich.checkpoints.front().loss);
  }

  void byDifferenceFluxTracksTheExactOne() {
    // The series estimator (shellscope-cli transport) on every s-th checkpoint of an exact run,
    // against the exact flux averaged over the span (docs/lab.md, "How far apart may checkpoints
    // be"): on this n = 64 run within 2.4% (spacing 1) and 1.2% (spacing 4) of the flux, 48% at
    // spacing 32 (Δτ λ_max ≈ 5) when measured; n = 128 (docs) gives 0.07% up to Δτ λ_max ≈ 1.
    const LabRun run = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 64, 0.05, 96, 1));
    const auto K = static_cast<Eigen::Index>(run.checkpoints.size());
    std::vector<double> tau, lambdaMax;
    Eigen::MatrixXd energy(K, run.binCount()), dissipation(K, run.binCount()), exact(K - 1, run.binCount());
    for (Eigen::Index k = 0; k < K; ++k) {
      const LabCheckpoint& c = run.checkpoints[static_cast<std::size_t>(k)];
      tau.push_back(c.tau);
      lambdaMax.push_back(c.lambdaMax);
      energy.row(k) = c.energy.transpose();
      dissipation.row(k) = c.dissipation.transpose();
      if (k + 1 < K) exact.row(k) = run.intervals[static_cast<std::size_t>(k)].cumulativeFlux.transpose();
    }
    std::vector<transport::SpacingAgreement> rows;
    for (int s : {1, 4, 32}) {
      rows.push_back(transport::compareWithExactFlux(tau, energy, dissipation, exact, s, lambdaMax));
      std::printf("spacing %2d (dtau lambda_max %.3g): median error %.3g of the flux, %.3g of the dissipation, sign %.3f\n", s,
                  rows.back().medianDtauLambdaMax, rows.back().medianRelativeError, rows.back().medianDissipationError,
                  rows.back().signAgreement);
    }
    QVERIFY(rows[0].medianRelativeError < 0.05 && rows[1].medianRelativeError < 0.05);
    QVERIFY(rows[1].signAgreement > 0.99);
    QVERIFY(rows[2].medianRelativeError > 3 * rows[1].medianRelativeError);
  }

  void stochasticAndMomentumRunsAreMeasuredAndRecorded() {
    // SGD on 8 of 32 points and heavy-ball momentum: the lab measures them like gradient descent,
    // reproducibly, and says how far Δe/Δτ then is from −M e (the flow of the full-batch objective).
    LabRunSettings full = settingsFor("builtin:mlp", lab::Objective::MseOfError, 32, 0.05, 30, 1);
    LabRunSettings sgd = full;
    sgd.batchRows = 8;
    LabRunSettings heavy = full;
    heavy.momentum = 0.9;
    const LabRun a = runLab(full), b = runLab(sgd), b2 = runLab(sgd), c = runLab(heavy);
    std::printf("mean cos(de/dtau, -M e): full batch %.5f, SGD 8 of 32 %.5f, momentum 0.9 %.5f\n", a.meanCosineErrorFlow(),
                b.meanCosineErrorFlow(), c.meanCosineErrorFlow());
    QCOMPARE(QString::fromStdString(sgd.optimizerDescription()), QString("SGD, 8 of 32 points per step, constant step"));
    QVERIFY(QString::fromStdString(heavy.optimizerDescription()).endsWith("heavy-ball momentum 0.9"));
    QVERIFY(b.checkpoints.back().energy == b2.checkpoints.back().energy);  // seeded
    QVERIFY(b.checkpoints.back().energy != a.checkpoints.back().energy);
    QVERIFY(a.meanCosineErrorFlow() > 0.999);
    QVERIFY(b.meanCosineErrorFlow() < a.meanCosineErrorFlow() - 0.01);  // a mini-batch's gradient is not the full one
    QVERIFY(c.checkpoints.back().loss < a.checkpoints.back().loss);     // momentum goes further in the same τ
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.h5").toStdString();
    appendLabRun(path, b);
    const LabRun back = readLabRuns(path).front();
    QCOMPARE(back.settings.batchRows, 8);
    QCOMPARE(back.settings.momentum, 0.0);
    sgd.batchRows = 33;
    QVERIFY(test::messageOf([&] { runLab(sgd); }).contains("batch_rows"));
    heavy.momentum = 1.0;
    QVERIFY(test::messageOf([&] { runLab(heavy); }).contains("momentum"));
  }

  void savedCheckpointsRecomputeTheSameShells() {
    // --save-checkpoints: the normal loaders reopen a lab checkpoint and its points, and the
    // engine's Lanczos quadrature (float64, m >= n) gives the lab's dense shell energies.
    QTemporaryDir dir;
    LabRunSettings s = settingsFor("builtin:nano-lm", lab::Objective::CrossEntropy, 32, 0.005, 4, 2);
    s.checkpointFolder = dir.filePath("lab").toStdString();
    const LabRun run = runLab(s);
    for (int step : {0, 2, 4}) QVERIFY(QFile::exists(dir.filePath(QString("lab/step%1/model.safetensors").arg(step))));
    QVERIFY(QFile::exists(dir.filePath("lab/points.npy")));
    ComputeSettings compute;
    compute.data = s.checkpointFolder + "/points.npy";
    compute.batches = 1;
    compute.batchSize = 2;
    compute.seqLen = 16;
    compute.lanczosSteps = 64;
    compute.dtype = ComputeDType::Float64;
    compute.threads = 2;
    compute.models = {s.checkpointFolder + "/step4"};
    Run recomputed;
    const QString failure = test::messageOf([&] {
      CheckpointComputation checkpoint(compute, s.checkpointFolder + "/step4");
      recomputed = computeRun(checkpoint, {});
    });
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    const LabCheckpoint& last = run.checkpoints.back();
    QCOMPARE(last.step, 4);
    SHELLSCOPE_COMPARE_ERROR(std::abs(recomputed.errorNorm2(0) - last.meanSquaredError) / last.meanSquaredError, 1e-10);
    double largest = 0, compared = 0;
    QCOMPARE(recomputed.window.shellsPerDecade, run.window.shellsPerDecade);
    for (int j = 0; j < recomputed.window.shellCount; ++j) {
      const int bin = 1 + recomputed.window.firstEdgeIndex + j - run.window.firstEdgeIndex;  // the lab's bin of that shell
      if (bin < 1 || bin > run.window.shellCount) continue;
      largest = std::max(largest, std::abs(recomputed.shellEnergyBatches(0, j) - last.energy(bin)));
      compared += last.energy(bin);
    }
    QVERIFY2(compared > 0.9 * last.meanSquaredError, "the compared shells must hold most of the energy");
    SHELLSCOPE_COMPARE_ERROR(largest / last.meanSquaredError, 1e-8);
    // A folder the lab did not write is never replaced.
    LabRunSettings other = s;
    other.checkpointFolder = dir.filePath("foreign").toStdString();
    QDir().mkpath(dir.filePath("foreign/step0"));
    QVERIFY(test::messageOf([&] { runLab(other); }).contains("not written by a lab run"));
    // The regressor has no checkpoint format.
    LabRunSettings mlp = settingsFor("builtin:mlp", lab::Objective::MseOfError, 8, 0.05, 2, 1);
    mlp.checkpointFolder = dir.filePath("mlp").toStdString();
    QVERIFY(test::messageOf([&] { runLab(mlp); }).contains("checkpoint_folder"));
  }

  void storedRunsReadBack() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.h5").toStdString();
    LabRun first = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 24, 0.05, 6, 2));
    QCOMPARE(appendLabRun(path, first), std::string("lab-0001"));
    QVERIFY(readSession(path).runs.empty());
    // Something else in the file, written by another program, then runs appended by the session code.
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      H5::Group other = file.createGroup("other");
      const std::int64_t value = 42;
      other.createAttribute("answer", H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &value);
    }
    resealSession(path);
    appendRuns(path, {syntheticRun([](double) { return 1.0; }, 0.1, 2, 7)});
    LabRunSettings s = settingsFor("builtin:nano-lm", lab::Objective::CrossEntropy, 16, 0.01, 3, 1);
    s.storeSpectra = false;
    const LabRun second = runLab(s);
    QCOMPARE(appendLabRun(path, second), std::string("lab-0002"));

    QCOMPARE(readSession(path).runs.size(), std::size_t(1));
    {
      H5::H5File file(path, H5F_ACC_RDONLY);
      QVERIFY(file.nameExists("other"));
      QVERIFY(file.openGroup("other").attrExists("answer"));
    }
    const std::vector<LabRun> runs = readLabRuns(path);
    QCOMPARE(runs.size(), std::size_t(2));
    const LabRun& r = runs[0];
    QCOMPARE(r.id, std::string("lab-0001"));
    QCOMPARE(r.settings.model, first.settings.model);
    QCOMPARE(r.settings.learningRate, first.settings.learningRate);
    QCOMPARE(r.parameterCount, first.parameterCount);
    QCOMPARE(r.window.firstEdgeIndex, first.window.firstEdgeIndex);
    QCOMPARE(r.window.shellCount, first.window.shellCount);
    QCOMPARE(r.checkpoints.size(), first.checkpoints.size());
    for (std::size_t k = 0; k < r.checkpoints.size(); ++k) {
      const LabCheckpoint &a = r.checkpoints[k], &b = first.checkpoints[k];
      QCOMPARE(a.step, b.step);
      QCOMPARE(a.tau, b.tau);
      QCOMPARE(a.loss, b.loss);
      compareVectors(a.energy, b.energy, "E");
      compareVectors(a.dissipation, b.dissipation, "D");
      compareVectors(a.crossEntropyDissipation, b.crossEntropyDissipation, "D_ce");
      compareVectors(a.eigenvalues, b.eigenvalues, "eigenvalues");
      compareVectors(a.coefficients, b.coefficients, "g");
    }
    QCOMPARE(r.intervals.size(), first.intervals.size());
    for (std::size_t k = 0; k < r.intervals.size(); ++k) {
      const LabInterval &a = r.intervals[k], &b = first.intervals[k];
      QCOMPARE(a.dtau, b.dtau);
      QVERIFY(a.flux == b.flux);
      compareVectors(a.energyChange, b.energyChange, "dE");
      compareVectors(a.dissipationMean, b.dissipationMean, "Dbar");
      compareVectors(a.crossing, b.crossing, "crossing");
      compareVectors(a.residual, b.residual, "residual");
      compareVectors(a.frozenErrorChange, b.frozenErrorChange, "frozen");
      compareVectors(a.cumulativeFlux, b.cumulativeFlux, "J");
      QCOMPARE(a.cosineErrorFlow, b.cosineErrorFlow);
      QCOMPARE(a.relativeOnesFlow, b.relativeOnesFlow);
      QCOMPARE(a.transportToDissipation, b.transportToDissipation);
      QCOMPARE(a.crossingModes, b.crossingModes);
    }
    QVERIFY(!runs[1].settings.storeSpectra);
    QCOMPARE(runs[1].checkpoints.front().eigenvalues.size(), Eigen::Index(0));
    QVERIFY(runs[1].settings.objective == lab::Objective::CrossEntropy);

    // A damaged lab run is an error naming the file, the group and the dataset.
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      H5Ldelete(file.getId(), "lab/lab-0001/tau", H5P_DEFAULT);
    }
    resealSession(path);
    const QString message = shellscope::test::messageOf([&] { readLabRuns(path); });
    QVERIFY2(message.contains("/lab/lab-0001") && message.contains("tau"), qPrintable(message));
  }

  void heldOutRatesCloseAndFollowTheHeldOutLoss() {
    // Held-out points (docs/generalisation.md): Σ_b R_b = −e'ᵀK'e/(n n') to rounding at every
    // checkpoint; the training rate is −D under mse-of-error; the measured ΔL'/Δτ approaches the
    // identity's value at first order in the step (gradient descent leaves the flow by O(h)); the
    // fields read back; a run with held-out points = none keeps them empty.
    std::vector<double> mismatch;
    for (const double lr : {0.04, 0.02, 0.01}) {
      LabRunSettings s = settingsFor("builtin:mlp", lab::Objective::MseOfError, 24, lr, static_cast<int>(std::lround(1.0 / lr)), 1);
      s.heldOutPoints = 40;
      s.labelNoise = 0.3;
      const LabRun run = runLab(s);
      QVERIFY(run.hasHeldOut());
      QVERIFY2(run.maxHeldOutIdentityError() < 1e-10, qPrintable(QString::number(run.maxHeldOutIdentityError())));
      for (const LabCheckpoint& c : run.checkpoints) {
        QCOMPARE(c.heldOutRate.size(), Eigen::Index(run.binCount()));
        QVERIFY((c.trainingRate + c.dissipation).cwiseAbs().maxCoeff() <= 1e-10 * c.dissipation.cwiseAbs().maxCoeff());
        QVERIFY(std::abs(c.heldOutEnergy.sum() - c.heldOutMeanSquaredError) <= 1e-10 * c.heldOutMeanSquaredError);
        QVERIFY(std::abs(c.heldOutLoss - 0.5 * c.heldOutMeanSquaredError) <= 1e-14);
      }
      mismatch.push_back(run.maxHeldOutRateMismatch());
      std::printf("held-out, eta %.3g: max |sum R - dL'/dtau| / max |dL'/dtau| = %.3e\n", lr, mismatch.back());
      if (lr == 0.01) {
        QTemporaryDir dir;
        const std::string path = dir.filePath("s.h5").toStdString();
        appendLabRun(path, run);
        const LabRun back = readLabRuns(path).front();
        QCOMPARE(back.settings.heldOutPoints, 40);
        QCOMPARE(back.settings.labelNoise, 0.3);
        QCOMPARE(back.heldOutSource, run.heldOutSource);
        for (std::size_t k = 0; k < run.checkpoints.size(); ++k) {
          QVERIFY(back.checkpoints[k].heldOutRate == run.checkpoints[k].heldOutRate);
          QVERIFY(back.checkpoints[k].trainingRate == run.checkpoints[k].trainingRate);
          QCOMPARE(back.checkpoints[k].heldOutLoss, run.checkpoints[k].heldOutLoss);
        }
        QCOMPARE(back.intervals.back().heldOutLossRate, run.intervals.back().heldOutLossRate);
      }
    }
    for (std::size_t i = 1; i < mismatch.size(); ++i) {
      const double ratio = mismatch[i - 1] / mismatch[i];
      QVERIFY2(ratio > 1.6 && ratio < 2.5, qPrintable(QString("halving the step divides the mismatch by %1").arg(ratio)));
    }
    const LabRun plain = runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 16, 0.05, 4, 2));
    QVERIFY(!plain.hasHeldOut() && plain.checkpoints.front().heldOutRate.size() == 0);
    QVERIFY(std::isnan(plain.maxHeldOutRateMismatch()));
    QVERIFY(!heldOutRiseWindow(plain).rises());
  }

  void badSettingsNameTheSetting_data() {
    QTest::addColumn<QString>("setting");
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("points");
    QTest::addColumn<double>("lr");
    QTest::addColumn<int>("objective");
    QTest::newRow("unknown model") << QString("model") << QString("builtin:base-lm") << 32 << 0.1 << 0;
    QTest::newRow("points not whole windows") << QString("points") << QString("builtin:nano-lm") << 30 << 0.1 << 0;
    QTest::newRow("cross-entropy of a regressor") << QString("objective") << QString("builtin:mlp") << 32 << 0.1 << 1;
    QTest::newRow("negative step") << QString("learning_rate") << QString("builtin:mlp") << 32 << -0.1 << 0;
    QTest::newRow("one point") << QString("points") << QString("builtin:mlp") << 1 << 0.1 << 0;
    QTest::newRow("held-out of an LM, not whole windows") << QString("held_out_points") << QString("builtin:nano-lm") << 32 << 0.1 << 0;
    QTest::newRow("label noise of an LM") << QString("label_noise") << QString("builtin:nano-lm") << 32 << 0.1 << 0;
  }
  void badSettingsNameTheSetting() {
    QFETCH(QString, setting);
    QFETCH(QString, model);
    QFETCH(int, points);
    QFETCH(double, lr);
    QFETCH(int, objective);
    LabRunSettings s = settingsFor(model.toStdString(), lab::Objective(objective), points, lr, 4, 1);
    if (setting == "held_out_points") s.heldOutPoints = 12;
    if (setting == "label_noise") s.labelNoise = 0.1;
    try {
      s.validate();
      QFAIL("no error");
    } catch (const SettingError& e) {
      QCOMPARE(QString::fromStdString(e.setting()), setting);
    }
  }

  void divergenceIsASettingError() {
    try {
      runLab(settingsFor("builtin:mlp", lab::Objective::MseOfError, 16, 1e8, 60, 60));
      QFAIL("no error");
    } catch (const SettingError& e) {
      QCOMPARE(e.setting(), std::string("learning_rate"));
    }
  }
};

QTEST_APPLESS_MAIN(TestLabRun)
#include "test_lab_run.moc"

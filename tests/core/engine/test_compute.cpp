// The engine end to end against ground truth: with m >= n in float64 the per-batch shell energies
// equal those from a dense eigendecomposition of M = J J^T/n formed from the explicit Jacobian,
// in every Lanczos mode and with every JVP method; runs keep the mass identity; work items are
// independent; cancellation, NaN logits and bad settings give clear outcomes.
#include <Eigen/Eigenvalues>

#include "operator/batch_spectrum.h"
#include "models/builtin_models.h"
#include "half_precision.h"
#include "jacobian_support.h"
#include "shellscope/engine/compute.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::messageOf;

namespace {

ComputeSettings float64Settings(LanczosMode mode, JvpMethod method, int steps) {
  ComputeSettings s;
  s.lanczosMode = mode;
  s.jvpMethod = method;
  s.lanczosSteps = steps;
  s.dtype = ComputeDType::Float64;
  return s;
}

}  // namespace

class TestCompute : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void batchSpectrumMatchesDenseEigendecomposition_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("method");
    for (const char* model : {"builtin:tiny-lm", "builtin:mlp"}) {
      for (LanczosMode mode : {LanczosMode::Full, LanczosMode::Plain, LanczosMode::GolubKahan}) {
        QTest::newRow((std::string(model) + " " + toString(mode)).c_str())
            << QString(model) << int(mode) << int(JvpMethod::ForwardMode);
      }
    }
    QTest::newRow("builtin:tiny-lm full forward-ad") << "builtin:tiny-lm" << int(LanczosMode::Full) << int(JvpMethod::ForwardAD);
    QTest::newRow("builtin:tiny-lm full double-backward")
        << "builtin:tiny-lm" << int(LanczosMode::Full) << int(JvpMethod::DoubleBackward);
  }
  void batchSpectrumMatchesDenseEigendecomposition() {
    QFETCH(QString, model);
    QFETCH(int, mode);
    QFETCH(int, method);
    auto function = makeBuiltinModel(model.toStdString(), 4);
    auto data = makeBuiltinData(*function, 1, 2, 6, 4);  // n = 12 sample points
    function->to(at::kCPU, at::kDouble);
    const Batch batch = data->batch(0, at::kDouble);

    // Full and Golub-Kahan stop by themselves once the Krylov space is exhausted (m >= n). The plain
    // recurrence loses orthogonality and would run on, producing ghost copies: give it m = n.
    const bool plain = static_cast<LanczosMode>(mode) == LanczosMode::Plain;
    const ComputeSettings settings =
        float64Settings(static_cast<LanczosMode>(mode), static_cast<JvpMethod>(method), plain ? 12 : 30);
    const BatchSpectrum spectrum = batchSpectrum(*function, batch, settings, {}, "test");
    QVERIFY(spectrum.stepsTaken <= 12);
    const double tolerance = plain ? 1e-4 : 1e-8;  // plain: rounding already disturbs it at m = n

    // Ground truth: e and M = J J^T / n formed explicitly, then a dense eigendecomposition.
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*function, batch);
    const at::Tensor eTensor = function->errors(function->outputs(function->parameters(), batch).detach(), batch);
    const Eigen::VectorXd e = Eigen::Map<const Eigen::VectorXd>(eTensor.data_ptr<double>(), 12);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / 12.0);
    const Eigen::VectorXd weights = (dense.eigenvectors().transpose() * e).array().square() / e.squaredNorm();
    const double meanSquare = e.squaredNorm() / 12.0;
    QVERIFY(std::abs(spectrum.errorNorm2 - meanSquare) < 1e-12 * meanSquare);

    // Every Ritz value carrying weight is an eigenvalue (1e-8 relative) ...
    for (Eigen::Index i = 0; i < spectrum.ritzValues.size(); ++i) {
      if (spectrum.ritzWeights(i) < 1e-9) continue;
      const double theta = spectrum.ritzValues(i);
      const double nearest = (dense.eigenvalues().array() - theta).abs().minCoeff();
      SHELLSCOPE_COMPARE_ERROR(nearest / theta, tolerance);
    }
    // ... and the binned energies agree shell by shell.
    RunMetadata meta;
    meta.lanczosSteps = 30;
    meta.shellsPerDecade = 4;
    ShellWindowPolicy policy;
    policy.relativeFloor = 1e-9;
    const Run run = assembleRun(meta, {spectrum}, policy);
    std::vector<double> lambda(dense.eigenvalues().data(), dense.eigenvalues().data() + 12), masses(12);
    for (int u = 0; u < 12; ++u) masses[static_cast<size_t>(u)] = meanSquare * weights(u);
    const ShellEnergies truth = binMasses(run.window, lambda, masses);
    for (int a = 0; a < run.window.shellCount; ++a) {
      SHELLSCOPE_COMPARE_ERROR(std::abs(run.shellEnergyBatches(0, a) - truth.energy[static_cast<size_t>(a)]) / meanSquare,
                               tolerance);
    }
    QVERIFY(std::abs(run.underflow(0) - truth.underflow) < tolerance * meanSquare);
    QVERIFY(run.massIdentityResidual() < 1e-12);
  }

  void polarisationGivesTheCrossEntropyDissipation() {
    // With m >= n the quadratures from e + 1 and e − 1 are exact, and per shell
    // ¼ (Σ θ⁺ m⁺ − Σ θ⁻ m⁻) = Σ_u λ_u (φ_u·e)(φ_u·1)/n, the dense eigendecomposition's.
    auto function = makeBuiltinModel("builtin:tiny-lm", 4);
    auto data = makeBuiltinData(*function, 1, 2, 6, 4);  // n = 12
    function->to(at::kCPU, at::kDouble);
    const Batch batch = data->batch(0, at::kDouble);
    ComputeSettings settings = float64Settings(LanczosMode::Full, JvpMethod::ForwardMode, 30);
    settings.crossDissipation = true;
    const BatchSpectrum spectrum = batchSpectrum(*function, batch, settings, {}, "test");
    QVERIFY(!spectrum.errorPlusOnes.empty() && !spectrum.errorMinusOnes.empty());

    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*function, batch);
    const at::Tensor eTensor = function->errors(function->outputs(function->parameters(), batch).detach(), batch);
    const Eigen::VectorXd e = Eigen::Map<const Eigen::VectorXd>(eTensor.data_ptr<double>(), 12);
    QVERIFY(std::abs(spectrum.errorPlusOnes.norm2 - (e.array() + 1).square().mean()) < 1e-12 * spectrum.errorPlusOnes.norm2);
    QVERIFY(std::abs(spectrum.errorMinusOnes.norm2 - (e.array() - 1).square().mean()) < 1e-12 * spectrum.errorPlusOnes.norm2);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / 12.0);
    const Eigen::VectorXd pe = dense.eigenvectors().transpose() * e;
    const Eigen::VectorXd p1 = dense.eigenvectors().transpose() * Eigen::VectorXd::Ones(12);
    const ShellWindow window{4, -40, 60};  // 1e-10 .. 1e5
    Eigen::VectorXd truth = Eigen::VectorXd::Zero(window.shellCount), polarised = truth;
    double scale = 0;
    for (int u = 0; u < 12; ++u) {
      const double lambda = dense.eigenvalues()(u);
      const int shell = window.locate(lambda);
      scale += std::abs(lambda * pe(u) * p1(u) / 12.0);
      if (shell >= 0 && shell < window.shellCount) truth(shell) += lambda * pe(u) * p1(u) / 12.0;
    }
    for (const auto& [part, sign] : {std::make_pair(&spectrum.errorPlusOnes, 0.25), std::make_pair(&spectrum.errorMinusOnes, -0.25)}) {
      for (Eigen::Index i = 0; i < part->ritzValues.size(); ++i) {
        const int shell = window.locate(part->ritzValues(i));
        if (shell >= 0 && shell < window.shellCount) {
          polarised(shell) += sign * part->ritzValues(i) * part->norm2 * part->ritzWeights(i);
        }
      }
    }
    QVERIFY(scale > 0);
    SHELLSCOPE_COMPARE_ERROR((polarised - truth).cwiseAbs().maxCoeff() / scale, 1e-8);
    // It is not the dissipation of e: Σ λ (φ·e)² differs.
    QVERIFY(std::abs(truth.sum() - (dense.eigenvalues().array() * pe.array().square()).sum() / 12.0) > 1e-3 * scale);
  }

  void quadratureBoundsHoldTheDenseEnergiesForEveryM_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("mode");
    for (const char* model : {"builtin:tiny-lm", "builtin:mlp"}) {
      for (LanczosMode mode : {LanczosMode::Full, LanczosMode::GolubKahan}) {
        QTest::newRow((std::string(model) + " " + toString(mode)).c_str()) << QString(model) << int(mode);
      }
    }
  }
  void quadratureBoundsHoldTheDenseEnergiesForEveryM() {
    QFETCH(QString, model);
    QFETCH(int, mode);
    auto function = makeBuiltinModel(model.toStdString(), 6);
    auto data = makeBuiltinData(*function, 1, 2, 12, 6);  // n = 24 sample points
    function->to(at::kCPU, at::kDouble);
    const Batch batch = data->batch(0, at::kDouble);
    const Eigen::Index n = 24;
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*function, batch);
    const at::Tensor eTensor = function->errors(function->outputs(function->parameters(), batch).detach(), batch);
    const Eigen::VectorXd e = Eigen::Map<const Eigen::VectorXd>(eTensor.data_ptr<double>(), n);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(j * j.transpose() / static_cast<double>(n));
    const double meanSquare = e.squaredNorm() / static_cast<double>(n);
    const Eigen::VectorXd masses =
        (dense.eigenvectors().transpose() * e).array().square() / e.squaredNorm() * meanSquare;
    double widthAtFour = 0, widthAtEnd = 0;
    for (int m = 1; m <= n + 2; ++m) {
      const BatchSpectrum spectrum =
          batchSpectrum(*function, batch, float64Settings(static_cast<LanczosMode>(mode), JvpMethod::ForwardMode, m), {}, "test");
      RunMetadata meta;
      meta.lanczosSteps = m;
      meta.shellsPerDecade = 4;
      ShellWindowPolicy policy;
      policy.lambdaMin = 1e-9;  // the same window for every m
      policy.lambdaMax = 1e3;
      const Run run = assembleRun(meta, {spectrum}, policy);
      QVERIFY(run.hasQuadratureBounds());
      std::vector<double> lambda(dense.eigenvalues().data(), dense.eigenvalues().data() + n);
      const ShellEnergies truth =
          binMasses(run.window, lambda, std::vector<double>(masses.data(), masses.data() + n));
      double width = 0;
      for (int a = 0; a < run.window.shellCount; ++a) {
        const double exact = truth.energy[static_cast<size_t>(a)], slack = 1e-9 * meanSquare;
        QVERIFY2(run.shellEnergyLower(a) <= exact + slack && exact <= run.shellEnergyUpper(a) + slack,
                 qPrintable(QString("m=%1 shell %2: [%3, %4], dense %5").arg(m).arg(a).arg(run.shellEnergyLower(a))
                                .arg(run.shellEnergyUpper(a)).arg(exact)));
        width = std::max(width, (run.shellEnergyUpper(a) - run.shellEnergyLower(a)) / meanSquare);
      }
      if (m == 4) widthAtFour = width;
      if (m == n + 2) widthAtEnd = width;
    }
    QVERIFY(widthAtFour > 1e-3);           // few steps: wide bounds
    SHELLSCOPE_COMPARE_ERROR(widthAtEnd, 1e-8);  // the Krylov space exhausted: the exact energies
  }

  void adaptiveMStopsWhenTheShellsAreResolved() {
    // tiny-lm, n = 128 in float64: each batch runs from 16 steps until its shells' bounds are
    // within 10% (the cap not reached), the steps vary per batch and are recorded, and the run's
    // bounds then hold every covered shell that tightly.
    ComputeSettings settings = float64Settings(LanczosMode::Full, JvpMethod::ForwardMode, 16);
    settings.models = {"builtin:tiny-lm"};
    settings.batches = 3;
    settings.batchSize = 2;
    settings.seqLen = 64;
    settings.adaptiveTolerance = 0.1;
    settings.threads = 1;
    ProgressToken progress;
    const Run run = computeRuns(settings, progress).front();
    QCOMPARE(run.meta.adaptiveTolerance, 0.1);
    QCOMPARE(run.meta.lanczosMaxSteps, std::int64_t(128));  // 8 x 16
    for (std::int64_t steps : run.stepsTaken) {
      QVERIFY2(steps >= 16 && steps < 128, qPrintable(QString("a batch took %1 steps").arg(steps)));
    }
    QVERIFY(run.hasQuadratureBounds());
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      for (Eigen::Index a = 0; a < run.shellCount(); ++a) {
        const double upper = run.shellEnergyUpperBatches(b, a), lower = run.shellEnergyLowerBatches(b, a);
        if (upper < 0.01 * run.errorNorm2(b)) continue;
        const double scale = std::max(run.shellEnergyBatches(b, a), 0.01 * run.errorNorm2(b));
        QVERIFY2(upper - lower <= 0.1 * scale * (1 + 1e-9),
                 qPrintable(QString("batch %1 shell %2: [%3, %4], E %5").arg(b).arg(a).arg(lower).arg(upper)
                                .arg(run.shellEnergyBatches(b, a))));
      }
    }
    QVERIFY(QString::fromStdString(run.lanczosStepsText()).startsWith("adaptive m (tolerance 0.1): "));
    // Without adaptive m the same settings take exactly 16 steps and leave shells unresolved.
    settings.adaptiveTolerance = 0;
    const Run fixed = computeRuns(settings, progress).front();
    for (std::int64_t steps : fixed.stepsTaken) QCOMPARE(steps, std::int64_t(16));
    const std::vector<bool> unresolved = fixed.unconvergedShells();
    QVERIFY(std::count(unresolved.begin(), unresolved.end(), true) > 0);
    const std::vector<bool> resolved = run.unconvergedShells();
    QCOMPARE(std::count(resolved.begin(), resolved.end(), true), 0);
  }

  void computeRunsFillsEveryField() {
    ComputeSettings settings;
    settings.models = {"builtin:mlp", "builtin:tiny-lm"};
    settings.batches = 3;
    settings.batchSize = 2;
    settings.seqLen = 16;
    settings.lanczosSteps = 12;
    settings.threads = 1;
    settings.device = DevicePreference::Cpu;
    std::vector<double> fractions;
    ProgressToken progress([&](const ProgressEvent& e) { fractions.push_back(e.fraction); });
    const std::vector<Run> runs = computeRuns(settings, progress);
    QCOMPARE(runs.size(), size_t(2));
    QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
    QCOMPARE(fractions.back(), 1.0);
    const Run& mlp = runs[0];
    QCOMPARE(mlp.meta.modelName, std::string("mlp"));
    QCOMPARE(mlp.meta.checkpoint, std::string("builtin:mlp"));
    QCOMPARE(mlp.meta.step, std::int64_t(-1));
    QCOMPARE(mlp.meta.observable, std::string("mse"));
    QCOMPARE(runs[1].meta.observable, std::string("lm-logprob"));
    QCOMPARE(mlp.meta.nParams, std::int64_t(1377));
    QCOMPARE(mlp.meta.dtype, std::string("float32"));
    QCOMPARE(mlp.meta.device, std::string("cpu"));  // the settings ask for the CPU (below)
    QCOMPARE(mlp.meta.lanczosMode, std::string("full"));
    QCOMPARE(mlp.meta.jvpMethod, std::string("forward"));
    QCOMPARE(mlp.batchCount(), Eigen::Index(3));
    QCOMPARE(mlp.ritzValues.cols(), Eigen::Index(12));
    QCOMPARE(mlp.nTokens, (std::vector<std::int64_t>{32, 32, 32}));
    for (const Run& run : runs) {
      QVERIFY(run.massIdentityResidual() < 1e-12);
      QVERIFY(run.peakShell() >= 0);
      QVERIFY(run.orthogonalityLoss.maxCoeff() < 1e-10);
      for (auto steps : run.stepsTaken) QVERIFY(steps >= 1 && steps <= 12);
    }
    // LM loss = mean of -log q over the batch: positive, near log(64) at initialisation.
    QVERIFY(std::abs(runs[1].loss.mean() - std::log(64.0)) < 0.2);
  }

  void workItemsAreIndependent() {
    // The same item computed alone, in another order, or as part of the run gives the same numbers.
    ComputeSettings settings = float64Settings(LanczosMode::Full, JvpMethod::ForwardMode, 10);
    settings.models = {"builtin:tiny-lm"};
    settings.batches = 3;
    settings.batchSize = 1;
    settings.seqLen = 8;
    CheckpointComputation checkpoint(settings, "builtin:tiny-lm");
    const BatchSpectrum late = checkpoint.computeBatch(2);
    const BatchSpectrum early = checkpoint.computeBatch(0);
    CheckpointComputation fresh(settings, "builtin:tiny-lm");
    const BatchSpectrum alone = fresh.computeBatch(2);
    QVERIFY(late.ritzValues.isApprox(alone.ritzValues, 1e-12));
    QVERIFY(late.ritzWeights.isApprox(alone.ritzWeights, 1e-12));
    QCOMPARE(late.errorNorm2, alone.errorNorm2);
    QVERIFY(early.errorNorm2 != late.errorNorm2);
    const Run merged = assembleRun(checkpoint.metadata(), {late, early, fresh.computeBatch(1)}, ShellWindowPolicy{});
    QCOMPARE(merged.batchIndex, (std::vector<std::int64_t>{0, 1, 2}));
  }

  void cancellationStopsTheRun() {
    ComputeSettings settings;
    settings.models = {"builtin:tiny-lm"};
    settings.batches = 4;
    settings.lanczosSteps = 20;
    int events = 0;
    ProgressToken* self = nullptr;
    // Unthrottled, so that the fifth report comes however fast the machine is.
    ProgressToken progress(
        [&](const ProgressEvent&) {
          if (++events == 5) self->cancel();
        },
        0.0);
    self = &progress;
    QVERIFY_THROWS_EXCEPTION(CancelledError, computeRuns(settings, progress));
    QCOMPARE(events, 5);
  }

  void nanLogitsAreReportedClearly() {
    auto model = GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(), 1);
    auto data = makeBuiltinData(*model, 1, 1, 4, 1);
    std::vector<at::Tensor> params = model->parameters();
    {
      at::NoGradGuard noGrad;
      params.back().fill_(std::numeric_limits<float>::quiet_NaN());  // embed_out
    }
    const QString message = messageOf([&] {
      batchSpectrum(*model, data->batch(0, at::kFloat), ComputeSettings{}, {}, "pythia-70m/step1000");
    });
    QVERIFY2(message.contains("pythia-70m/step1000, batch 0: the model's outputs are not finite"), qPrintable(message));
  }

  void badSettingsAreRejected() {
    ComputeSettings settings;
    settings.models = {"builtin:nope"};
    QVERIFY(messageOf([&] { CheckpointComputation(settings, "builtin:nope"); }).contains("unknown built-in model"));
    QVERIFY(messageOf([&] { CheckpointComputation(settings, "/data/pythia-70m"); })
                .contains("/data/pythia-70m: no such file or folder"));
    settings.data = "pile.bin";
    QVERIFY(messageOf([&] { CheckpointComputation(settings, "builtin:tiny-lm"); }).contains("pile.bin: no such file"));
    settings.data.clear();
    settings.lanczosSteps = 0;
    // Core names the setting by its key; the CLI and the GUI add their own spelling.
    QVERIFY(messageOf([&] { settings.validate(); }).contains("lanczos_steps must be at least 1"));
    try {
      settings.validate();
      QFAIL("lanczos_steps 0 was accepted");
    } catch (const SettingError& e) {
      QCOMPARE(e.setting(), std::string("lanczos_steps"));
    }
    settings.lanczosSteps = 8;
    settings.adaptiveTolerance = 0.1;
    settings.lanczosMode = LanczosMode::Plain;
    QVERIFY(messageOf([&] { settings.validate(); }).contains("adaptive_tolerance needs full re-orthogonalisation"));
    settings.lanczosMode = LanczosMode::Full;
    settings.lanczosMaxSteps = 4;
    QVERIFY(messageOf([&] { settings.validate(); }).contains("lanczos_max_steps must be at least lanczos_steps (8)"));
    settings.lanczosMaxSteps = 0;
    settings.adaptiveTolerance = -1;
    QVERIFY(messageOf([&] { settings.validate(); }).contains("adaptive_tolerance must be 0"));
    settings.adaptiveTolerance = 0;
    if (!at::hasCUDA()) {
      settings.device = DevicePreference::Cuda;
      QVERIFY(messageOf([&] { CheckpointComputation(settings, "builtin:tiny-lm"); }).contains("no CUDA"));
    }
    QVERIFY(messageOf([] { parseJvpMethod("reverse"); }).contains("forward, forward-ad or double-backward"));
  }
  void bfloat16ModelKeepsFloat64Lanczos() {
    // A bfloat16 model on the CPU (CUDA: cuda_matches_cpu) against float64: the loss and the leading
    // Ritz value within bfloat16's rounding, the quadrature float64, both dtypes stated.
    ComputeSettings settings = float64Settings(LanczosMode::Full, JvpMethod::ForwardMode, 12);
    settings.models = {"builtin:tiny-lm"};
    settings.batches = 1;
    settings.batchSize = 2;
    settings.seqLen = 16;
    settings.device = DevicePreference::Cpu;
    const BatchSpectrum exact = CheckpointComputation(settings, "builtin:tiny-lm").computeBatch(0);
    settings.dtype = ComputeDType::BFloat16;
    CheckpointComputation half(settings, "builtin:tiny-lm");
    QCOMPARE(half.metadata().dtype, std::string("bfloat16"));
    QCOMPARE(half.metadata().vectorDtype, std::string("float64"));
    const BatchSpectrum spectrum = half.computeBatch(0);
    const std::string problem = test::halfPrecisionDisagreement(spectrum, exact, ComputeDType::BFloat16);
    QVERIFY2(problem.empty(), problem.c_str());
    QVERIFY(spectrum.loss != exact.loss);  // it did compute in bfloat16
    settings.dtype = ComputeDType::Float16;
    const QString message = messageOf([&] { CheckpointComputation(settings, "builtin:tiny-lm"); });
    QVERIFY2(message.contains("dtype float16 needs --device cuda"), qPrintable(message));
  }
  // CUDA against the CPU: tests/core/engine/cuda_matches_cpu.cpp (runs in the Qt-free build too).
};

QTEST_APPLESS_MAIN(TestCompute)
#include "test_compute.moc"

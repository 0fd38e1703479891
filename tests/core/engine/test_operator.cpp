// The operator M u = (1/n) J (J^T u) against an explicitly formed J on small models: both
// observables, both JVP methods, and the factored form used by Golub-Kahan. The explicit J is
// itself checked against finite differences, so the ground truth does not rest on autograd alone.
// The held-out loss rate per Ritz value (batchSpectrum with a held-out batch) against the exact
// split −(e'ᵀJ'Jᵀφ_u)(φ_u·e)/(n n') from explicit Jacobians and a dense eigendecomposition.
#include <Eigen/Eigenvalues>

#include "models/builtin_models.h"
#include "operator/batch_spectrum.h"
#include "operator/linearization.h"
#include "operator/operators.h"
#include "jacobian_support.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::engine;
using shellscope::test::randomVector;

namespace {

struct Case {
  std::unique_ptr<ModelFunction> model;
  Batch batch;
};

Case makeCase(const QString& name, at::ScalarType dtype) {
  Case c;
  if (name == "mlp") {
    c.model = makeBuiltinModel("builtin:mlp", 5);
  } else {
    const bool parallel = name != "lm-sequential";
    const bool bias = name != "lm-no-bias";
    c.model = GptNeoxModel::randomlyInitialised(shellscope::test::microLmConfig(parallel, bias), 5);
  }
  auto data = makeBuiltinData(*c.model, 1, 2, 5, 9);
  c.model->to(at::kCPU, dtype);
  c.batch = data->batch(0, dtype);
  return c;
}

}  // namespace

class TestOperator : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void explicitJacobianMatchesFiniteDifferences_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mlp", "lm-parallel", "lm-sequential", "lm-no-bias"}) QTest::newRow(m) << QString(m);
  }
  void explicitJacobianMatchesFiniteDifferences() {
    QFETCH(QString, model);
    const Case c = makeCase(model, at::kDouble);
    const Eigen::MatrixXd rows = shellscope::test::jacobianByRows(*c.model, c.batch);
    const Eigen::MatrixXd fd = shellscope::test::jacobianByFiniteDifferences(*c.model, c.batch);
    const double error = (rows - fd).cwiseAbs().maxCoeff() / fd.cwiseAbs().maxCoeff();
    SHELLSCOPE_COMPARE_ERROR(error, 1e-7);
  }

  void productMatchesExplicitJacobian_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("method");
    for (const char* m : {"mlp", "lm-parallel", "lm-sequential", "lm-no-bias"}) {
      for (JvpMethod method : {JvpMethod::ForwardMode, JvpMethod::ForwardAD, JvpMethod::DoubleBackward}) {
        QTest::newRow((std::string(m) + " " + toString(method)).c_str()) << QString(m) << int(method);
      }
    }
  }
  void productMatchesExplicitJacobian() {
    QFETCH(QString, model);
    QFETCH(int, method);
    const Case c = makeCase(model, at::kDouble);
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*c.model, c.batch);
    const double n = double(j.rows());
    BatchLinearization lin(*c.model, c.batch, static_cast<JvpMethod>(method));
    FunctionSpaceOperator op(lin);
    QCOMPARE(op.size(), j.rows());
    for (unsigned seed : {1u, 2u, 3u}) {
      const Eigen::VectorXd u = randomVector(j.rows(), seed);
      Eigen::VectorXd out(u.size());
      op.apply(u, out);
      const Eigen::VectorXd truth = j * (j.transpose() * u) / n;
      SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(out, truth), 1e-10);
    }
    // The VJP and JVP separately.
    const Eigen::VectorXd u = randomVector(j.rows(), 4);
    const std::vector<at::Tensor> g = lin.vjp(toTensor(u, lin.outputs().options()));
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(shellscope::test::flatten(g), j.transpose() * u), 1e-12);
    const Eigen::VectorXd tangent = randomVector(j.cols(), 5);
    std::vector<at::Tensor> tangentTensors;
    Eigen::Index offset = 0;
    for (const auto& p : c.model->parameters()) {
      tangentTensors.push_back(toTensor(tangent.segment(offset, p.numel()), p.options()).view(p.sizes()));
      offset += p.numel();
    }
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(toEigen(lin.jvp(tangentTensors)), j * tangent), 1e-12);
  }

  void outputLayerSplitIsExact() {
    // J J^T = K + J_b J_b^T: K against the explicit output-layer columns, the rest against the body's.
    const Case c = makeCase("lm-sequential", at::kDouble);
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*c.model, c.batch);
    const Eigen::Index outputColumns = c.model->parameters().back().numel();  // embed_out is last
    const Eigen::MatrixXd jw = j.rightCols(outputColumns);
    const Eigen::MatrixXd jb = j.leftCols(j.cols() - outputColumns);
    auto lin = c.model->linearize(c.batch);
    const at::Tensor k = lin->fixedBlock().contiguous();
    QVERIFY(k.defined());
    const Eigen::MatrixXd block = Eigen::Map<const Eigen::MatrixXd>(k.data_ptr<double>(), k.size(0), k.size(1));
    const Eigen::MatrixXd truth = jw * jw.transpose();
    SHELLSCOPE_COMPARE_ERROR((block - truth).cwiseAbs().maxCoeff() / truth.cwiseAbs().maxCoeff(), 1e-12);
    const Eigen::VectorXd u = randomVector(j.rows(), 13);
    const Eigen::VectorXd rest = toEigen(lin->restProduct(toTensor(u, at::TensorOptions().dtype(at::kDouble))));
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(rest, jb * (jb.transpose() * u)), 1e-12);
  }

  void errorsFollowTheObservable() {
    const Case lm = makeCase("lm-parallel", at::kDouble);
    BatchLinearization lmLin(*lm.model, lm.batch, JvpMethod::ForwardMode);
    QVERIFY(at::allclose(lmLin.errors(), -lmLin.outputs()));
    QVERIFY(lmLin.errors().min().item<double>() > 0.0);  // -log q > 0
    const Case mlp = makeCase("mlp", at::kDouble);
    BatchLinearization mlpLin(*mlp.model, mlp.batch, JvpMethod::ForwardMode);
    QVERIFY(at::allclose(mlpLin.errors(), mlp.batch.targets - mlpLin.outputs()));
  }

  void factoredOperatorMatchesScaledJacobian() {
    const Case c = makeCase("lm-parallel", at::kDouble);
    const Eigen::MatrixXd a = shellscope::test::jacobianByRows(*c.model, c.batch) / std::sqrt(10.0);
    BatchLinearization lin(*c.model, c.batch, JvpMethod::ForwardMode);
    ScaledJacobianOperator op(lin);
    const Eigen::VectorXd u1 = randomVector(10, 7), u2 = randomVector(10, 8);
    // α1 v1 = A^T u1; then α2 v2 = A^T u2 - β v1.
    const double alpha1 = op.advanceRight(u1, 0.0);
    const Eigen::VectorXd v1 = a.transpose() * u1 / (a.transpose() * u1).norm();
    SHELLSCOPE_COMPARE_ERROR(std::abs(alpha1 - (a.transpose() * u1).norm()) / alpha1, 1e-12);
    Eigen::VectorXd out(10);
    op.applyToRight(out);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(out, a * v1), 1e-12);
    const double beta = 0.3;
    const double alpha2 = op.advanceRight(u2, beta);
    const Eigen::VectorXd w = a.transpose() * u2 - beta * v1;
    SHELLSCOPE_COMPARE_ERROR(std::abs(alpha2 - w.norm()) / w.norm(), 1e-12);
    op.applyToRight(out);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(out, a * w / w.norm()), 1e-12);
  }

  void float32AgreesWithFloat64ToSinglePrecision() {
    const Case c64 = makeCase("lm-parallel", at::kDouble);
    const Case c32 = makeCase("lm-parallel", at::kFloat);
    BatchLinearization lin64(*c64.model, c64.batch, JvpMethod::ForwardMode);
    BatchLinearization lin32(*c32.model, c32.batch, JvpMethod::ForwardMode);
    FunctionSpaceOperator op64(lin64), op32(lin32);
    const Eigen::VectorXd u = randomVector(10, 11);
    Eigen::VectorXd out64(10), out32(10);
    op64.apply(u, out64);
    op32.apply(u, out32);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(out32, out64), 1e-4);
  }

  void modelsProvideTheirOwnTangentPass() {
    // ForwardMode must use the hand-written tangent pass, not silently fall back to dual numbers.
    for (const char* name : {"mlp", "lm-parallel"}) {
      const Case c = makeCase(name, at::kDouble);
      QVERIFY(c.model->linearize(c.batch) != nullptr);
    }
  }

  void heldOutRatesMatchTheExplicitJacobians_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("crossEntropy");
    for (const char* name : {"mlp", "lm-parallel"}) {
      for (const bool ce : {false, true}) {
        const QString objective = ce ? " cross-entropy" : " mse";
        QTest::newRow((QString(name) + " full" + objective).toUtf8()) << QString(name) << static_cast<int>(LanczosMode::Full) << ce;
        QTest::newRow((QString(name) + " golub-kahan" + objective).toUtf8())
            << QString(name) << static_cast<int>(LanczosMode::GolubKahan) << ce;
      }
    }
  }

  void heldOutRatesMatchTheExplicitJacobians() {
    // mse flow: R from e with w' = e'; cross-entropy flow (--held-out-cross-entropy): from 1, w' = 1.
    QFETCH(QString, name);
    QFETCH(int, mode);
    QFETCH(bool, crossEntropy);
    Case c = makeCase(name, at::kDouble);
    auto data = makeBuiltinData(*c.model, 2, 2, 5, 9);
    const Batch held = data->batch(1, at::kDouble);
    const Eigen::MatrixXd j = shellscope::test::jacobianByRows(*c.model, c.batch);
    const Eigen::MatrixXd jHeld = shellscope::test::jacobianByRows(*c.model, held);
    const Eigen::Index n = j.rows(), nHeld = jHeld.rows();
    BatchLinearization trainLin(*c.model, c.batch, JvpMethod::ForwardMode), heldLin(*c.model, held, JvpMethod::ForwardMode);
    const Eigen::VectorXd errors = toEigen(trainLin.errors()), heldErrors = toEigen(heldLin.errors());
    const Eigen::VectorXd e = crossEntropy ? Eigen::VectorXd::Ones(n) : errors;
    const Eigen::VectorXd eHeld = crossEntropy ? Eigen::VectorXd::Ones(nHeld) : heldErrors;
    const double scale = -1.0 / (static_cast<double>(n) * static_cast<double>(nHeld));
    const double direct = scale * (jHeld.transpose() * eHeld).dot(j.transpose() * e);
    // Exact split over the eigenpairs of M = J Jᵀ/n.
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(j * j.transpose() / static_cast<double>(n));
    const Eigen::MatrixXd phi = solver.eigenvectors();
    const Eigen::VectorXd exact =
        scale * (phi.transpose() * (jHeld * j.transpose()).transpose() * eHeld).cwiseProduct(phi.transpose() * e);

    ComputeSettings settings;
    settings.lanczosMode = static_cast<LanczosMode>(mode);
    settings.lanczosSteps = static_cast<int>(n);
    settings.lanczosTolerance = 1e-14;
    settings.dtype = ComputeDType::Float64;
    settings.heldOutCrossEntropy = crossEntropy;
    const BatchSpectrum s = batchSpectrum(*c.model, c.batch, settings, {}, "test", &held);
    QVERIFY(!s.heldOut.empty());
    QCOMPARE(s.heldOut.nTokens, static_cast<std::int64_t>(nHeld));
    QCOMPARE(s.heldOut.ritzRates.size(), s.ritzValues.size());
    QCOMPARE(s.heldOut.crossEntropy.empty(), !crossEntropy);
    const Eigen::VectorXd& ritzValues = crossEntropy ? s.heldOut.crossEntropy.ritzValues : s.ritzValues;
    const Eigen::VectorXd& rates = crossEntropy ? s.heldOut.crossEntropyRitzRates : s.heldOut.ritzRates;
    const double stored = crossEntropy ? s.heldOut.crossEntropyRateDirect : s.heldOut.rateDirect;
    QCOMPARE(rates.size(), ritzValues.size());
    // Σ_j R_j = −w'ᵀJ'Jᵀw/(n n') to rounding, and the stored direct rate is the same number.
    QVERIFY2(std::abs(rates.sum() - direct) <= 1e-10 * std::abs(direct),
             qPrintable(QString("sum %1 direct %2").arg(rates.sum(), 0, 'g', 17).arg(direct, 0, 'g', 17)));
    QVERIFY(std::abs(stored - direct) <= 1e-10 * std::abs(direct));
    // With m = n the split is exact: cumulative sums below every gap in the spectrum agree.
    const double total = exact.cwiseAbs().sum();
    const Eigen::VectorXd& lambda = solver.eigenvalues();
    int gaps = 0;
    for (Eigen::Index u = 0; u + 1 < n; ++u) {
      if (!(lambda(u + 1) > 1.05 * lambda(u) && lambda(u) > 1e-10 * lambda(n - 1))) continue;
      const double threshold = std::sqrt(lambda(u) * lambda(u + 1));
      double below = 0, belowLanczos = 0;
      for (Eigen::Index v = 0; v < n; ++v) below += lambda(v) < threshold ? exact(v) : 0.0;
      for (Eigen::Index k = 0; k < ritzValues.size(); ++k) belowLanczos += ritzValues(k) < threshold ? rates(k) : 0.0;
      QVERIFY2(std::abs(below - belowLanczos) <= 1e-8 * total,
               qPrintable(QString("below %1: exact %2, Lanczos %3").arg(threshold).arg(below).arg(belowLanczos)));
      ++gaps;
    }
    QVERIFY(gaps >= 3);
    // The held-out batch's own quadrature is the spectrum of M' from e' (for either objective).
    QCOMPARE(s.heldOut.spectrum.norm2, heldErrors.squaredNorm() / static_cast<double>(nHeld));
    QVERIFY(std::abs(s.heldOut.spectrum.ritzWeights.sum() - 1.0) < 1e-12);
  }

  void heldOutEqualToTrainingGivesMinusTheDissipation() {
    // Held-out points = training points: z = n M e, and R_j = −θ_j mean(e²) w_j (−D per Ritz
    // value, every one ≤ 0) at any m, since Vᵀ M e = ‖e‖ T e₁ in the Krylov space.
    Case c = makeCase("lm-parallel", at::kDouble);
    ComputeSettings settings;
    settings.lanczosSteps = 6;
    settings.dtype = ComputeDType::Float64;
    const BatchSpectrum s = batchSpectrum(*c.model, c.batch, settings, {}, "test", &c.batch);
    const Eigen::VectorXd dissipation = s.ritzValues.cwiseProduct(s.ritzWeights) * s.errorNorm2;
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(s.heldOut.ritzRates, -dissipation), 1e-10);
    QVERIFY(s.heldOut.ritzRates.maxCoeff() <= 1e-14 * dissipation.cwiseAbs().maxCoeff());
    // The cross-entropy split likewise: R_j = −θ_j w_j of the quadrature from 1 (mean(1²) = 1).
    settings.heldOutCrossEntropy = true;
    const BatchSpectrum ce = batchSpectrum(*c.model, c.batch, settings, {}, "test", &c.batch);
    const Eigen::VectorXd ceDissipation = ce.heldOut.crossEntropy.ritzValues.cwiseProduct(ce.heldOut.crossEntropy.ritzWeights);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(ce.heldOut.crossEntropyRitzRates, -ceDissipation), 1e-10);
    QCOMPARE(ce.heldOut.crossEntropy.norm2, 1.0);
    // and the mse side does not depend on whether the cross-entropy split was asked for.
    QVERIFY(ce.heldOut.ritzRates == s.heldOut.ritzRates);
  }

  void allJvpMethodsAgreeOnTheBuiltinLm() {
    // The full-size tiny LM (P ~ 30k): the JVP methods against each other, in float64.
    auto model = makeBuiltinModel("builtin:tiny-lm", 1);
    auto data = makeBuiltinData(*model, 1, 2, 16, 1);
    model->to(at::kCPU, at::kDouble);
    const Batch batch = data->batch(0, at::kDouble);
    BatchLinearization forward(*model, batch, JvpMethod::ForwardMode);
    BatchLinearization dual(*model, batch, JvpMethod::ForwardAD);
    BatchLinearization backward(*model, batch, JvpMethod::DoubleBackward);
    FunctionSpaceOperator a(forward), b(dual), c(backward);
    const Eigen::VectorXd u = randomVector(32, 12);
    Eigen::VectorXd outA(32), outB(32), outC(32);
    a.apply(u, outA);
    b.apply(u, outB);
    c.apply(u, outC);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(outA, outB), 1e-11);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(outC, outB), 1e-11);
  }
};

QTEST_APPLESS_MAIN(TestOperator)
#include "test_operator.moc"

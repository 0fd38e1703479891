// Lanczos quadrature against independent ground truth: dense eigendecompositions (Ritz values and
// weights with m >= n), closed-form diagonal cases, and the loss of orthogonality of the plain
// recurrence that full re-orthogonalisation removes; the bilinear quadrature of a probe vector.
#include <Eigen/Eigenvalues>
#include <map>

#include "dense_operators.h"
#include "shellscope/spectral/lanczos.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::randomOrthogonal;
using shellscope::test::randomVector;

class TestLanczos : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void fullModeMatchesDenseEigendecomposition_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<double>("lowDecade");
    QTest::addColumn<double>("highDecade");
    QTest::newRow("n=12, 3 decades") << 12 << -1.0 << 2.0;
    QTest::newRow("n=40, 6 decades") << 40 << -4.0 << 2.0;
    QTest::newRow("n=80, 4 decades") << 80 << -2.0 << 2.0;
  }
  void fullModeMatchesDenseEigendecomposition() {
    QFETCH(int, n);
    QFETCH(double, lowDecade);
    QFETCH(double, highDecade);
    const DenseProblem p = spreadSpectrum(n, lowDecade, highDecade, 11u + n);
    const Eigen::VectorXd e = randomVector(n, 5u + n);
    DenseOperator op(p.matrix());
    LanczosOptions options;
    options.mode = LanczosMode::Full;
    options.maxSteps = n + 10;  // m >= n: the quadrature is exact
    const LanczosResult r = lanczos(op, e, options);

    QVERIFY(r.status == LanczosStatus::BrokeDown);
    QCOMPARE(r.stepsTaken, n);  // invariant subspace reached after n steps, recorded
    QCOMPARE(op.products, n);
    QVERIFY(r.orthogonalityLoss < 1e-12);
    // Ritz values = eigenvalues, each to 1e-8 relative (ascending on both sides).
    for (Eigen::Index i = 0; i < n; ++i) {
      SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzValues(i) - p.lambda(i)) / p.lambda(i), 1e-8);
    }
    // Gauss weights = squared projections of e on the eigenvectors.
    const Eigen::VectorXd truth = p.weights(e);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(r.ritzWeights, truth), 1e-8);
    QVERIFY(std::abs(r.ritzWeights.sum() - 1.0) < 1e-13);
  }

  void golubKahanMatchesDenseSingularValues() {
    // A is n x p with p > n (as J is): M = A A^T.
    const Eigen::Index n = 30, pCols = 70;
    const Eigen::MatrixXd u = randomOrthogonal(n, 3);
    const Eigen::MatrixXd v = randomOrthogonal(pCols, 4).leftCols(n);
    Eigen::VectorXd sigma(n);
    for (Eigen::Index i = 0; i < n; ++i) sigma(i) = std::pow(10.0, -3.0 + 4.0 * double(i) / double(n - 1));
    const Eigen::MatrixXd a = u * sigma.asDiagonal() * v.transpose();
    const Eigen::VectorXd e = randomVector(n, 9);

    DenseFactoredOperator op(a);
    LanczosOptions options;
    options.mode = LanczosMode::GolubKahan;
    options.maxSteps = n + 5;
    const LanczosResult r = golubKahan(op, e, options);
    QCOMPARE(r.stepsTaken, int(n));
    QVERIFY(r.status == LanczosStatus::BrokeDown);
    const Eigen::VectorXd lambda = sigma.array().square();
    for (Eigen::Index i = 0; i < n; ++i) {
      SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzValues(i) - lambda(i)) / lambda(i), 1e-8);
    }
    const Eigen::VectorXd truth = (u.transpose() * e).array().square() / e.squaredNorm();
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(r.ritzWeights, truth), 1e-8);

    // The same spectrum through the symmetric operator and full Lanczos.
    DenseOperator symmetric(a * a.transpose());
    options.mode = LanczosMode::Full;
    const LanczosResult full = lanczos(symmetric, e, options);
    SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(full.ritzValues, r.ritzValues), 1e-8);
  }

  void golubKahanResolvesSmallEigenvaluesBetter() {
    // σ down to 1e-7: λ = σ² = 1e-14 is below the rounding level of M itself (||M|| = 1), but
    // the bidiagonal keeps it, because it works with σ.
    const Eigen::Index n = 20;
    const Eigen::MatrixXd u = randomOrthogonal(n, 21);
    Eigen::VectorXd sigma(n);
    for (Eigen::Index i = 0; i < n; ++i) sigma(i) = std::pow(10.0, -7.0 + 7.0 * double(i) / double(n - 1));
    const Eigen::MatrixXd a = u * sigma.asDiagonal();
    const Eigen::VectorXd e = randomVector(n, 22);
    DenseFactoredOperator op(a);
    LanczosOptions options;
    options.mode = LanczosMode::GolubKahan;
    options.maxSteps = n;
    options.relativeTolerance = 0.0;
    const LanczosResult r = golubKahan(op, e, options);
    QCOMPARE(r.stepsTaken, int(n));
    SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzValues(0) - 1e-14) / 1e-14, 1e-3);
  }

  void closedFormDiagonalWithRepeatedEigenvalues_data() {
    QTest::addColumn<int>("mode");
    QTest::newRow("full") << int(LanczosMode::Full);
    QTest::newRow("plain") << int(LanczosMode::Plain);
    QTest::newRow("golub-kahan") << int(LanczosMode::GolubKahan);
  }
  void closedFormDiagonalWithRepeatedEigenvalues() {
    // Four distinct eigenvalues, each repeated: Lanczos breaks down after exactly 4 steps and the
    // weights are the sums of e_i^2 over each eigenvalue's coordinates.
    QFETCH(int, mode);
    const std::vector<double> distinct{1e-3, 0.02, 0.5, 7.0};
    const Eigen::Index n = 24;
    Eigen::VectorXd diag(n);
    for (Eigen::Index i = 0; i < n; ++i) diag(i) = distinct[static_cast<size_t>(i % 4)];
    const Eigen::VectorXd e = randomVector(n, 31);
    std::map<double, double> truth;
    for (Eigen::Index i = 0; i < n; ++i) truth[diag(i)] += e(i) * e(i) / e.squaredNorm();

    LanczosOptions options;
    options.mode = static_cast<LanczosMode>(mode);
    options.maxSteps = 20;
    LanczosResult r;
    if (options.mode == LanczosMode::GolubKahan) {
      DenseFactoredOperator op(Eigen::MatrixXd(diag.cwiseSqrt().asDiagonal()));
      r = golubKahan(op, e, options);
    } else {
      DenseOperator op(Eigen::MatrixXd(diag.asDiagonal()));
      r = lanczos(op, e, options);
    }
    QVERIFY(r.status == LanczosStatus::BrokeDown);
    QCOMPARE(r.stepsTaken, 4);
    int i = 0;
    for (const auto& [lambda, weight] : truth) {
      SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzValues(i) - lambda) / lambda, 1e-10);
      SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzWeights(i) - weight) / weight, 1e-10);
      ++i;
    }
  }

  void nullSpaceMassIsAZeroRitzValue() {
    // M = diag(0, 0, 2, 3): the part of e in the null space appears as a Ritz value 0.
    Eigen::VectorXd diag(4);
    diag << 0.0, 0.0, 2.0, 3.0;
    Eigen::VectorXd e(4);
    e << 1.0, 1.0, 1.0, 1.0;
    DenseOperator op(Eigen::MatrixXd(diag.asDiagonal()));
    LanczosOptions options;
    options.maxSteps = 10;
    const LanczosResult r = lanczos(op, e, options);
    QCOMPARE(r.stepsTaken, 3);
    QVERIFY(std::abs(r.ritzValues(0)) < 1e-14);
    QVERIFY(std::abs(r.ritzWeights(0) - 0.5) < 1e-14);
  }

  void plainRecurrenceLosesOrthogonalityAndFullModeKeepsIt() {
    // A well-separated top eigenvalue converges within a few steps; the plain three-term
    // recurrence then loses orthogonality and produces spurious copies of it ("ghosts"), splitting
    // its weight. Full re-orthogonalisation keeps one copy with the right weight.
    const Eigen::Index n = 200;
    Eigen::VectorXd diag(n);
    for (Eigen::Index i = 0; i < n - 1; ++i) diag(i) = double(i + 1) / double(n);
    diag(n - 1) = 100.0;
    const Eigen::VectorXd e = Eigen::VectorXd::Ones(n);
    const double topWeight = 1.0 / double(n);

    auto copiesOfTop = [](const LanczosResult& r) {
      int copies = 0;
      double weight = 0;
      for (Eigen::Index i = 0; i < r.ritzValues.size(); ++i) {
        if (std::abs(r.ritzValues(i) - 100.0) < 1e-6) {
          ++copies;
          weight += r.ritzWeights(i);
        }
      }
      return std::make_pair(copies, weight);
    };

    LanczosOptions options;
    options.maxSteps = 120;
    options.relativeTolerance = 0.0;
    options.mode = LanczosMode::Plain;
    DenseOperator plainOp(Eigen::MatrixXd(diag.asDiagonal()));
    const LanczosResult plain = lanczos(plainOp, e, options);
    options.mode = LanczosMode::Full;
    DenseOperator fullOp(Eigen::MatrixXd(diag.asDiagonal()));
    const LanczosResult full = lanczos(fullOp, e, options);

    const auto [plainCopies, plainWeight] = copiesOfTop(plain);
    const auto [fullCopies, fullWeight] = copiesOfTop(full);
    qInfo("plain: %d copies of the top eigenvalue, orthogonality loss %.2e; full: %d copy, loss %.2e", plainCopies,
          plain.orthogonalityLoss, fullCopies, full.orthogonalityLoss);
    QVERIFY(plain.orthogonalityLoss > 0.1);
    QVERIFY(plainCopies >= 2);
    QVERIFY(full.orthogonalityLoss < 1e-12);
    QCOMPARE(fullCopies, 1);
    SHELLSCOPE_COMPARE_ERROR(std::abs(fullWeight - topWeight) / topWeight, 1e-10);
    // The ghosts share the true weight between them: the total is still (nearly) right.
    SHELLSCOPE_COMPARE_ERROR(std::abs(plainWeight - topWeight) / topWeight, 1e-6);
  }

  void tridiagonalQuadratureConvergesAtAnyScale() {
    // T from plain Lanczos on a tiny LM (entries ~ 20, a converged ghost pair): Eigen's unscaled
    // computeFromTridiagonal stalls on it. Checked against a dense solver of the full matrix.
    const double a[] = {20.369767867160864, 24.206016279743615, 15.554823890502137, 12.733315598662042,
                        16.9099848106693,   19.123665953589143, 12.165974004935649, 16.002982246712662,
                        14.545330836192042, 12.821508818110431, 8.432829252157255,  13.455349386796254,
                        33.374071799659646, 23.065257827433545, 18.926249980045974, 9.9382950461385242,
                        18.685270597519004, 13.001949805891904, 12.823794841202954, 9.8497887653389853,
                        11.309357578562953, 13.362328536998689, 8.2214923198809409, 33.188542399138598,
                        13.949221346533122, 23.317629121381344, 19.419721061712451, 20.622680855678876,
                        10.164380729291,    13.159395836862391};
    const double b[] = {9.2341308729438865, 6.7102503311786661, 3.3999137456170549, 2.813474728949918,
                        3.8449192957326468, 3.430819811843687,  3.7605394371816443, 5.2536479653483026,
                        1.7606221646840774, 1.4598438116587413, 0.74231821430051892, 1.7873878448686409e-07,
                        0.0010088746004305049, 1.0307375272070283, 1.2158418674270428, 4.75780313909162,
                        2.0449599016760152, 2.4358324839782095, 2.8376321782376515, 0.84082715736345393,
                        0.41674587992118661, 0.48036200313910393, 1.9167960644181761, 0.87472228438108768,
                        8.3143302166386473e-06, 0.025321484831840931, 1.1488273698788913, 0.051701950812152619,
                        3.90182009876979};
    const Eigen::VectorXd diag = Eigen::Map<const Eigen::VectorXd>(a, 30);
    const Eigen::VectorXd off = Eigen::Map<const Eigen::VectorXd>(b, 29);
    for (double scale : {1.0, 1e-6, 1e6}) {
      Eigen::VectorXd values, weights;
      tridiagonalQuadrature(diag * scale, off * scale, values, weights);
      Eigen::MatrixXd t = Eigen::MatrixXd::Zero(30, 30);
      t.diagonal() = diag * scale;
      t.diagonal(1) = off * scale;
      t.diagonal(-1) = off * scale;
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(t);
      SHELLSCOPE_COMPARE_ERROR(shellscope::test::relativeError(values, dense.eigenvalues()), 1e-12);
      QVERIFY(std::abs(weights.sum() - 1.0) < 1e-13);
    }
  }

  void zeroStartHasNoSpectrum() {
    DenseOperator op(Eigen::MatrixXd::Identity(5, 5));
    const LanczosResult r = lanczos(op, Eigen::VectorXd::Zero(5), LanczosOptions{});
    QVERIFY(r.status == LanczosStatus::ZeroStart);
    QCOMPARE(r.stepsTaken, 0);
    QCOMPARE(r.ritzValues.size(), Eigen::Index(0));
    QCOMPARE(op.products, 0);
  }

  void rejectsBadInput() {
    DenseOperator op(Eigen::MatrixXd::Identity(5, 5));
    LanczosOptions options;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lanczos(op, Eigen::VectorXd::Ones(4), options));
    Eigen::VectorXd nan = Eigen::VectorXd::Ones(5);
    nan(2) = std::nan("");
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lanczos(op, nan, options));
    options.maxSteps = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lanczos(op, Eigen::VectorXd::Ones(5), options));
    QVERIFY(parseLanczosMode("golub-kahan") == LanczosMode::GolubKahan);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseLanczosMode("fast"));
  }

  void nonFiniteProductIsAnError() {
    Eigen::MatrixXd m = Eigen::MatrixXd::Identity(4, 4);
    m(1, 1) = std::numeric_limits<double>::infinity();
    DenseOperator op(m);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, lanczos(op, Eigen::VectorXd::Ones(4), LanczosOptions{}));
  }

  void stepCallbackCanCancel() {
    const DenseProblem p = spreadSpectrum(30, -2, 2, 41);
    DenseOperator op(p.matrix());
    LanczosOptions options;
    options.maxSteps = 30;
    options.onStep = [](int step) {
      if (step == 7) throw std::runtime_error("stop");
    };
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, lanczos(op, randomVector(30, 1), options));
    QCOMPARE(op.products, 7);
  }

  void fewerStepsStillSumToOne() {
    const DenseProblem p = spreadSpectrum(60, -3, 1, 51);
    DenseOperator op(p.matrix());
    LanczosOptions options;
    options.maxSteps = 12;
    const LanczosResult r = lanczos(op, randomVector(60, 52), options);
    QVERIFY(r.status == LanczosStatus::Completed);
    QCOMPARE(r.stepsTaken, 12);
    QVERIFY(std::abs(r.ritzWeights.sum() - 1.0) < 1e-13);
    // Extreme Ritz values converge first: the largest matches the top eigenvalue.
    SHELLSCOPE_COMPARE_ERROR(std::abs(r.ritzValues(11) - p.lambda(59)) / p.lambda(59), 1e-6);
  }

  void probeProductsAreTheBilinearQuadrature() {
    // q_j ≈ (y_j·e)(y_j·z): summed, e·z exactly at any k and in every mode; with k = n (Full,
    // Golub-Kahan) each q_j is (φ_u·e)(φ_u·z) of the eigenvector with λ_u = θ_j, from Q directly.
    const Eigen::Index n = 30;
    const DenseProblem p = spreadSpectrum(n, -3, 1, 61);
    const Eigen::MatrixXd a = p.q * p.lambda.cwiseSqrt().asDiagonal();  // M = A Aᵀ
    const Eigen::VectorXd e = randomVector(n, 62), z = randomVector(n, 63);
    const Eigen::VectorXd exact = (p.q.transpose() * e).cwiseProduct(p.q.transpose() * z);  // ascending λ
    for (const LanczosMode mode : {LanczosMode::Full, LanczosMode::Plain, LanczosMode::GolubKahan}) {
      for (const int steps : {8, 30}) {
        LanczosOptions options;
        options.mode = mode;
        options.maxSteps = steps;
        options.relativeTolerance = 0;
        options.probe = z;
        DenseOperator dense(p.matrix());
        DenseFactoredOperator factored(a);
        const LanczosResult r = mode == LanczosMode::GolubKahan ? golubKahan(factored, e, options) : lanczos(dense, e, options);
        QCOMPARE(r.probeProducts.size(), r.ritzValues.size());
        QVERIFY2(std::abs(r.probeProducts.sum() - e.dot(z)) <= 1e-12 * e.norm() * z.norm(),
                 qPrintable(QString("%1 steps %2: sum %3, e.z %4").arg(QString::fromStdString(toString(mode))).arg(steps)
                                .arg(r.probeProducts.sum(), 0, 'g', 17).arg(e.dot(z), 0, 'g', 17)));
        if (steps == n && mode != LanczosMode::Plain) {
          SHELLSCOPE_COMPARE_ERROR(test::relativeError(r.probeProducts, exact), 1e-8);
        }
      }
    }
    // Without a probe nothing is computed; a probe of the wrong size is refused.
    DenseOperator dense(p.matrix());
    LanczosOptions plain;
    QCOMPARE(lanczos(dense, e, plain).probeProducts.size(), Eigen::Index(0));
    plain.probe = Eigen::VectorXd::Ones(n + 1);
    QVERIFY(test::messageOf([&] { lanczos(dense, e, plain); }).contains("probe vector has 31 entries"));
  }
};

QTEST_APPLESS_MAIN(TestLanczos)
#include "test_lanczos.moc"

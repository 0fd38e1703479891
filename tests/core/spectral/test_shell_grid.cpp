// Log shells on the global grid λ_k = 10^(k/s): edges, half-open binning, underflow/overflow and
// the energy identity Σ shells + under + over = Σ masses.
#include <limits>
#include <random>

#include "shellscope/spectral/shell_grid.h"
#include "test_support.h"

using namespace shellscope;

class TestShellGrid : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void edgesAreExactPowersOfTen() {
    QCOMPARE(gridEdge(4, 0), 1.0);
    QCOMPARE(gridEdge(4, 4), 10.0);
    QCOMPARE(gridEdge(4, -8), 0.01);
    QVERIFY(std::abs(gridEdge(4, 1) - std::pow(10.0, 0.25)) < 1e-15);
  }

  void indexAtEdgesIsTheEdgeItself_data() {
    QTest::addColumn<int>("s");
    for (int s : {1, 3, 4, 7, 10}) QTest::newRow(QByteArray::number(s).constData()) << s;
  }
  void indexAtEdgesIsTheEdgeItself() {
    QFETCH(int, s);
    for (int k = -60; k <= 40; ++k) {
      const double edge = gridEdge(s, k);
      QCOMPARE(gridIndexAtOrBelow(s, edge), k);
      QCOMPARE(gridIndexAtOrBelow(s, std::nextafter(edge, 0.0)), k - 1);
      QCOMPARE(gridIndexAtOrBelow(s, std::sqrt(edge * gridEdge(s, k + 1))), k);
    }
  }

  void rejectsNonPositiveLambda() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gridIndexAtOrBelow(4, 0.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gridIndexAtOrBelow(4, -1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gridIndexAtOrBelow(4, std::numeric_limits<double>::quiet_NaN()));
  }

  void binningIsHalfOpenWithUnderAndOverflow() {
    ShellWindow window{4, -4, 8};  // [0.1, 10)
    QCOMPARE(window.edges().size(), size_t(9));
    QCOMPARE(window.edge(0), 0.1);
    QCOMPARE(window.edge(8), 10.0);
    QCOMPARE(window.locate(0.1), 0);
    QCOMPARE(window.locate(std::nextafter(0.1, 0.0)), ShellWindow::kUnderflow);
    QCOMPARE(window.locate(0.0), ShellWindow::kUnderflow);
    QCOMPARE(window.locate(-3.0), ShellWindow::kUnderflow);
    QCOMPARE(window.locate(1.0), 4);
    QCOMPARE(window.locate(std::nextafter(1.0, 0.0)), 3);
    QCOMPARE(window.locate(10.0), 8);  // the top edge belongs to overflow
    QCOMPARE(window.locate(1e9), 8);

    const ShellEnergies e = binMasses(window, {0.0, 0.05, 0.1, 0.5, 1.0, 9.99, 10.0, 200.0},
                                      {1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0});
    QCOMPARE(e.underflow, 3.0);
    QCOMPARE(e.overflow, 192.0);
    QCOMPARE(e.energy[0], 4.0);
    QCOMPARE(e.energy[4], 16.0);
    QCOMPARE(e.energy[7], 32.0);
    QCOMPARE(e.total(), 255.0);
  }

  void nanPaddingCarriesNoMass() {
    ShellWindow window{4, 0, 4};
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const ShellEnergies e = binMasses(window, {2.0, nan, nan}, {1.0, 0.0, nan});
    QCOMPARE(e.total(), 1.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, binMasses(window, {nan}, {0.5}));
  }

  void massIdentityHoldsForRandomSpectra() {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> logLambda(-14.0, 4.0), mass(0.0, 1.0);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> values(97), masses(97);
      double total = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        values[i] = i % 11 == 0 ? -1e-9 : std::pow(10.0, logLambda(rng));
        masses[i] = mass(rng);
        total += masses[i];
      }
      ShellWindowPolicy policy;
      policy.relativeFloor = 1e-8;
      const ShellWindow window = chooseShellWindow(5, policy, values);
      const ShellEnergies e = binMasses(window, values, masses);
      QVERIFY(std::abs(e.total() - total) <= 1e-13 * total);
      QCOMPARE(e.overflow, 0.0);  // the automatic window covers the largest value
    }
  }

  void automaticWindowCoversValuesAboveTheFloor() {
    ShellWindowPolicy policy;
    policy.relativeFloor = 1e-6;
    double floor = 0;
    const ShellWindow w = chooseShellWindow(4, policy, {1e-12, 8e-5, 0.2, 50.0, std::nan("")}, &floor);
    QCOMPARE(floor, 50.0 * 1e-6);
    QVERIFY(w.edge(0) <= floor);
    QVERIFY(w.edge(0) > floor / std::pow(10.0, 0.25));  // snapped to the grid edge just below
    QVERIFY(w.edge(w.shellCount) > 50.0);
    QCOMPARE(w.locate(1e-12), ShellWindow::kUnderflow);
    QCOMPARE(w.locate(3e-5), ShellWindow::kUnderflow);  // below the floor
    QVERIFY(w.locate(8e-5) >= 0);
  }

  void fixedWindowSnapsOutwards() {
    ShellWindowPolicy policy;
    policy.lambdaMin = 0.15;
    policy.lambdaMax = 10.0;
    const ShellWindow w = chooseShellWindow(4, policy, {});
    QCOMPARE(w.firstEdgeIndex, -4);  // 0.1 <= 0.15
    QCOMPARE(w.edge(w.shellCount), 10.0);
    policy.lambdaMax = 11.0;
    QVERIFY(std::abs(chooseShellWindow(4, policy, {}).edge(9) - std::pow(10.0, 1.25)) < 1e-12);
  }

  void differentRunsShareEdges() {
    ShellWindowPolicy policy;
    const ShellWindow a = chooseShellWindow(4, policy, {1e-3, 2.0});
    const ShellWindow b = chooseShellWindow(4, policy, {0.5, 700.0});
    // Same grid: an edge value seen by both windows is bit-identical.
    const int k = std::max(a.firstEdgeIndex, b.firstEdgeIndex);
    QCOMPARE(a.edge(k - a.firstEdgeIndex), b.edge(k - b.firstEdgeIndex));
  }

  void smoothWindowsFormAPartitionOfUnity() {
    const ShellWindow w{4, -8, 12};  // λ from 10^-2 to 10
    for (int j = 0; j < w.shellCount; ++j) {
      QCOMPARE(smoothWindow(w, j, w.centre(j)), 1.0);
      SHELLSCOPE_COMPARE_ERROR(std::abs(smoothWindow(w, j, w.edge(j)) - 0.5), 1e-15);
      SHELLSCOPE_COMPARE_ERROR(std::abs(smoothWindow(w, j, w.edge(j + 1)) - 0.5), 1e-15);
      if (j > 0) QCOMPARE(smoothWindow(w, j, w.centre(j - 1)), 0.0);
      if (j + 1 < w.shellCount) QCOMPARE(smoothWindow(w, j, w.centre(j + 1)), 0.0);
    }
    // Every λ between the first and last centre is shared out completely; the masses add up.
    std::vector<double> values, masses;
    for (int i = 0; i < 997; ++i) {
      values.push_back(std::pow(10.0, -3.0 + 5.0 * i / 996.0));
      masses.push_back(1.0 + (i % 7));
      double total = 0;
      for (int j = 0; j < w.shellCount; ++j) total += smoothWindow(w, j, values.back());
      const double x = std::log10(values.back());
      if (x >= std::log10(w.centre(0)) && x <= std::log10(w.centre(w.shellCount - 1))) {
        SHELLSCOPE_COMPARE_ERROR(std::abs(total - 1.0), 1e-14);
      }
    }
    values.push_back(-1e-9);  // a rounding-negative Ritz value: underflow
    masses.push_back(2.0);
    const ShellEnergies smooth = binMassesSmoothly(w, values, masses);
    double sum = smooth.underflow + smooth.overflow;
    for (double e : smooth.energy) sum += e;
    double total = 0;
    for (double m : masses) total += m;
    SHELLSCOPE_COMPARE_ERROR(std::abs(sum - total) / total, 1e-14);
    QCOMPARE(smooth.underflow > 2.0, true);  // the negative Ritz value and the mass below 10^-2.125
  }
};

QTEST_APPLESS_MAIN(TestShellGrid)
#include "test_shell_grid.moc"

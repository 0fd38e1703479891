// ΔE and the energy ratio between checkpoints (shellscope/analysis/checkpoint_difference.h):
//   - ΔE and the ratio equal a direct computation from the per-batch arrays, on the common shells
//     of two runs with different windows;
//   - coverage of the 95% intervals over 200 seeded trials on synthetic pairs with a known
//     difference, where every batch carries a shared effect at both checkpoints (the same batches):
//     paired intervals hold 180-197 of 200 and are narrower than unpaired ones, which also hold;
//   - runs of other shells per decade, or without a common shell, are refused.
#include <cmath>
#include <cstdio>
#include <random>

#include "shellscope/analysis/checkpoint_difference.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::analysis;

namespace {

/// A run with `energies` as shell_energy_batches on a window starting at global edge `firstEdge`.
Run runOf(const std::string& id, const Eigen::MatrixXd& energies, int firstEdge, std::int64_t firstBatch = 0) {
  Run run;
  run.id = id;
  run.window.shellsPerDecade = 4;
  run.window.firstEdgeIndex = firstEdge;
  run.window.shellCount = static_cast<int>(energies.cols());
  run.shellEnergyBatches = energies;
  run.shellEnergy = energies.colwise().mean().transpose();
  run.errorNorm2 = energies.rowwise().sum();
  for (Eigen::Index b = 0; b < energies.rows(); ++b) run.batchIndex.push_back(firstBatch + b);
  return run;
}

}  // namespace

class TestCheckpointDifference : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void theDifferenceIsTheDirectOneOnTheCommonShells() {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.1, 2.0);
    Eigen::MatrixXd a(6, 8), b(6, 7);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = u(rng);
    for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = u(rng);
    const Run run = runOf("run-0002", a, -10), base = runOf("run-0001", b, -12);  // common: edges -10 .. -5
    const CheckpointDifference d = checkpointDifference(run, base, AnalysisOptions{});
    QCOMPARE(d.window.firstEdgeIndex, -10);
    QCOMPARE(d.window.shellCount, 5);
    QCOMPARE(d.runFirstShell, 0);
    QCOMPARE(d.baseFirstShell, 2);
    QVERIFY(d.paired);
    for (int j = 0; j < 5; ++j) {
      const double now = a.col(j).mean(), then = b.col(j + 2).mean();
      QVERIFY(std::abs(d.delta(j) - (now - then)) <= 1e-15);
      QVERIFY(std::abs(d.ratio(j) - now / then) <= 1e-14);
      QVERIFY(d.deltaLow(j) <= d.delta(j) && d.delta(j) <= d.deltaHigh(j));
      QVERIFY(d.ratioLow(j) <= d.ratio(j) && d.ratio(j) <= d.ratioHigh(j));
    }
    // Other batches: not paired.
    QVERIFY(!checkpointDifference(runOf("x", a, -10, 100), base, AnalysisOptions{}).paired);
    Run coarse = base;
    coarse.window.shellsPerDecade = 8;
    QVERIFY(test::messageOf([&] { checkpointDifference(run, coarse, AnalysisOptions{}); }).contains("shells per decade"));
    QVERIFY(test::messageOf([&] { checkpointDifference(run, runOf("far", b, 40), AnalysisOptions{}); }).contains("no shell in common"));
  }

  void pairedIntervalsCoverTheTrueDifference() {
    const int shells = 6, trials = 200;
    const Eigen::VectorXd base = (Eigen::VectorXd(shells) << 1.0, 2.0, 3.0, 2.0, 1.0, 0.5).finished();
    const Eigen::VectorXd change = (Eigen::VectorXd(shells) << 0.3, -0.5, 0.0, 0.4, -0.2, 0.1).finished();
    AnalysisOptions options;
    for (const int batches : {8, 32}) {
      int heldPaired = 0, heldUnpaired = 0, heldRatio = 0, cells = 0;
      double widthPaired = 0, widthUnpaired = 0, bias = 0;
      for (int t = 0; t < trials; ++t) {
        std::mt19937_64 rng(2000 + static_cast<std::uint64_t>(t));
        std::normal_distribution<double> shared(0.0, 0.5), own(0.0, 0.1);
        Eigen::MatrixXd then(batches, shells), now(batches, shells);
        for (int b = 0; b < batches; ++b) {
          for (int j = 0; j < shells; ++j) {
            const double batchEffect = shared(rng);  // the same batch at both checkpoints
            then(b, j) = base(j) * std::exp(0.3 * batchEffect) + own(rng);
            now(b, j) = (base(j) + change(j)) * std::exp(0.3 * batchEffect) + own(rng);
          }
        }
        // Truth: E[now − then] = change · E[exp(0.3 z)], E[now]/E[then] = (base + change)/base.
        const double lift = std::exp(0.5 * 0.09 * 0.25);
        options.seed = static_cast<std::uint64_t>(t) + 1;
        const CheckpointDifference p = checkpointDifference(runOf("n", now, 0), runOf("b", then, 0), options);
        const CheckpointDifference u = checkpointDifference(runOf("n", now, 0, 1000), runOf("b", then, 0), options);
        QVERIFY(p.paired && !u.paired);
        for (int j = 0; j < shells; ++j) {
          const double truth = change(j) * lift, ratio = (base(j) + change(j)) / base(j);
          heldPaired += p.deltaLow(j) <= truth && truth <= p.deltaHigh(j);
          heldUnpaired += u.deltaLow(j) <= truth && truth <= u.deltaHigh(j);
          heldRatio += p.ratioLow(j) <= ratio && ratio <= p.ratioHigh(j);
          widthPaired += p.deltaHigh(j) - p.deltaLow(j);
          widthUnpaired += u.deltaHigh(j) - u.deltaLow(j);
          bias += (p.delta(j) - truth) / (trials * shells);
          ++cells;
        }
      }
      const double scale = static_cast<double>(trials) / cells;  // per 200 trials, averaged over shells
      std::printf("%d batches: Delta E held %.1f (paired) %.1f (unpaired) of 200, ratio held %.1f; mean width paired %.4f "
                  "unpaired %.4f; bias %+.5f\n",
                  batches, heldPaired * scale, heldUnpaired * scale, heldRatio * scale, widthPaired / cells,
                  widthUnpaired / cells, bias);
      QVERIFY(heldPaired * scale >= 180 && heldPaired * scale <= 197);
      QVERIFY(heldRatio * scale >= 180 && heldRatio * scale <= 197);
      QVERIFY(heldUnpaired * scale >= 180);
      QVERIFY(widthPaired < 0.5 * widthUnpaired);  // the shared batch effect cancels
      QVERIFY(std::abs(bias) < 0.005);
    }
  }
};

QTEST_APPLESS_MAIN(TestCheckpointDifference)
#include "test_checkpoint_difference.moc"

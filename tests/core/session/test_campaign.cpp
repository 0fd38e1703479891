// Campaigns: items split over ranks by cost (contiguous, within one item of the ideal share), a run
// taken apart into its batch spectra and assembled again bit for bit, partial sessions merged into
// the runs one process stores, progress (done, missing, failed), and every bad part named.

#include <QTemporaryDir>
#include <functional>
#include <cstring>
#include <filesystem>
#include <random>

#include <Eigen/Eigenvalues>

#include "shellscope/session/campaign_file.h"
#include "test_support.h"

using namespace shellscope;
namespace fs = std::filesystem;

namespace {

/// Same bits, NaN included (what a merge must give).
bool sameBits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

/// A batch spectrum that is a real Gauss quadrature: the Ritz pairs of a random Jacobi matrix T
/// (eigenvalues, first eigenvector components squared), with e ± 1 and held-out sides.
BatchSpectrum gaussBatch(std::int64_t batch, int steps, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> logAlpha(-4.0, 1.0), unit(0.0, 1.0);
  BatchSpectrum s;
  s.batchIndex = batch;
  s.stepsTaken = steps;
  s.jacobiDiagonal.resize(steps);
  s.jacobiOffDiagonal.resize(steps - 1);
  for (int i = 0; i < steps; ++i) s.jacobiDiagonal(i) = std::pow(10.0, logAlpha(rng));
  for (int i = 0; i + 1 < steps; ++i) s.jacobiOffDiagonal(i) = 0.1 * std::min(s.jacobiDiagonal(i), s.jacobiDiagonal(i + 1)) * unit(rng);
  s.nextOffDiagonal = 1e-3 * unit(rng);
  Eigen::MatrixXd t = s.jacobiDiagonal.asDiagonal();
  for (int i = 0; i + 1 < steps; ++i) t(i, i + 1) = t(i + 1, i) = s.jacobiOffDiagonal(i);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(t);
  s.ritzValues = eigen.eigenvalues();
  s.ritzWeights = eigen.eigenvectors().row(0).transpose().array().square();
  s.errorNorm2 = 3.0 + unit(rng);
  s.loss = 0.5 + 0.5 * unit(rng);
  s.nTokens = 64;
  s.orthogonalityLoss = 1e-14 * unit(rng);
  s.seconds = 0.25 + unit(rng);
  s.errorPlusOnes.ritzValues = s.ritzValues.head(2);
  s.errorPlusOnes.ritzWeights = Eigen::Vector2d(0.25, 0.75);
  s.errorPlusOnes.norm2 = s.errorNorm2 + 2 * s.loss + 1;
  s.errorMinusOnes.ritzValues = s.ritzValues.tail(3);
  s.errorMinusOnes.ritzWeights = Eigen::Vector3d(0.5, 0.25, 0.25);
  s.errorMinusOnes.norm2 = s.errorNorm2 - 2 * s.loss + 1;
  s.heldOut.batchIndex = batch;
  s.heldOut.nTokens = 32;
  s.heldOut.spectrum.ritzValues = s.ritzValues.head(steps - 1) * 2.0;
  s.heldOut.spectrum.ritzWeights = Eigen::VectorXd::Constant(steps - 1, 1.0 / (steps - 1));
  s.heldOut.spectrum.norm2 = 2.0;
  s.heldOut.loss = 1.25;
  s.heldOut.ritzRates = Eigen::VectorXd::Constant(steps, -0.01 * unit(rng));
  s.heldOut.rateDirect = s.heldOut.ritzRates.sum();
  s.heldOut.crossEntropy.ritzValues = s.ritzValues.head(steps - 2) * 0.5;  // its own quadrature from 1
  s.heldOut.crossEntropy.ritzWeights = Eigen::VectorXd::Constant(steps - 2, 1.0 / (steps - 2));
  s.heldOut.crossEntropy.norm2 = 1.0;
  s.heldOut.crossEntropyRitzRates = Eigen::VectorXd::Constant(steps - 2, -0.02 * unit(rng));
  s.heldOut.crossEntropyRateDirect = s.heldOut.crossEntropyRitzRates.sum();
  return s;
}

RunMetadata metaOf(const std::string& checkpoint) {
  RunMetadata m;
  m.modelName = "tiny-lm";
  m.checkpoint = checkpoint;
  m.step = 100;
  m.nParams = 1000;
  m.observable = "lm-logprob";
  m.device = "cpu";
  m.dtype = "float64";
  m.lanczosMode = "full";
  m.lanczosSteps = 6;
  m.lanczosMaxSteps = 6;
  m.shellsPerDecade = 4;
  m.batchSize = 2;
  m.seqLen = 32;
  m.dataSource = "builtin";
  m.relativeFloor = 1e-12;
  m.computeSeconds = 1.0;
  return m;
}

CampaignPlan planOf(int checkpoints, int batches, const std::string& flavour = "") {
  CampaignPlan plan;
  plan.settings = "batches=" + std::to_string(batches) + "\n" + flavour;
  plan.key = CampaignPlan::keyOf(plan.settings);
  for (int c = 0; c < checkpoints; ++c) plan.checkpoints.push_back("builtin:tiny-lm#" + std::to_string(c));
  plan.batches = batches;
  plan.window.relativeFloor = 1e-12;
  return plan;
}

/// Item (c, b) as a rank stores it: a one-batch run with its provenance.
Run itemRun(const CampaignPlan& plan, std::int64_t c, const BatchSpectrum& s, int rank) {
  Run item = assembleRun(metaOf(plan.checkpoints[static_cast<std::size_t>(c)]), {s}, plan.window);
  item.provenance.campaign = plan.key;
  item.provenance.checkpointIndex = c;
  item.provenance.host = {"node" + std::to_string(rank)};
  item.provenance.rank = {rank};
  item.provenance.device = {"cuda:" + std::to_string(rank)};
  return item;
}

void requireSameArrays(const Run& a, const Run& b) {
  QVERIFY(sameBits(a.shellEnergy, b.shellEnergy));
  QVERIFY(sameBits(a.shellEnergyBatches, b.shellEnergyBatches));
  QVERIFY(sameBits(a.underflow, b.underflow));
  QVERIFY(sameBits(a.overflow, b.overflow));
  QVERIFY(sameBits(a.ritzValues, b.ritzValues));
  QVERIFY(sameBits(a.ritzWeights, b.ritzWeights));
  QVERIFY(sameBits(a.errorNorm2, b.errorNorm2));
  QVERIFY(sameBits(a.loss, b.loss));
  QVERIFY(sameBits(a.orthogonalityLoss, b.orthogonalityLoss));
  QVERIFY(sameBits(a.lanczosAlpha, b.lanczosAlpha));
  QVERIFY(sameBits(a.lanczosBeta, b.lanczosBeta));
  QVERIFY(sameBits(a.shellEnergyLowerBatches, b.shellEnergyLowerBatches));
  QVERIFY(sameBits(a.shellEnergyUpperBatches, b.shellEnergyUpperBatches));
  QVERIFY(sameBits(a.smoothShellEnergyBatches, b.smoothShellEnergyBatches));
  QVERIFY(sameBits(a.polarisation.plusValues, b.polarisation.plusValues));
  QVERIFY(sameBits(a.polarisation.minusWeights, b.polarisation.minusWeights));
  QVERIFY(sameBits(a.polarisation.plusNorm2, b.polarisation.plusNorm2));
  QVERIFY(sameBits(a.heldOut.ritzValues, b.heldOut.ritzValues));
  QVERIFY(sameBits(a.heldOut.ritzRates, b.heldOut.ritzRates));
  QVERIFY(sameBits(a.heldOut.crossEntropy.ritzValues, b.heldOut.crossEntropy.ritzValues));
  QVERIFY(sameBits(a.heldOut.crossEntropy.ritzRates, b.heldOut.crossEntropy.ritzRates));
  QVERIFY(sameBits(a.heldOut.crossEntropy.rateDirect, b.heldOut.crossEntropy.rateDirect));
  QVERIFY(sameBits(a.heldOut.shellRateBatches, b.heldOut.shellRateBatches));
  QVERIFY(sameBits(a.heldOut.rateDirect, b.heldOut.rateDirect));
  QCOMPARE(a.stepsTaken, b.stepsTaken);
  QCOMPARE(a.nTokens, b.nTokens);
  QCOMPARE(a.batchIndex, b.batchIndex);
  QCOMPARE(a.heldOut.batchIndex, b.heldOut.batchIndex);
  QCOMPARE(a.window.firstEdgeIndex, b.window.firstEdgeIndex);
  QCOMPARE(a.window.shellCount, b.window.shellCount);
  QCOMPARE(a.lambdaFloor, b.lambdaFloor);
}

}  // namespace

class TestCampaign : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void assignmentBalancesCostNotCount() {
    // Checkpoint 0's items cost 1, checkpoint 1's cost 10: by count each rank would get 10 items.
    std::vector<WorkItem> items;
    for (int c = 0; c < 2; ++c) {
      for (int b = 0; b < 10; ++b) items.push_back({c, b, c == 0 ? 1.0 : 10.0});
    }
    const auto split = assignItems(items, 2);
    QCOMPARE(split.size(), std::size_t{2});
    double load[2] = {0, 0};
    std::vector<WorkItem> all;
    for (int r = 0; r < 2; ++r) {
      for (const WorkItem& item : split[static_cast<std::size_t>(r)]) load[r] += item.cost;
      all.insert(all.end(), split[static_cast<std::size_t>(r)].begin(), split[static_cast<std::size_t>(r)].end());
    }
    QVERIFY(all == items);  // every item once, contiguous, in order
    QVERIFY2(std::abs(load[0] - 55.0) <= 10.0 && std::abs(load[1] - 55.0) <= 10.0,
             qPrintable(QString("loads %1 and %2, ideal 55").arg(load[0]).arg(load[1])));
    QVERIFY(split[0].size() > split[1].size());  // not by count
    // More ranks than items: some idle, none lost; zero costs: by count.
    QCOMPARE(assignItems({{0, 0, 5.0}}, 4)[3].size() + assignItems({{0, 0, 5.0}}, 4)[0].size() +
                 assignItems({{0, 0, 5.0}}, 4)[1].size() + assignItems({{0, 0, 5.0}}, 4)[2].size(),
             std::size_t{1});
    std::vector<WorkItem> free(6, WorkItem{0, 0, 0.0});
    for (const auto& share : assignItems(free, 3)) QCOMPARE(share.size(), std::size_t{2});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, assignItems(items, 0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, assignItems({{0, 0, -1.0}}, 2));
  }

  void measuredCostsReplaceAndScaleEstimates() {
    // Estimates 1 (checkpoint 0) and 4 (checkpoint 1); checkpoint 0 measured at 3 s per item.
    const std::vector<WorkItem> items{{0, 0, 1.0}, {0, 1, 1.0}, {1, 0, 4.0}};
    const std::vector<WorkItem> costs = measuredCosts(items, {{0, 3.0}});
    QCOMPARE(costs[0].cost, 3.0);
    QCOMPARE(costs[1].cost, 3.0);
    QCOMPARE(costs[2].cost, 12.0);  // 4 × (6 s measured / 2 estimated)
    QCOMPARE(measuredCosts(items, {})[2].cost, 4.0);
  }

  void batchSpectraInvertAssembly() {
    std::mt19937_64 rng(7);
    std::vector<BatchSpectrum> spectra;
    for (int b = 0; b < 5; ++b) spectra.push_back(gaussBatch(b, b == 2 ? 4 : 6, rng));  // batch 2 stopped early
    const ShellWindowPolicy policy{0.0, 0.0, 1e-12};
    const Run run = assembleRun(metaOf("c"), spectra, policy);
    QVERIFY(!run.polarisation.empty() && !run.heldOut.empty() && run.hasQuadratureBounds());
    const std::vector<BatchSpectrum> back = batchSpectra(run);
    QCOMPARE(back.size(), spectra.size());
    QVERIFY(sameBits(back[2].ritzValues, spectra[2].ritzValues));
    QVERIFY(sameBits(back[2].jacobiOffDiagonal, spectra[2].jacobiOffDiagonal));
    QCOMPARE(back[2].nextOffDiagonal, spectra[2].nextOffDiagonal);
    QVERIFY(sameBits(back[4].heldOut.spectrum.ritzWeights, spectra[4].heldOut.spectrum.ritzWeights));
    requireSameArrays(assembleRun(run.meta, back, policy), run);
    // One batch at a time, in any order: the same run.
    std::vector<BatchSpectrum> items;
    for (int b : {3, 0, 4, 1, 2}) items.push_back(batchSpectra(assembleRun(metaOf("c"), {spectra[b]}, policy)).front());
    requireSameArrays(assembleRun(run.meta, items, policy), run);
  }

  void mergeGivesWhatOneProcessStores() {
    QTemporaryDir dir;
    const std::string target = dir.filePath("s.h5").toStdString();
    const CampaignPlan plan = planOf(2, 5);
    std::mt19937_64 rng(11);
    std::vector<std::vector<BatchSpectrum>> spectra(2);
    for (int c = 0; c < 2; ++c) {
      for (int b = 0; b < 5; ++b) spectra[c].push_back(gaussBatch(b, 6, rng));
    }
    // Three ranks, items in a scrambled order, one item twice (a shard rerun under another split).
    std::vector<std::string> parts;
    for (int r = 0; r < 3; ++r) {
      parts.push_back(partPath(target, plan.key, r, 3));
      openPart(parts.back(), plan, r, 3);
    }
    int next = 0;
    for (int i : {7, 2, 9, 0, 5, 3, 8, 1, 6, 4, 2}) {
      const int c = i / 5, b = i % 5;
      addItem(parts[static_cast<std::size_t>(next % 3)], itemRun(plan, c, spectra[c][b], next % 3));
      ++next;
    }
    QCOMPARE(findParts(target), parts);
    const MergeResult merged = mergeParts(parts, target);
    QCOMPARE(merged.added.size(), std::size_t{2});
    QVERIFY(merged.incomplete.empty());
    const Session session = readSession(target);
    QCOMPARE(session.runs.size(), std::size_t{2});
    // What one process stores: computeRun's assembleRun, through a save and a read.
    const std::string single = dir.filePath("single.h5").toStdString();
    appendRuns(single, {assembleRun(metaOf(plan.checkpoints[0]), spectra[0], plan.window),
                        assembleRun(metaOf(plan.checkpoints[1]), spectra[1], plan.window)});
    const Session one = readSession(single);
    for (int c = 0; c < 2; ++c) {
      requireSameArrays(session.runs[static_cast<std::size_t>(c)], one.runs[static_cast<std::size_t>(c)]);
      const ItemProvenance& p = session.runs[static_cast<std::size_t>(c)].provenance;
      QCOMPARE(p.campaign, plan.key);
      QCOMPARE(p.checkpointIndex, std::int64_t{c});
      QCOMPARE(p.rank.size(), std::size_t{5});
      QCOMPARE(p.host.size(), std::size_t{5});
    }
    // Batch 2 of checkpoint 0 came second, to rank 1 on node1 (its copy on rank 1 came later).
    QCOMPARE(session.runs[0].provenance.host[2], std::string("node1"));
    QCOMPARE(session.runs[0].provenance.device[2], std::string("cuda:1"));
    QCOMPARE(session.runs[0].meta.nBatches, std::int64_t{5});
    // Merging again adds nothing; progress says all is done and merged.
    const MergeResult again = mergeParts(parts, target);
    QVERIFY(again.added.empty());
    QCOMPARE(again.alreadyMerged, std::int64_t{2});
    QCOMPARE(readSession(target).runs.size(), std::size_t{2});
    const std::vector<CampaignProgress> progress = campaignProgress(parts, target);
    QCOMPARE(progress.size(), std::size_t{1});
    QVERIFY(progress[0].complete());
    QCOMPARE(progress[0].merged, std::int64_t{10});
  }

  void incompleteCheckpointsWaitAndFailuresShow() {
    QTemporaryDir dir;
    const std::string target = dir.filePath("s.h5").toStdString();
    const CampaignPlan plan = planOf(2, 3);
    std::mt19937_64 rng(5);
    const std::string part = partPath(target, plan.key, 0, 1);
    openPart(part, plan, 0, 1);
    for (int b = 0; b < 3; ++b) addItem(part, itemRun(plan, 0, gaussBatch(b, 5, rng), 0));
    addItem(part, itemRun(plan, 1, gaussBatch(0, 5, rng), 0));
    addFailure(part, {1, 1, "CUDA out of memory", "node0", 0, "2026-12-02T04:00:00Z"});
    addFailure(part, {1, 0, "an earlier failure, since computed", "node0", 0, "2026-12-02T03:00:00Z"});
    std::vector<CampaignProgress> progress = campaignProgress({part}, target);
    QCOMPARE(progress[0].done.size(), std::size_t{4});
    QCOMPARE(progress[0].missing.size(), std::size_t{2});
    QCOMPARE(progress[0].failures.size(), std::size_t{1});
    QCOMPARE(progress[0].failures[0].error, std::string("CUDA out of memory"));
    QCOMPARE(progress[0].merged, std::int64_t{0});
    const MergeResult merged = mergeParts({part}, target);
    QCOMPARE(merged.added.size(), std::size_t{1});
    QCOMPARE(merged.incomplete, std::vector<std::string>{"builtin:tiny-lm#1: 1 of 3 batches"});
    progress = campaignProgress({part}, target);
    QCOMPARE(progress[0].merged, std::int64_t{3});
    // The rest arrives (a resumed rank): the next merge adds checkpoint 1 only.
    for (int b = 1; b < 3; ++b) addItem(part, itemRun(plan, 1, gaussBatch(b, 5, rng), 0));
    const MergeResult rest = mergeParts({part}, target);
    QCOMPARE(rest.added.size(), std::size_t{1});
    QCOMPARE(rest.alreadyMerged, std::int64_t{1});
    QVERIFY(campaignProgress({part}, target)[0].failures.empty());
    // With the partial session gone, the target alone says what is done.
    fs::remove(part);
    const CampaignProgress alone = campaignProgress(plan, {}, target);
    QCOMPARE(alone.merged, std::int64_t{6});
    QVERIFY(alone.complete());
    QCOMPARE(campaignProgress(planOf(2, 3, "another campaign"), {}, target).missing.size(), std::size_t{6});
  }

  void badPartsAreNamed() {
    QTemporaryDir dir;
    const std::string target = dir.filePath("s.h5").toStdString();
    const CampaignPlan plan = planOf(1, 2);
    std::mt19937_64 rng(3);
    // An ordinary session given as a part.
    const std::string plain = dir.filePath("plain.h5").toStdString();
    appendRuns(plain, {assembleRun(metaOf("c"), {gaussBatch(0, 4, rng)}, plan.window)});
    const auto errorOf = [](const std::function<void()>& action) -> std::string {
      try {
        action();
      } catch (const std::exception& e) {
        return e.what();
      }
      return "no error";
    };
    std::string error = errorOf([&] { mergeParts({plain}, target); });
    QVERIFY2(error.find(plain) != std::string::npos && error.find("not a partial session") != std::string::npos,
             error.c_str());
    // Two parts with one key and different plans.
    const std::string a = partPath(target, plan.key, 0, 2), b = partPath(target, plan.key, 1, 2);
    openPart(a, plan, 0, 2);
    CampaignPlan other = plan;
    other.checkpoints = {"elsewhere"};
    openPart(b, other, 1, 2);
    error = errorOf([&] { mergeParts({a, b}, target); });
    QVERIFY2(error.find(b) != std::string::npos && error.find("another plan") != std::string::npos, error.c_str());
    // A part reopened for another campaign or another rank.
    error = errorOf([&] { openPart(a, planOf(1, 3), 0, 2); });
    QVERIFY2(error.find(a) != std::string::npos && error.find("belongs to campaign") != std::string::npos, error.c_str());
    error = errorOf([&] { openPart(a, plan, 1, 3); });
    QVERIFY2(error.find("is rank 0 of 2") != std::string::npos, error.c_str());
    // An item outside the campaign, and an item of another campaign.
    fs::remove(b);
    addItem(a, itemRun(plan, 0, gaussBatch(5, 4, rng), 0));
    error = errorOf([&] { campaignProgress({a}, target); });
    QVERIFY2(error.find(a) != std::string::npos && error.find("outside the campaign") != std::string::npos, error.c_str());
    const std::string c = partPath(target, plan.key, 0, 1);
    openPart(c, plan, 0, 1);
    addItem(c, itemRun(planOf(1, 2, "other"), 0, gaussBatch(0, 4, rng), 0));
    error = errorOf([&] { mergeParts({c}, target); });
    QVERIFY2(error.find("is not an item of campaign") != std::string::npos, error.c_str());
    QVERIFY(!fs::exists(target));  // nothing was written
  }

  void aFailedItemWriteLeavesThePartAsItWas() {
    QTemporaryDir dir;
    const std::string target = dir.filePath("s.h5").toStdString();
    const CampaignPlan plan = planOf(1, 3);
    std::mt19937_64 rng(9);
    const std::string part = partPath(target, plan.key, 0, 1);
    openPart(part, plan, 0, 1);
    addItem(part, itemRun(plan, 0, gaussBatch(0, 4, rng), 0));
    const auto crash = [](const std::string&) { throw std::runtime_error("killed before the rename"); };
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, addItem(part, itemRun(plan, 0, gaussBatch(1, 4, rng), 0), crash));
    QCOMPARE(campaignProgress({part}, target)[0].done.size(), std::size_t{1});
    QCOMPARE(checkSessionFile(part), std::vector<std::string>{});
  }
};

QTEST_GUILESS_MAIN(TestCampaign)
#include "test_campaign.moc"

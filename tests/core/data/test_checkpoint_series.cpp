// Finding checkpoints: step folders in step order, checkpoint-N folders, a Hugging Face cache with
// refs naming snapshots, a snapshot on its own; clear errors when there is nothing to find.
#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "shellscope/data/checkpoint_series.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::messageOf;
namespace fs = std::filesystem;

namespace {

void makeCheckpoint(const fs::path& folder, const char* weights = "model.safetensors") {
  fs::create_directories(folder);
  std::ofstream(folder / "config.json") << "{}";
  std::ofstream(folder / weights) << "";
}

std::vector<std::int64_t> steps(const std::vector<CheckpointEntry>& entries) {
  std::vector<std::int64_t> out;
  for (const auto& e : entries) out.push_back(e.step);
  return out;
}

}  // namespace

class TestCheckpointSeries : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  fs::path root() const { return fs::path(dir_.path().toStdString()); }

 private Q_SLOTS:
  void namesEncodeSteps() {
    QCOMPARE(stepFromName("step1000"), std::int64_t(1000));
    QCOMPARE(stepFromName("checkpoint-512"), std::int64_t(512));
    QCOMPARE(stepFromName("global_step143000"), std::int64_t(143000));
    QCOMPARE(stepFromName("iter_0002000"), std::int64_t(2000));
    QCOMPARE(stepFromName("step0"), std::int64_t(0));
    QCOMPARE(stepFromName("main"), std::int64_t(-1));
    QCOMPARE(stepFromName("step12a"), std::int64_t(-1));
    QCOMPARE(stepFromName("step"), std::int64_t(-1));
    // The revision names of the Llama-style and GPT-2 suites (issue 16).
    QCOMPARE(stepFromName("step1000-tokens4B"), std::int64_t(1000));
    QCOMPARE(stepFromName("step-50K-token-105B"), std::int64_t(50000));
    QCOMPARE(stepFromName("step-125000"), std::int64_t(125000));
    QCOMPARE(stepFromName("ckpt_007"), std::int64_t(7));
    QCOMPARE(stepFromName("step-token-105B"), std::int64_t(-1));
    QCOMPARE(stepFromName("step12x-tokens4B"), std::int64_t(-1));
  }

  void olmo2StageNames() {
    // allenai/OLMo-2-1124-7B's branches: stage-1 pretraining (with and without the prefix) and the
    // stage-2 "ingredients", annealing runs whose steps restart at 0.
    QCOMPARE(stepFromName("stage1-step928646-tokens3896B"), std::int64_t(928646));
    QCOMPARE(stepFromName("stage2-ingredient3-step11931-tokens50B"), std::int64_t(11931));
    QCOMPARE(stepFromName("stage2-ingredient1"), std::int64_t(-1));
    QCOMPARE(stepFromName("stagex-step10"), std::int64_t(-1));
    QCOMPARE(trajectoryFromName("stage1-step150-tokens1B"), std::string());
    QCOMPARE(trajectoryFromName("step150-tokens1B"), std::string());
    QCOMPARE(trajectoryFromName("stage2-ingredient2-step1000-tokens5B"), std::string("stage2-ingredient2"));
    QCOMPARE(trajectoryFromName("stage3-step10"), std::string("stage3"));

    // A folder of such revisions: one series per trajectory, each in step order, steps shared
    // between trajectories allowed.
    const fs::path model = root() / "OLMo-2-1124-7B";
    for (const char* s : {"stage1-step2000-tokens9B", "step150-tokens1B", "stage2-ingredient1-step1000-tokens5B",
                          "stage2-ingredient1-step0-tokens0B", "stage2-ingredient2-step1000-tokens5B"}) {
      makeCheckpoint(model / s);
    }
    const auto entries = discoverCheckpoints(model.string());
    QCOMPARE(entries.size(), size_t(5));
    std::map<std::string, std::vector<std::int64_t>> bySeries;
    for (const auto& e : entries) bySeries[e.modelName].push_back(e.step);
    QCOMPARE(bySeries["OLMo-2-1124-7B"], (std::vector<std::int64_t>{150, 2000}));
    QCOMPARE(bySeries["OLMo-2-1124-7B-stage2-ingredient1"], (std::vector<std::int64_t>{0, 1000}));
    QCOMPARE(bySeries["OLMo-2-1124-7B-stage2-ingredient2"], (std::vector<std::int64_t>{1000}));

    // The same revisions in a Hugging Face cache, and one ingredient snapshot on its own.
    const fs::path cache = root() / "hub-olmo" / "models--allenai--OLMo-2-1124-7B";
    makeCheckpoint(cache / "snapshots" / "s1");
    makeCheckpoint(cache / "snapshots" / "s2");
    fs::create_directories(cache / "refs");
    std::ofstream(cache / "refs" / "stage1-step1000-tokens5B") << "s1";
    std::ofstream(cache / "refs" / "stage2-ingredient2-step1000-tokens5B") << "s2";
    const auto cached = discoverCheckpoints(cache.string());
    QCOMPARE(cached.size(), size_t(2));
    QCOMPARE(cached[0].step, std::int64_t(1000));
    QCOMPARE(cached[1].step, std::int64_t(1000));
    std::set<std::string> names{cached[0].modelName, cached[1].modelName};
    QVERIFY(names.count("OLMo-2-1124-7B") == 1 && names.count("OLMo-2-1124-7B-stage2-ingredient2") == 1);
    const auto one = discoverCheckpoints((model / "stage2-ingredient1-step1000-tokens5B").string());
    QCOMPARE(one.size(), size_t(1));
    QCOMPARE(one[0].modelName, std::string("OLMo-2-1124-7B-stage2-ingredient1"));
  }

  void stepFoldersInStepOrder() {
    const fs::path model = root() / "pythia-70m";
    for (const char* s : {"step1000", "step2", "step143000", "step0", "step512", "step4", "step1"}) makeCheckpoint(model / s);
    fs::create_directories(model / "notes");  // not a checkpoint: ignored
    const auto entries = discoverCheckpoints(model.string());
    QCOMPARE(steps(entries), (std::vector<std::int64_t>{0, 1, 2, 4, 512, 1000, 143000}));
    QCOMPARE(entries.front().modelName, std::string("pythia-70m"));
    QCOMPARE(entries.back().label, std::string("step143000"));
  }

  void trainerCheckpointFoldersAndLayouts() {
    const fs::path run = root() / "my-run";
    makeCheckpoint(run / "checkpoint-300", "pytorch_model.bin");
    makeCheckpoint(run / "checkpoint-20", "model.safetensors.index.json");
    makeCheckpoint(run / "final");  // no step in its name: last
    const auto entries = discoverCheckpoints(run.string());
    QCOMPARE(steps(entries), (std::vector<std::int64_t>{20, 300, -1}));
    QVERIFY(locateCheckpoint(entries[0].path).layout == CheckpointFiles::Layout::ShardedSafetensors);
    QVERIFY(locateCheckpoint(entries[1].path).layout == CheckpointFiles::Layout::TorchBin);
  }

  void huggingFaceCache() {
    const fs::path cache = root() / "hub" / "models--EleutherAI--pythia-160m";
    makeCheckpoint(cache / "snapshots" / "aaaa");
    makeCheckpoint(cache / "snapshots" / "bbbb");
    makeCheckpoint(cache / "snapshots" / "cccc");
    fs::create_directories(cache / "refs");
    std::ofstream(cache / "refs" / "step1000") << "aaaa";
    std::ofstream(cache / "refs" / "step2000") << "bbbb\n";
    std::ofstream(cache / "refs" / "main") << "bbbb";  // main and step2000 are the same weights
    const auto entries = discoverCheckpoints(cache.string());
    QCOMPARE(entries.size(), size_t(3));
    QCOMPARE(steps(entries), (std::vector<std::int64_t>{1000, 2000, -1}));
    QCOMPARE(entries[1].label, std::string("step2000"));
    QCOMPARE(entries[2].label, std::string("cccc"));
    QCOMPARE(entries[0].modelName, std::string("pythia-160m"));
    // The hub folder holding the cache works too, and so does one snapshot on its own.
    QCOMPARE(discoverCheckpoints((root() / "hub").string()).size(), size_t(3));
    const auto snapshot = discoverCheckpoints((cache / "snapshots" / "aaaa").string());
    QCOMPARE(snapshot.size(), size_t(1));
    QCOMPARE(snapshot[0].step, std::int64_t(1000));
    QCOMPARE(snapshot[0].modelName, std::string("pythia-160m"));
  }

  void singleCheckpointFolder() {
    makeCheckpoint(root() / "pythia-410m" / "step4000");
    const auto entries = discoverCheckpoints((root() / "pythia-410m" / "step4000").string());
    QCOMPARE(entries.size(), size_t(1));
    QCOMPARE(entries[0].step, std::int64_t(4000));
    QCOMPARE(entries[0].modelName, std::string("pythia-410m"));
  }

  void clearErrors() {
    fs::create_directories(root() / "empty");
    QVERIFY(messageOf([&] { discoverCheckpoints((root() / "empty").string()); }).contains("holds no checkpoint"));
    QVERIFY(messageOf([&] { discoverCheckpoints((root() / "nope").string()); }).contains("no such file or folder"));
    fs::create_directories(root() / "config-only");
    std::ofstream(root() / "config-only" / "config.json") << "{}";
    QVERIFY(messageOf([&] { locateCheckpoint((root() / "config-only").string()); }).contains("no weights"));
    const fs::path twice = root() / "twice";
    makeCheckpoint(twice / "step100");
    makeCheckpoint(twice / "checkpoint-100");
    QVERIFY(messageOf([&] { discoverCheckpoints(twice.string()); }).contains("claim step 100"));
    // A step folder with a config but no weights (a download cut short) stops the series, naming it.
    const fs::path partial = root() / "partial";
    makeCheckpoint(partial / "step1");
    fs::create_directories(partial / "step0");
    std::ofstream(partial / "step0" / "config.json") << "{}";
    const QString missing = messageOf([&] { discoverCheckpoints(partial.string()); });
    QVERIFY2(missing.contains(QString::fromStdString((partial / "step0").string())) && missing.contains("no weights"),
             qPrintable(missing));
    // Folders without a config.json (notes/, a save in progress) are not checkpoints: left alone.
    fs::remove(partial / "step0" / "config.json");
    fs::create_directories(partial / "notes");
    QCOMPARE(discoverCheckpoints(partial.string()).size(), std::size_t(1));
  }
};

QTEST_APPLESS_MAIN(TestCheckpointSeries)
#include "test_checkpoint_series.moc"

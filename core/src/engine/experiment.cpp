// The built-in experiment (shellscope/experiment.h): data, training, shells, each resumable.
#include "shellscope/experiment.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "engine/checkpoint_io.h"
#include "engine/safetensors.h"
#include "engine/synthetic_data.h"
#include "engine/trainer.h"
#include "shellscope/bpe_trainer.h"
#include "shellscope/compute.h"
#include "shellscope/file_error.h"
#include "shellscope/runtime.h"
#include "shellscope/session_file.h"
#include "shellscope/synthetic_language.h"
#include "shellscope/token_data.h"
#include "shellscope/tokenizer.h"

namespace shellscope {

namespace fs = std::filesystem;
using json = nlohmann::json;

ExperimentSettings ExperimentSettings::standard() {
  ExperimentSettings s;
  s.models = {{"nano-150k", 48, 2, 3}, {"nano-500k", 96, 3, 6}, {"nano-1.5m", 160, 4, 5}};
  return s;
}

ExperimentSettings ExperimentSettings::quick() {
  ExperimentSettings s;
  s.corpusBytes = 200000;
  s.bpeMerges = 150;
  s.contextLength = 32;
  s.models = {{"nano-a", 32, 1, 2}, {"nano-b", 48, 2, 3}};
  s.trainSteps = 64;
  s.warmupSteps = 8;
  s.shellBatches = 2;
  s.shellBatchSize = 2;
  s.lanczosSteps = 8;
  return s;
}

std::vector<int> ExperimentSettings::checkpointSteps() const {
  std::vector<int> steps{0};
  for (int s = 1; s <= std::min(512, trainSteps); s *= 2) steps.push_back(s);
  for (int s = 1000; s <= trainSteps; s += 1000) steps.push_back(s);
  if (steps.back() != trainSteps) steps.push_back(trainSteps);
  return steps;
}

namespace {

struct DataFiles {
  std::string tokenizer, trainPrefix, heldOutPrefix, description;
  std::int64_t modelVocabulary = 0;
};

/// Stage weights of the progress bar (rough shares of the standard run's time).
constexpr double kDataShare = 0.02, kTrainShare = 0.45;

std::string dataFingerprint(const ExperimentSettings& s) {
  return "seed=" + std::to_string(s.seed) + ",bytes=" + std::to_string(s.corpusBytes) +
         ",merges=" + std::to_string(s.bpeMerges) + ",context=" + std::to_string(s.contextLength) + ",format=1";
}

DataFiles prepareData(const ExperimentSettings& s, ProgressToken& progress, std::vector<std::string>& stages) {
  const double start = monotonicSeconds();
  const fs::path dir = fs::path(s.outDir) / "data";
  DataFiles files;
  files.tokenizer = (dir / "tokenizer.json").string();
  files.trainPrefix = (dir / "train").string();
  files.heldOutPrefix = (dir / "heldout").string();
  const fs::path manifestPath = dir / "corpus.json";
  if (fs::exists(manifestPath)) {
    const json manifest = json::parse(std::ifstream(manifestPath), nullptr, false);
    if (!manifest.is_discarded() && manifest.value("fingerprint", "") == dataFingerprint(s)) {
      files.modelVocabulary = manifest.value("model_vocabulary", 0);
      files.description = manifest.value("description", "");
      stages.push_back("data (reused)");
      return files;
    }
  }
  fs::create_directories(dir);
  progress.report(0.0, "generating the synthetic language");
  SyntheticLanguageOptions options;
  options.seed = s.seed;
  options.targetBytes = s.corpusBytes;
  const SyntheticCorpus corpus = generateSyntheticLanguage(options);
  const std::vector<std::string> train(corpus.documents.begin(), corpus.documents.begin() + static_cast<long>(corpus.heldOutStart));
  // The vocabulary is learnt from a third of the training documents (enough for these merges).
  progress.report(kDataShare * 0.2, "learning the BPE vocabulary");
  const BpeVocabulary vocabulary = trainByteLevelBpe(
      std::vector<std::string>(train.begin(), train.begin() + static_cast<long>(std::max<std::size_t>(1, train.size() / 3))),
      s.bpeMerges);
  writeTokenizerJson(files.tokenizer, vocabulary);
  // Read back through the reader every tokenizer.json goes through.
  const Tokenizer tokenizer = Tokenizer::load(files.tokenizer);
  const std::int64_t endOfText = *tokenizer.tokenId("<|endoftext|>");
  progress.report(kDataShare * 0.5, "tokenizing");
  std::vector<std::int64_t> stream;
  for (const std::string& document : train) {
    const std::vector<std::int64_t> ids = tokenizer.encode(document);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(endOfText);
  }
  // Pre-shuffled (L+1)-token samples, one per row, as Pythia's training data is stored.
  const std::size_t window = static_cast<std::size_t>(s.contextLength) + 1;
  std::vector<std::vector<std::int64_t>> rows;
  for (std::size_t at = 0; at + window <= stream.size(); at += window) {
    rows.emplace_back(stream.begin() + static_cast<long>(at), stream.begin() + static_cast<long>(at + window));
  }
  engine::SplitMix64 rng(s.seed ^ 0x73687566666C65ull);  // "shuffle"
  for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.next() % i]);
  writeMmidIdx(files.trainPrefix, rows, TokenDType::U16);
  std::vector<std::vector<std::int64_t>> heldOut;
  std::int64_t heldOutTokens = 0;
  for (std::size_t d = corpus.heldOutStart; d < corpus.documents.size(); ++d) {
    heldOut.push_back(tokenizer.encode(corpus.documents[d]));
    heldOut.back().push_back(endOfText);
    heldOutTokens += static_cast<std::int64_t>(heldOut.back().size());
  }
  writeMmidIdx(files.heldOutPrefix, heldOut, TokenDType::U16);
  // Model vocabulary padded to a multiple of 64, as Pythia pads 50277 to 50304.
  files.modelVocabulary = (tokenizer.vocabSize() + 63) / 64 * 64;
  files.description = corpus.description;
  const json manifest = {{"fingerprint", dataFingerprint(s)},
                         {"description", corpus.description},
                         {"documents", corpus.documents.size()},
                         {"held_out_documents", corpus.documents.size() - corpus.heldOutStart},
                         {"held_out_first_document", corpus.heldOutStart},
                         {"train_tokens", stream.size()},
                         {"train_rows", rows.size()},
                         {"held_out_tokens", heldOutTokens},
                         {"tokenizer_vocabulary", tokenizer.vocabSize()},
                         {"model_vocabulary", files.modelVocabulary},
                         {"bpe_merges", vocabulary.merges.size()}};
  std::ofstream(manifestPath) << manifest.dump(2) << "\n";  // written last: marks the data complete
  char line[96];
  std::snprintf(line, sizeof line, "data %.1f s", monotonicSeconds() - start);
  stages.push_back(line);
  return files;
}

engine::GptNeoxConfig modelConfig(const ExperimentModel& m, const ExperimentSettings& s, std::int64_t vocabulary) {
  engine::GptNeoxConfig c;
  c.vocabSize = vocabulary;
  c.hiddenSize = m.hiddenSize;
  c.numLayers = m.layers;
  c.numHeads = m.heads;
  c.intermediateSize = 4 * m.hiddenSize;
  c.maxPositions = std::max(256, s.contextLength);
  return c;
}

std::string stepFolder(const fs::path& modelDir, int step) { return (modelDir / ("step" + std::to_string(step))).string(); }

/// Writes a checkpoint folder under a temporary name and renames it into place.
void saveCheckpoint(const engine::GptNeoxModel& model, const fs::path& modelDir, int step, const std::string& tokenizer) {
  const fs::path final = stepFolder(modelDir, step);
  const fs::path temporary = modelDir / (".step" + std::to_string(step) + ".tmp");
  fs::remove_all(temporary);
  // float32 keeps resumed training exact (Pythia stores float16).
  engine::saveGptNeoxCheckpoint(model, temporary.string(), CheckpointFiles::Layout::Safetensors, at::kFloat);
  fs::copy_file(tokenizer, temporary / "tokenizer.json", fs::copy_options::overwrite_existing);
  fs::remove_all(final);
  fs::rename(temporary, final);
}

TrainingLog toTrainingLog(const std::string& name, const std::vector<engine::TrainingLogEntry>& entries, std::int64_t tokens) {
  TrainingLog log;
  log.modelName = name;
  log.tokensPerStep = tokens;
  log.loss.resize(static_cast<Eigen::Index>(entries.size()));
  log.learningRate.resize(static_cast<Eigen::Index>(entries.size()));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    log.steps.push_back(entries[i].step);
    log.loss(static_cast<Eigen::Index>(i)) = entries[i].loss;
    log.learningRate(static_cast<Eigen::Index>(i)) = entries[i].learningRate;
  }
  return log;
}

void writeLogCsv(const fs::path& path, const std::vector<engine::TrainingLogEntry>& entries) {
  std::ofstream out(path);
  out << "step,loss,learning_rate\n";
  for (const auto& e : entries) out << e.step << ',' << e.loss << ',' << e.learningRate << '\n';
}

/// Trains one model (or resumes it), writing every checkpoint of the schedule.
TrainingLog trainModel(const ExperimentSettings& s, std::size_t index, const DataFiles& data,
                       const std::function<void(double, const std::string&)>& report, std::vector<std::string>& stages) {
  const ExperimentModel& spec = s.models[index];
  const double start = monotonicSeconds();
  const fs::path modelDir = fs::path(s.outDir) / spec.name;
  fs::create_directories(modelDir);
  const std::string statePath = (modelDir / "trainer-state.safetensors").string();
  const engine::GptNeoxConfig config = modelConfig(spec, s, data.modelVocabulary);
  const std::vector<int> checkpoints = s.checkpointSteps();
  const std::set<int> checkpointSet(checkpoints.begin(), checkpoints.end());

  engine::TrainerSettings trainer;
  trainer.steps = s.trainSteps;
  trainer.batchSize = s.trainBatch;
  trainer.maxLearningRate = s.maxLearningRate;
  trainer.minLearningRate = s.minLearningRate;
  trainer.warmupSteps = s.warmupSteps;

  std::unique_ptr<engine::GptNeoxModel> model;
  int resumeStep = 0;
  if (fs::exists(statePath)) {
    std::map<std::string, std::string> metadata;
    engine::readSafetensors(statePath, &metadata);
    resumeStep = std::stoi(metadata.at("step"));
    if (!isCheckpointFolder(stepFolder(modelDir, resumeStep))) resumeStep = -1;  // state without weights: restart
  } else {
    resumeStep = -1;
  }
  if (resumeStep >= 0) {
    model = engine::loadGptNeoxCheckpoint(stepFolder(modelDir, resumeStep), at::kFloat).model;
  } else {
    model = engine::GptNeoxModel::randomlyInitialised(config, s.seed * 1000 + index);
  }
  engine::Trainer run(*model, openMmidIdx(data.trainPrefix), s.contextLength, trainer);
  if (resumeStep >= 0) {
    run.loadState(statePath);
  } else {
    saveCheckpoint(*model, modelDir, 0, data.tokenizer);
    run.saveState(statePath);
  }
  const bool alreadyDone = run.step() >= s.trainSteps;
  while (run.step() < s.trainSteps) {
    run.trainStep();
    report(static_cast<double>(run.step()) / s.trainSteps,
           spec.name + ": step " + std::to_string(run.step()) + "/" + std::to_string(s.trainSteps) + ", loss " +
               std::to_string(run.log().back().loss).substr(0, 5));
    if (checkpointSet.count(run.step())) {
      saveCheckpoint(*model, modelDir, run.step(), data.tokenizer);
      run.saveState(statePath);
      writeLogCsv(modelDir / "training_log.csv", run.log());
    }
  }
  char line[128];
  std::snprintf(line, sizeof line, "train %s (%lld parameters) %s", spec.name.c_str(),
                static_cast<long long>(model->parameterCount()),
                alreadyDone ? "(reused)" : (std::to_string(static_cast<int>(monotonicSeconds() - start)) + " s").c_str());
  stages.push_back(line);
  return toTrainingLog(spec.name, run.log(), static_cast<std::int64_t>(s.trainBatch) * s.contextLength);
}

}  // namespace

ExperimentReport runExperiment(const ExperimentSettings& s, ProgressToken& progress) {
  const double start = monotonicSeconds();
  if (s.models.empty()) throw std::invalid_argument("the experiment has no models");
  configureThreads(s.threads);
  fs::create_directories(s.outDir);
  ExperimentReport report;
  report.sessionPath = (fs::path(s.outDir) / "session.h5").string();

  const DataFiles data = prepareData(s, progress, report.stageTimes);
  progress.throwIfCancelled();

  // Training, weighted by parameters x steps (roughly each model's cost).
  std::vector<double> weights;
  for (const auto& m : s.models) weights.push_back(static_cast<double>(m.hiddenSize) * m.hiddenSize * m.layers + 1e4);
  const double totalWeight = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<TrainingLog> logs;
  double done = 0;
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    auto onStep = [&](double fraction, const std::string& stage) {
      progress.throwIfCancelled();
      progress.report(kDataShare + kTrainShare * (done + fraction * weights[i]) / totalWeight, stage);
    };
    logs.push_back(trainModel(s, i, data, onStep, report.stageTimes));
    done += weights[i];
  }
  writeTrainingLogs(report.sessionPath, logs);

  // Shells of every checkpoint, on held-out batches; finished runs are kept and skipped.
  const std::vector<int> steps = s.checkpointSteps();
  ComputeSettings compute;
  compute.batches = s.shellBatches;
  compute.batchSize = s.shellBatchSize;
  compute.seqLen = s.contextLength;
  compute.lanczosSteps = s.lanczosSteps;
  compute.shellsPerDecade = s.shellsPerDecade;
  compute.threads = s.threads;
  compute.models = {"experiment"};
  ShellWindowPolicy policy;
  policy.relativeFloor = compute.effectiveRelativeFloor();
  const std::shared_ptr<const TokenStream> heldOut = openMmidIdx(data.heldOutPrefix);
  const Session existing = readSession(report.sessionPath);
  const double shellStart = monotonicSeconds();
  int computed = 0;
  done = 0;
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    for (std::size_t c = 0; c < steps.size(); ++c) {
      const std::string& name = s.models[i].name;
      const bool present = std::any_of(existing.runs.begin(), existing.runs.end(), [&](const Run& r) {
        return r.meta.modelName == name && r.meta.step == steps[c];
      });
      const double before = done + weights[i] * c / steps.size();
      if (present) continue;
      CheckpointEntry entry;
      entry.path = stepFolder(fs::path(s.outDir) / name, steps[c]);
      entry.step = steps[c];
      entry.label = "step" + std::to_string(steps[c]);
      entry.modelName = name;
      CheckpointComputation checkpoint(compute, entry, heldOut);
      std::vector<BatchSpectrum> spectra;
      for (int b = 0; b < checkpoint.batchCount(); ++b) {
        spectra.push_back(checkpoint.computeBatch(b, [&](int step) {
          progress.throwIfCancelled();
          const double within = (b + static_cast<double>(step) / s.lanczosSteps) / checkpoint.batchCount();
          progress.report(kDataShare + kTrainShare +
                              (1 - kDataShare - kTrainShare) * (before + weights[i] * within / steps.size()) / totalWeight,
                          "shells " + name + " step " + std::to_string(steps[c]) + ": batch " + std::to_string(b + 1) +
                              "/" + std::to_string(checkpoint.batchCount()));
        }));
      }
      appendRuns(report.sessionPath, {assembleRun(checkpoint.metadata(), std::move(spectra), policy)});
      ++computed;
    }
    done += weights[i];
  }
  char line[96];
  std::snprintf(line, sizeof line, "shells: %d run(s) computed in %.0f s", computed, monotonicSeconds() - shellStart);
  report.stageTimes.push_back(line);
  progress.report(1.0, "done");
  report.seconds = monotonicSeconds() - start;
  return report;
}

}  // namespace shellscope

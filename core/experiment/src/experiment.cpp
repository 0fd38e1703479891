// The built-in experiment (shellscope/experiment/experiment.h): data, training, shells, each resumable.
#include "shellscope/experiment/experiment.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "checkpoints/checkpoint_io.h"
#include "checkpoints/safetensors.h"
#include "models/gpt_neox.h"
#include "models/synthetic_data.h"
#include "shellscope/base/csv.h"
#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"
#include "shellscope/data/token_data.h"
#include "shellscope/data/tokenizer.h"
#include "shellscope/engine/compute.h"
#include "shellscope/engine/runtime.h"
#include "shellscope/experiment/bpe_trainer.h"
#include "shellscope/experiment/synthetic_language.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/series_transport.h"
#include "shellscope/transport/transport_file.h"
#include "trainer.h"

namespace shellscope {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// A lazy (α = `lazy`) and a rich (α = 1) lab run of one model, otherwise alike.
std::vector<LabRunSettings> lazyAndRich(LabRunSettings rich, double lazy) {
  LabRunSettings lazyRun = rich;
  lazyRun.outputScale = lazy;
  return {rich, lazyRun};
}

bool sameLabSettings(const LabRunSettings& a, const LabRunSettings& b) {
  return a.model == b.model && a.objective == b.objective && a.points == b.points && a.seqLen == b.seqLen &&
         a.steps == b.steps && a.every == b.every && a.learningRate == b.learningRate && a.outputScale == b.outputScale &&
         a.scaleOn == b.scaleOn && a.seed == b.seed && a.shellsPerDecade == b.shellsPerDecade &&
         a.batchRows == b.batchRows && a.momentum == b.momentum;
}

}  // namespace

ExperimentSettings ExperimentSettings::standard() {
  ExperimentSettings s;
  s.models = {{"nano-150k", 48, 2, 3}, {"nano-500k", 96, 3, 6}, {"nano-1.5m", 160, 4, 5}};
  // docs/lab.md's lazy-against-rich configuration: ratio 9.7 (α = 1) against 1.2 (α = 16).
  LabRunSettings lab;
  lab.model = "builtin:nano-lm";
  lab.objective = lab::Objective::CrossEntropy;
  lab.points = 64;
  lab.seqLen = 32;
  lab.steps = 80;
  lab.every = 2;
  lab.learningRate = 0.005;
  s.labRuns = lazyAndRich(lab, 16.0);
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
  LabRunSettings lab;
  lab.model = "builtin:mlp";
  lab.points = 32;
  lab.steps = 20;
  s.labRuns = lazyAndRich(lab, 16.0);
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

/// Share of the progress bar for preparing the data.
constexpr double kDataShare = 0.02;
constexpr double kShellShare = 0.96;  // then the lab runs

std::string dataFingerprint(const ExperimentSettings& s) {
  return "seed=" + std::to_string(s.seed) + ",bytes=" + std::to_string(s.corpusBytes) +
         ",merges=" + std::to_string(s.bpeMerges) + ",context=" + std::to_string(s.contextLength) + ",format=1";
}

DataFiles prepareData(const ExperimentSettings& s, const ProgressToken& progress, std::vector<std::string>& stages) {
  const double start = monotonicSeconds();
  const fs::path dir = fs::path(s.outDir) / "data";
  DataFiles files;
  files.tokenizer = (dir / "tokenizer.json").string();
  files.trainPrefix = (dir / "train").string();
  files.heldOutPrefix = (dir / "heldout").string();
  const fs::path manifestPath = dir / "corpus.json";
  if (fs::exists(manifestPath)) {
    requireRegularFile(manifestPath.string());
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
  progress.report(0.2, "learning the BPE vocabulary");
  const BpeVocabulary vocabulary = trainByteLevelBpe(
      std::vector<std::string>(train.begin(), train.begin() + static_cast<long>(std::max<std::size_t>(1, train.size() / 3))),
      s.bpeMerges);
  writeTokenizerJson(files.tokenizer, vocabulary);
  // Read back through the reader every tokenizer.json goes through.
  const Tokenizer tokenizer = Tokenizer::load(files.tokenizer);
  const std::int64_t endOfText = *tokenizer.tokenId("<|endoftext|>");
  progress.report(0.5, "tokenizing");
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
void saveCheckpoint(const engine::ModelFunction& model, const fs::path& modelDir, int step, const std::string& tokenizer) {
  const fs::path final = stepFolder(modelDir, step);
  const fs::path temporary = modelDir / (".step" + std::to_string(step) + ".tmp");
  fs::remove_all(temporary);
  // float32 keeps resumed training exact (Pythia stores float16).
  engine::saveCheckpoint(model, temporary.string(), CheckpointFiles::Layout::Safetensors, at::kFloat);
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
  CsvWriter csv(out);
  csv.header({"step", "loss", "learning_rate"});
  for (const auto& e : entries) csv.integer(e.step).number(e.loss).number(e.learningRate).endRow();
  if (!out) throw FileFormatError(path.string(), "cannot write the training log");
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

  std::unique_ptr<engine::ModelFunction> model;
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
    model = engine::loadCheckpoint(stepFolder(modelDir, resumeStep), at::kFloat).model;
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

namespace {

/// Runs tasks on `workers` threads; a task may wait for a model's training. Small models keep a
/// core busy less well than two single-threaded tasks side by side (measured on 2 cores: a
/// training step of the largest model takes 68 ms on one thread and 70 ms on two), so the
/// experiment runs one single-threaded task per core.
class TaskScheduler {
 public:
  struct Task {
    std::string label;
    double weight = 1;          ///< estimated cost, for the progress bar
    int needsModel = -1;        ///< index of a model whose training must finish first
    int trainsModel = -1;       ///< index of the model this task trains
    std::function<void(const std::function<void(double)>&)> run;  ///< gets a fraction-done callback
  };

  /// Reports the work done over all tasks to `progress` (0..1).
  TaskScheduler(std::size_t models, ProgressToken progress) : trained_(models, false), progress_(std::move(progress)) {}

  void add(Task task) {
    total_ += task.weight;
    tasks_.push_back(std::move(task));
  }

  void run(int workers) {
    partial_.assign(static_cast<std::size_t>(workers), 0.0);
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back([this, w] { work(static_cast<std::size_t>(w)); });
    for (auto& t : threads) t.join();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void work(std::size_t worker) {
    while (true) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        while (true) {
          if (failure_ || tasks_.empty()) return;
          const auto ready = std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& t) {
            return t.needsModel < 0 || trained_[static_cast<std::size_t>(t.needsModel)];
          });
          if (ready != tasks_.end()) {
            task = std::move(*ready);
            tasks_.erase(ready);
            break;
          }
          ready_.wait(lock);
        }
      }
      try {
        task.run([&](double fraction) { report(worker, task, fraction); });
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
        progress_.cancel();  // the other worker stops at its next step
        ready_.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      done_ += task.weight;
      partial_[worker] = 0;
      if (task.trainsModel >= 0) trained_[static_cast<std::size_t>(task.trainsModel)] = true;
      ready_.notify_all();
    }
  }

  void report(std::size_t worker, const Task& task, double fraction) {
    progress_.throwIfCancelled();
    double overall;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      partial_[worker] = fraction * task.weight;
      overall = done_;
      for (double p : partial_) overall += p;
    }
    progress_.report(overall / total_, task.label);
  }

  std::deque<Task> tasks_;
  std::vector<bool> trained_;
  std::vector<double> partial_;
  double total_ = 0, done_ = 0;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::exception_ptr failure_;
  ProgressToken progress_;
};

/// Parameters of a model of this shape (for the progress weights, before any model exists).
double parameterEstimate(const ExperimentModel& m, std::int64_t vocabulary) {
  const double h = m.hiddenSize;
  return 2.0 * vocabulary * h + m.layers * 12.0 * h * h;
}

}  // namespace

namespace {

/// The by-difference flux of every model's checkpoint series (/transport), unless the session
/// already holds one over the same runs.
void addSeriesTransport(const std::string& sessionPath, std::vector<std::string>& stages) {
  const double start = monotonicSeconds();
  const Session session = readSession(sessionPath);
  const std::vector<transport::SeriesTransport> stored = transport::readTransports(sessionPath);
  std::set<std::string> models;
  for (const Run& run : session.runs) models.insert(run.meta.modelName);
  int added = 0;
  for (const std::string& model : models) {
    transport::TransportSettings settings;
    settings.modelName = model;
    transport::SeriesTransport estimate;
    try {
      estimate = transport::estimateTransport(session, settings);
    } catch (const std::invalid_argument& error) {  // a series that cannot be estimated is reported, not fatal
      stages.push_back("transport " + model + ": not estimated (" + error.what() + ")");
      continue;
    }
    const bool present = std::any_of(stored.begin(), stored.end(), [&](const transport::SeriesTransport& t) {
      return t.modelName == model && t.runIds == estimate.runIds;
    });
    if (present) continue;
    transport::appendTransport(sessionPath, estimate);
    ++added;
  }
  char line[96];
  std::snprintf(line, sizeof line, "transport: %d series estimated, %.1f s", added, monotonicSeconds() - start);
  stages.push_back(line);
}

/// The settings' exact lab runs (/lab), those already in the session skipped.
void addLabRuns(const ExperimentSettings& s, const std::string& sessionPath, const ProgressToken& progress,
                std::vector<std::string>& stages) {
  const std::vector<LabRun> stored = readLabRuns(sessionPath);
  for (std::size_t i = 0; i < s.labRuns.size(); ++i) {
    const LabRunSettings& wanted = s.labRuns[i];
    const double start = monotonicSeconds();
    const bool present = std::any_of(stored.begin(), stored.end(), [&](const LabRun& r) { return sameLabSettings(r.settings, wanted); });
    char line[128];
    if (!present) {
      const auto share = static_cast<double>(s.labRuns.size());
      LabRunSettings settings = wanted;
      settings.threads = s.threads;
      const LabRun run = runLab(settings, progress.part(static_cast<double>(i) / share, static_cast<double>(i + 1) / share));
      appendLabRun(sessionPath, run);
    }
    std::snprintf(line, sizeof line, "lab %s alpha %g: %.1f s%s", wanted.model.c_str(), wanted.outputScale,
                  monotonicSeconds() - start, present ? " (reused)" : "");
    stages.push_back(line);
  }
}

}  // namespace

ExperimentReport runExperiment(const ExperimentSettings& s, const ProgressToken& progress) {
  const double start = monotonicSeconds();
  if (s.models.empty()) throw std::invalid_argument("the experiment has no models");
  fs::create_directories(s.outDir);
  ExperimentReport report;
  report.sessionPath = (fs::path(s.outDir) / "session.h5").string();
  configureThreads(s.threads);
  const DataFiles data = prepareData(s, progress.part(0.0, kDataShare), report.stageTimes);
  progress.throwIfCancelled();

  // One single-threaded task per core (see TaskScheduler).
  const int workers = std::max(1, s.threads > 0 ? s.threads : runtimeInfo().hardwareThreads);
  configureThreads(1);

  std::mutex sessionMutex;  // HDF5 (Debian's serial build) is not thread-safe; neither are stage notes
  std::vector<TrainingLog> logs(s.models.size());
  const std::vector<int> steps = s.checkpointSteps();
  const Session existing = fs::exists(report.sessionPath) ? readSession(report.sessionPath) : Session{};
  ComputeSettings compute;
  compute.batches = s.shellBatches;
  compute.batchSize = s.shellBatchSize;
  compute.seqLen = s.contextLength;
  compute.lanczosSteps = s.lanczosSteps;
  compute.shellsPerDecade = s.shellsPerDecade;
  compute.threads = 1;
  compute.device = s.device;
  compute.models = {"experiment"};
  const std::shared_ptr<const TokenStream> heldOut = openMmidIdx(data.heldOutPrefix);
  std::atomic<int> computed{0};
  const double shellStart = monotonicSeconds();

  TaskScheduler scheduler(s.models.size(), progress.part(kDataShare, kShellShare));
  // Training first, largest model first (the longest task starts earliest).
  std::vector<std::size_t> bySize(s.models.size());
  std::iota(bySize.begin(), bySize.end(), 0);
  std::sort(bySize.begin(), bySize.end(), [&](std::size_t a, std::size_t b) {
    return parameterEstimate(s.models[a], data.modelVocabulary) > parameterEstimate(s.models[b], data.modelVocabulary);
  });
  for (std::size_t i : bySize) {
    TaskScheduler::Task task;
    task.label = "training " + s.models[i].name;
    task.weight = parameterEstimate(s.models[i], data.modelVocabulary) * s.trainSteps;
    task.trainsModel = static_cast<int>(i);
    task.run = [&, i](const std::function<void(double)>& fraction) {
      std::vector<std::string> notes;
      logs[i] = trainModel(s, i, data, [&](double f, const std::string&) { fraction(f); }, notes);
      std::lock_guard<std::mutex> lock(sessionMutex);
      report.stageTimes.insert(report.stageTimes.end(), notes.begin(), notes.end());
    };
    scheduler.add(std::move(task));
  }
  // Shells of every checkpoint on held-out batches; runs already in the session are kept.
  for (auto it = bySize.rbegin(); it != bySize.rend(); ++it) {
    const std::size_t i = *it;
    const std::string& name = s.models[i].name;
    for (int step : steps) {
      const bool present = std::any_of(existing.runs.begin(), existing.runs.end(), [&](const Run& r) {
        return r.meta.modelName == name && r.meta.step == step;
      });
      if (present) continue;
      TaskScheduler::Task task;
      task.label = "shells " + name + " step " + std::to_string(step);
      task.weight = parameterEstimate(s.models[i], data.modelVocabulary) * s.shellBatches * s.lanczosSteps;
      task.needsModel = static_cast<int>(i);
      task.run = [&, step, name](const std::function<void(double)>& fraction) {
        CheckpointEntry entry;
        entry.path = stepFolder(fs::path(s.outDir) / name, step);
        entry.step = step;
        entry.label = "step" + std::to_string(step);
        entry.modelName = name;
        CheckpointComputation checkpoint(compute, entry, heldOut);
        // This task runs beside another one: the scheduler combines their fractions.
        Run run = computeRun(checkpoint, progress.reportingTo([&](const ProgressEvent& e) { fraction(e.fraction); }));
        std::lock_guard<std::mutex> lock(sessionMutex);
        appendRuns(report.sessionPath, {std::move(run)});
        ++computed;
      };
      scheduler.add(std::move(task));
    }
  }
  try {
    scheduler.run(workers);
  } catch (...) {
    configureThreads(s.threads);
    throw;
  }
  configureThreads(s.threads);
  writeTrainingLogs(report.sessionPath, logs);

  char line[96];
  std::snprintf(line, sizeof line, "shells: %d run(s) computed; training and shells %.0f s on %d worker(s)",
                computed.load(), monotonicSeconds() - shellStart, workers);
  report.stageTimes.push_back(line);
  addSeriesTransport(report.sessionPath, report.stageTimes);
  addLabRuns(s, report.sessionPath, progress.part(kShellShare, 1.0), report.stageTimes);
  progress.report(1.0, "done");
  report.seconds = monotonicSeconds() - start;
  return report;
}

}  // namespace shellscope

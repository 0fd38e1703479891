#include "shellscope/session/csv_export.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "shellscope/base/csv.h"

namespace shellscope {

namespace fs = std::filesystem;

namespace {

/// A CSV file being written; throws naming the file when it cannot be created or written.
class CsvFile {
 public:
  explicit CsvFile(const fs::path& path) : path_(path.string()), out_(path), csv_(out_) {
    if (!out_) throw std::runtime_error(path_ + ": cannot create file");
  }
  CsvWriter& csv() { return csv_; }
  /// Flushes and checks; returns the path.
  std::string close() {
    out_.flush();
    if (!out_) throw std::runtime_error(path_ + ": write failed");
    return path_;
  }

 private:
  std::string path_;
  std::ofstream out_;
  CsvWriter csv_;
};

}  // namespace

std::vector<std::string> exportSessionCsv(const Session& session, const std::string& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (!fs::is_directory(directory)) throw std::runtime_error(directory + ": cannot create directory");
  std::vector<std::string> written;

  CsvFile runs(fs::path(directory) / "runs.csv");
  runs.csv().header({"run_id", "model_name", "checkpoint", "step", "n_params", "observable", "device", "dtype",
                     "lanczos_mode", "lanczos_steps", "shells_per_decade", "batch_size", "seq_len", "n_batches",
                     "data_source", "mean_loss", "mean_error_norm2", "peak_shell_lambda", "adaptive_tolerance",
                     "lanczos_max_steps"});
  for (const Run& run : session.runs) {
    const RunMetadata& m = run.meta;
    const int peak = run.peakShell();
    runs.csv().text(run.id).text(m.modelName).text(m.checkpoint).integer(m.step).integer(m.nParams).text(m.observable);
    runs.csv().text(m.device).text(m.dtype).text(m.lanczosMode).integer(m.lanczosSteps).integer(m.shellsPerDecade);
    runs.csv().integer(m.batchSize).integer(m.seqLen).integer(run.batchCount()).text(m.dataSource);
    runs.csv().number(run.loss.mean()).number(run.meanErrorNorm2());
    runs.csv().number(peak >= 0 ? run.window.centre(peak) : std::nan(""));
    runs.csv().number(m.adaptiveTolerance).integer(m.lanczosMaxSteps > 0 ? m.lanczosMaxSteps : m.lanczosSteps).endRow();
  }
  written.push_back(runs.close());

  for (const Run& run : session.runs) {
    CsvFile shells(fs::path(directory) / (run.id + ".shells.csv"));
    CsvWriter& s = shells.csv();
    // Quadrature bounds (lower, upper, unconverged 0/1) and smooth shells; empty bounds for runs
    // from sessions written before them.
    const bool bounds = run.hasQuadratureBounds();
    const std::vector<bool> unconverged = run.unconvergedShells();
    s.text("shell").text("lambda_low").text("lambda_high").text("lambda_centre").text("energy_mean");
    s.text("energy_lower").text("energy_upper").text("unconverged").text("smooth_energy_mean");
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      s.text("energy_batch_" + std::to_string(run.batchIndex[static_cast<size_t>(b)]));
    }
    s.endRow();
    for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
      const int shell = static_cast<int>(j);
      s.integer(j).number(run.window.edge(shell)).number(run.window.edge(shell + 1)).number(run.window.centre(shell));
      s.number(run.shellEnergy(j));
      if (bounds) {
        s.number(run.shellEnergyLower(j)).number(run.shellEnergyUpper(j)).integer(unconverged[static_cast<size_t>(j)] ? 1 : 0);
      } else {
        s.text("").text("").text("");
      }
      s.number(run.smoothShellEnergy.size() == run.shellCount() ? run.smoothShellEnergy(j) : std::nan(""));
      for (Eigen::Index b = 0; b < run.batchCount(); ++b) s.number(run.shellEnergyBatches(b, j));
      s.endRow();
    }
    written.push_back(shells.close());

    CsvFile batches(fs::path(directory) / (run.id + ".batches.csv"));
    batches.csv().header({"batch", "n_tokens", "loss", "error_norm2", "underflow", "overflow", "steps_taken",
                          "orthogonality_loss"});
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      const size_t i = static_cast<size_t>(b);
      batches.csv().integer(run.batchIndex[i]).integer(run.nTokens[i]).number(run.loss(b)).number(run.errorNorm2(b));
      batches.csv().number(run.underflow(b)).number(run.overflow(b)).integer(run.stepsTaken[i]);
      batches.csv().number(run.orthogonalityLoss(b)).endRow();
    }
    written.push_back(batches.close());

    CsvFile ritz(fs::path(directory) / (run.id + ".ritz.csv"));
    ritz.csv().header({"batch", "index", "ritz_value", "weight", "mass"});
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      for (Eigen::Index i = 0; i < run.stepsTaken[static_cast<size_t>(b)] && i < run.ritzValues.cols(); ++i) {
        ritz.csv().integer(run.batchIndex[static_cast<size_t>(b)]).integer(i).number(run.ritzValues(b, i));
        ritz.csv().number(run.ritzWeights(b, i)).number(run.errorNorm2(b) * run.ritzWeights(b, i)).endRow();
      }
    }
    written.push_back(ritz.close());
  }
  return written;
}

}  // namespace shellscope

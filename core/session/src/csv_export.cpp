#include "shellscope/session/csv_export.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace shellscope {

namespace fs = std::filesystem;

namespace {

/// Quotes a CSV field when it holds a separator, quote or newline.
std::string field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  std::ostringstream out;
  out << std::setprecision(17) << value;
  return out.str();
}

class CsvFile {
 public:
  explicit CsvFile(const fs::path& path) : path_(path.string()), out_(path) {
    if (!out_) throw std::runtime_error(path_ + ": cannot create file");
  }
  template <typename... Fields>
  void row(const Fields&... fields) {
    bool first = true;
    ((out_ << (first ? "" : ",") << fields, first = false), ...);
    out_ << '\n';
  }
  std::ofstream& stream() { return out_; }
  const std::string& path() const { return path_; }
  ~CsvFile() = default;

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace

std::vector<std::string> exportSessionCsv(const Session& session, const std::string& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (!fs::is_directory(directory)) throw std::runtime_error(directory + ": cannot create directory");
  std::vector<std::string> written;

  CsvFile runs(fs::path(directory) / "runs.csv");
  runs.row("run_id", "model_name", "checkpoint", "step", "n_params", "observable", "device", "dtype",
           "lanczos_mode", "lanczos_steps", "shells_per_decade", "batch_size", "seq_len", "n_batches",
           "data_source", "mean_loss", "mean_error_norm2", "peak_shell_lambda");
  for (const Run& run : session.runs) {
    const RunMetadata& m = run.meta;
    const int peak = run.peakShell();
    runs.row(field(run.id), field(m.modelName), field(m.checkpoint), m.step, m.nParams, field(m.observable),
             field(m.device), field(m.dtype), field(m.lanczosMode), m.lanczosSteps, m.shellsPerDecade, m.batchSize,
             m.seqLen, run.batchCount(), field(m.dataSource), number(run.loss.mean()), number(run.meanErrorNorm2()),
             peak >= 0 ? number(run.window.centre(peak)) : std::string("nan"));
  }
  written.push_back(runs.path());

  for (const Run& run : session.runs) {
    CsvFile shells(fs::path(directory) / (run.id + ".shells.csv"));
    std::ostringstream header;
    header << "shell,lambda_low,lambda_high,lambda_centre,energy_mean";
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) header << ",energy_batch_" << run.batchIndex[static_cast<size_t>(b)];
    shells.stream() << header.str() << '\n';
    for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
      const int shell = static_cast<int>(j);
      shells.stream() << j << ',' << number(run.window.edge(shell)) << ',' << number(run.window.edge(shell + 1)) << ','
                      << number(run.window.centre(shell)) << ',' << number(run.shellEnergy(j));
      for (Eigen::Index b = 0; b < run.batchCount(); ++b) shells.stream() << ',' << number(run.shellEnergyBatches(b, j));
      shells.stream() << '\n';
    }
    written.push_back(shells.path());

    CsvFile batches(fs::path(directory) / (run.id + ".batches.csv"));
    batches.row("batch", "n_tokens", "loss", "error_norm2", "underflow", "overflow", "steps_taken", "orthogonality_loss");
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      const size_t i = static_cast<size_t>(b);
      batches.row(run.batchIndex[i], run.nTokens[i], number(run.loss(b)), number(run.errorNorm2(b)),
                  number(run.underflow(b)), number(run.overflow(b)), run.stepsTaken[i], number(run.orthogonalityLoss(b)));
    }
    written.push_back(batches.path());

    CsvFile ritz(fs::path(directory) / (run.id + ".ritz.csv"));
    ritz.row("batch", "index", "ritz_value", "weight", "mass");
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      for (Eigen::Index i = 0; i < run.stepsTaken[static_cast<size_t>(b)] && i < run.ritzValues.cols(); ++i) {
        ritz.row(run.batchIndex[static_cast<size_t>(b)], i, number(run.ritzValues(b, i)), number(run.ritzWeights(b, i)),
                 number(run.errorNorm2(b) * run.ritzWeights(b, i)));
      }
    }
    written.push_back(ritz.path());
  }
  return written;
}

}  // namespace shellscope

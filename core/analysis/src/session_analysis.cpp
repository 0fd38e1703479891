// Session-wide analysis: every run, every model's trends, the alignment of consecutive sizes.
// Its storage under /analysis is analysis_file.cpp.
#include "shellscope/analysis/session_analysis.h"

#include "shellscope/analysis/generalisation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>


namespace shellscope::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

/// FNV-1a, 64 bits.
class Digest {
 public:
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001B3ull;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  template <typename T>
  void addValue(T value) {
    add(&value, sizeof value);
  }
  std::string hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash_));
    return buffer;
  }

 private:
  std::uint64_t hash_ = 0xCBF29CE484222325ull;
};
}  // namespace

std::string runFingerprint(const Run& run) {
  Digest d;
  d.add(run.id);
  d.add(run.meta.modelName);
  d.addValue(run.meta.step);
  d.addValue(run.window.shellsPerDecade);
  d.addValue(run.window.firstEdgeIndex);
  d.addValue(run.window.shellCount);
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> energies = run.shellEnergyBatches;
  d.add(energies.data(), sizeof(double) * static_cast<std::size_t>(energies.size()));
  d.add(run.errorNorm2.data(), sizeof(double) * static_cast<std::size_t>(run.errorNorm2.size()));
  d.add(run.loss.data(), sizeof(double) * static_cast<std::size_t>(run.loss.size()));
  return d.hex();
}

const RunAnalysis* SessionAnalysis::findRun(const std::string& runId) const {
  for (const RunAnalysis& r : runs) {
    if (r.runId == runId) return &r;
  }
  return nullptr;
}

const ModelTrends* SessionAnalysis::findTrends(const std::string& modelName) const {
  for (const ModelTrends& t : trends) {
    if (t.modelName == modelName) return &t;
  }
  return nullptr;
}

SessionAnalysis analyzeSession(const Session& session, const AnalysisOptions& options, const ProgressToken* progress) {
  std::vector<RunAnalysis> runs;
  for (std::size_t i = 0; i < session.runs.size(); ++i) {
    if (progress) {
      progress->throwIfCancelled();
      progress->report(static_cast<double>(i) / static_cast<double>(session.runs.size() + 1),
                       "analysing " + session.runs[i].id);
    }
    RunAnalysis a = analyzeRun(session.runs[i], options);
    a.fingerprint = runFingerprint(session.runs[i]);
    runs.push_back(std::move(a));
  }
  SessionAnalysis result = summarizeSession(session, std::move(runs), options);
  if (progress) progress->report(1.0, "analysis done");
  return result;
}

SessionAnalysis summarizeSession(const Session& session, std::vector<RunAnalysis> runs, const AnalysisOptions& options) {
  SessionAnalysis result;
  result.options = options;
  result.runs = std::move(runs);
  result.heldOut = analyzeHeldOutRuns(session, options);
  result.heldOutWindows = heldOutWindows(result.heldOut);
  // Models in order of size, for trends and alignments.
  std::map<std::string, std::int64_t> size;
  for (const Run& run : session.runs) size[run.meta.modelName] = run.meta.nParams;
  std::vector<std::string> models;
  for (const auto& [name, p] : size) models.push_back(name);
  std::sort(models.begin(), models.end(), [&](const auto& a, const auto& b) { return size[a] < size[b]; });
  for (const std::string& model : models) {
    std::vector<const RunAnalysis*> runs;
    for (const RunAnalysis& r : result.runs) {
      if (r.modelName == model) runs.push_back(&r);
    }
    const auto window = options.trendWindows.find(model);
    result.trends.push_back(modelTrends(model, runs, session.findTrainingLog(model),
                                        window == options.trendWindows.end() ? nullptr : &window->second,
                                        options.confidence));
  }
  // Consecutive sizes at their largest common step.
  for (std::size_t m = 0; m + 1 < models.size(); ++m) {
    std::map<std::int64_t, const Run*> a, b;
    for (const Run& run : session.runs) {
      if (run.meta.modelName == models[m]) a[run.meta.step] = &run;
      if (run.meta.modelName == models[m + 1]) b[run.meta.step] = &run;
    }
    const Run* ra = nullptr;
    const Run* rb = nullptr;
    for (auto it = a.rbegin(); it != a.rend() && !ra; ++it) {
      if (b.count(it->first)) {
        ra = it->second;
        rb = b[it->first];
      }
    }
    if (ra) {
      result.alignments.push_back(alignProfiles(*ra, *rb, options));
    } else {
      Alignment none;
      none.reference = models[m];
      none.other = models[m + 1];
      none.amplitudeShift = none.amplitudeShiftError = none.peakDisplacement = none.peakDisplacementError = kNan;
      none.rmsResidual = kNan;
      none.status = AlignmentStatus::failure(AlignmentCode::NoCommonStep, "cannot align: the two models share no step");
      result.alignments.push_back(none);
    }
  }
  return result;
}

}  // namespace shellscope::analysis

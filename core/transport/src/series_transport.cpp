// The by-difference flux of a checkpoint series (series_transport.h):
//     J_{<=b} = ½ Σ_{γ<=b} (ΔE_γ/Δτ + 2 D̄_γ),   D̄ = ½ (D(k) + D(k+1)),   D_γ = Σ_{θ_i∈γ} θ_i m_i,
// per batch, averaged over the batches, with a bootstrap over batches that resamples the same
// batch indices at both ends of every interval. Tested against synthetic series with a known flux
// (tests/core/transport/test_series_transport.cpp) and against the exact lab (tests/core/experiment/
// test_lab_run.cpp, byDifferenceFluxTracksTheExactOne).
#include "shellscope/transport/series_transport.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "shellscope/analysis/profile_statistics.h"
#include "shellscope/base/build_config.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/lab/cumulative_flux.h"
#include "shellscope/lab/shell_bins.h"
#include "shellscope/session/session.h"

namespace shellscope::transport {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string stepText(const Run& run) { return run.id + " (step " + std::to_string(run.meta.step) + ")"; }

/// Row of each batch index in a run.
std::map<std::int64_t, Eigen::Index> rowsByBatch(const Run& run) {
  std::map<std::int64_t, Eigen::Index> rows;
  for (Eigen::Index r = 0; r < static_cast<Eigen::Index>(run.batchIndex.size()); ++r) rows[run.batchIndex[r]] = r;
  return rows;
}

/// D̈ of every bin at checkpoint k (1 <= k <= K − 2) from the mean D of checkpoints k − 1, k, k + 1.
Eigen::VectorXd secondDerivative(const Eigen::MatrixXd& dissipation, const std::vector<double>& tau, Eigen::Index k) {
  const auto at = [&](Eigen::Index i) { return tau[static_cast<std::size_t>(i)]; };
  const Eigen::VectorXd left = (dissipation.row(k) - dissipation.row(k - 1)).transpose() / (at(k) - at(k - 1));
  const Eigen::VectorXd right = (dissipation.row(k + 1) - dissipation.row(k)).transpose() / (at(k + 1) - at(k));
  return 2.0 * (right - left) / (at(k + 1) - at(k - 1));
}

/// Σ_{γ<=b} Δτ² D̈_γ / 12 for interval k: the trapezoid's leading error, D̈ the mean of its
/// estimates at the interval's two ends (one of them at the series' ends; NaN for K = 2).
Eigen::VectorXd trapezoidBias(const Eigen::MatrixXd& dissipation, const std::vector<double>& tau, Eigen::Index k) {
  const Eigen::Index K = dissipation.rows();
  const Eigen::Index bins = dissipation.cols();
  if (K < 3) return Eigen::VectorXd::Constant(bins, kNaN);
  Eigen::VectorXd curvature = Eigen::VectorXd::Zero(bins);
  int count = 0;
  for (Eigen::Index centre : {k, k + 1}) {
    if (centre >= 1 && centre <= K - 2) {
      curvature += secondDerivative(dissipation, tau, centre);
      ++count;
    }
  }
  curvature /= count;
  const double dtau = tau[static_cast<std::size_t>(k + 1)] - tau[static_cast<std::size_t>(k)];
  Eigen::VectorXd bias(bins);
  double sum = 0;
  for (Eigen::Index b = 0; b < bins; ++b) {
    sum += dtau * dtau * curvature(b) / 12.0;
    bias(b) = sum;
  }
  return bias;
}

}  // namespace

std::string toString(DissipationKind kind) {
  switch (kind) {
    case DissipationKind::Auto: return "auto";
    case DissipationKind::Error: return "error";
    case DissipationKind::CrossEntropy: return "cross-entropy";
  }
  return "auto";
}

DissipationKind parseDissipationKind(const std::string& text) {
  if (text == "auto") return DissipationKind::Auto;
  if (text == "error") return DissipationKind::Error;
  if (text == "cross-entropy") return DissipationKind::CrossEntropy;
  throw std::invalid_argument("unknown dissipation '" + text + "' (auto, error or cross-entropy)");
}

void TransportSettings::validate() const {
  if (bootstrapSamples < 0 || bootstrapSamples > 1000000) throw SettingError("bootstrap_samples", "must lie in 0..1000000");
  if (!(confidence > 0 && confidence < 1)) throw SettingError("confidence", "must lie strictly between 0 and 1");
  if (!schedule.empty()) {
    try {
      (void)LearningRateSchedule::parse(schedule);
    } catch (const std::invalid_argument& error) {
      throw SettingError("schedule", std::string("is not a schedule: ") + error.what());
    }
  }
}

BinnedRun binRun(const Run& run, const ShellWindow& window) {
  const int bins = lab::binCount(window);
  const Eigen::Index batches = run.batchCount();
  BinnedRun binned{Eigen::MatrixXd::Zero(batches, bins), Eigen::MatrixXd::Zero(batches, bins), {}};
  for (Eigen::Index b = 0; b < batches; ++b) {
    const auto steps = static_cast<Eigen::Index>(run.stepsTaken[static_cast<std::size_t>(b)]);
    for (Eigen::Index i = 0; i < steps && i < run.ritzValues.cols(); ++i) {
      const double theta = run.ritzValues(b, i), mass = run.errorNorm2(b) * run.ritzWeights(b, i);
      if (!std::isfinite(theta) || !std::isfinite(mass)) continue;
      const int bin = lab::binOf(window, theta);
      binned.energy(b, bin) += mass;
      binned.dissipation(b, bin) += std::max(theta, 0.0) * mass;
    }
  }
  const PolarisedQuadratures& q = run.polarisation;
  if (!q.empty()) {
    binned.crossDissipation = Eigen::MatrixXd::Zero(batches, bins);
    for (Eigen::Index b = 0; b < batches; ++b) {
      for (const auto& [values, weights, norm2, sign] :
           {std::make_tuple(&q.plusValues, &q.plusWeights, q.plusNorm2(b), 0.25),
            std::make_tuple(&q.minusValues, &q.minusWeights, q.minusNorm2(b), -0.25)}) {
        for (Eigen::Index i = 0; i < values->cols() && std::isfinite((*values)(b, i)); ++i) {
          const double theta = (*values)(b, i), mass = norm2 * (*weights)(b, i);
          binned.crossDissipation(b, lab::binOf(window, theta)) += sign * std::max(theta, 0.0) * mass;
        }
      }
    }
  }
  return binned;
}

ShellWindow commonWindow(const std::vector<const Run*>& runs) {
  if (runs.empty()) throw std::invalid_argument("commonWindow: no runs");
  ShellWindow window = runs.front()->window;
  int first = window.firstEdgeIndex, last = window.firstEdgeIndex + window.shellCount;
  for (const Run* run : runs) {
    if (run->window.shellsPerDecade != window.shellsPerDecade) {
      throw std::invalid_argument(run->id + " has " + std::to_string(run->window.shellsPerDecade) + " shells per decade, " +
                                  runs.front()->id + " " + std::to_string(window.shellsPerDecade) +
                                  ": a series needs one shell grid");
    }
    first = std::min(first, run->window.firstEdgeIndex);
    last = std::max(last, run->window.firstEdgeIndex + run->window.shellCount);
  }
  window.firstEdgeIndex = first;
  window.shellCount = last - first;
  return window;
}

double TransportInterval::relativeClosure() const {
  const double dissipated = dissipationMean.cwiseAbs().sum();
  if (!(dissipated > 0) || cumulativeFlux.size() == 0) return kNaN;
  return cumulativeFlux(cumulativeFlux.size() - 1) / dissipated;
}

Eigen::MatrixXd SeriesTransport::cumulativeFluxMatrix() const {
  Eigen::MatrixXd j(static_cast<Eigen::Index>(intervals.size()), binCount());
  for (std::size_t k = 0; k < intervals.size(); ++k) j.row(static_cast<Eigen::Index>(k)) = intervals[k].cumulativeFlux.transpose();
  return j;
}

double SeriesTransport::maxRelativeClosure() const {
  double largest = kNaN;
  for (const TransportInterval& interval : intervals) {
    const double c = std::abs(interval.relativeClosure());
    if (std::isfinite(c) && !(c <= largest)) largest = c;
  }
  return largest;
}

std::vector<const Run*> selectSeries(const Session& session, const TransportSettings& settings) {
  std::vector<const Run*> runs;
  if (!settings.runIds.empty()) {
    for (const std::string& id : settings.runIds) {
      const Run* run = session.findRun(id);
      if (!run) throw std::invalid_argument("the session has no run " + id);
      runs.push_back(run);
    }
  } else {
    std::set<std::string> models;
    for (const Run& run : session.runs) models.insert(run.meta.modelName);
    std::string model = settings.modelName;
    if (model.empty()) {
      if (models.size() != 1) {
        std::string names;
        for (const std::string& name : models) names += (names.empty() ? "" : ", ") + name;
        throw std::invalid_argument(models.empty() ? std::string("the session has no runs")
                                                   : "the session holds several models (" + names + "): choose one");
      }
      model = *models.begin();
    }
    for (const Run& run : session.runs) {
      if (run.meta.modelName == model) runs.push_back(&run);
    }
    if (runs.empty()) throw std::invalid_argument("the session has no runs of model " + model);
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
  // Two runs at one step (a series recomputed with --cross-dissipation into the same session): the
  // one with the e ± 1 quadratures is kept when the other has none.
  for (std::size_t k = 1; k < runs.size();) {
    const Run& a = *runs[k - 1];
    const Run& b = *runs[k];
    if (a.meta.step == b.meta.step && a.polarisation.empty() != b.polarisation.empty()) {
      runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(a.polarisation.empty() ? k - 1 : k));
    } else {
      ++k;
    }
  }
  if (runs.size() < 2) throw std::invalid_argument("a flux needs at least two checkpoints; the series has " + std::to_string(runs.size()));
  const Run& first = *runs.front();
  const std::set<std::int64_t> batches(first.batchIndex.begin(), first.batchIndex.end());
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Run& run = *runs[k];
    if (run.meta.step < 0) throw std::invalid_argument(run.id + " has no training step (-1): its place in the series is unknown");
    if (k > 0 && run.meta.step == runs[k - 1]->meta.step) {
      throw std::invalid_argument(runs[k - 1]->id + " and " + run.id + " are both at step " + std::to_string(run.meta.step) +
                                  ": name the series' runs with --run");
    }
    if (std::set<std::int64_t>(run.batchIndex.begin(), run.batchIndex.end()).size() != run.batchIndex.size()) {
      throw std::invalid_argument(run.id + " lists a batch index twice: its batches cannot be paired");
    }
    if (run.meta.modelName != first.meta.modelName) {
      throw std::invalid_argument(run.id + " is of model " + run.meta.modelName + ", " + first.id + " of " + first.meta.modelName);
    }
    if (run.meta.observable != first.meta.observable) {
      throw std::invalid_argument(run.id + " measures " + run.meta.observable + ", " + first.id + " " + first.meta.observable);
    }
    const std::set<std::int64_t> own(run.batchIndex.begin(), run.batchIndex.end());
    if (own != batches || run.batchIndex.size() != first.batchIndex.size()) {
      throw std::invalid_argument(stepText(run) + " and " + stepText(first) +
                                  " were measured on different batches (batch indices differ): the by-difference flux "
                                  "needs the same batches at every checkpoint");
    }
    if (!run.meta.batchesSha256.empty() && !first.meta.batchesSha256.empty() &&
        run.meta.batchesSha256 != first.meta.batchesSha256) {
      throw std::invalid_argument(stepText(run) + " and " + stepText(first) +
                                  " were measured on different sample points (batches_sha256 differs): the by-difference "
                                  "flux needs the same batches at every checkpoint");
    }
  }
  return runs;
}

SeriesTime seriesTime(const Session& session, const std::vector<const Run*>& runs, const TransportSettings& settings) {
  std::vector<std::int64_t> steps;
  for (const Run* run : runs) steps.push_back(run->meta.step);
  if (settings.forceSteps) return timeInSteps(steps);
  if (!settings.schedule.empty()) return timeFromSchedule(LearningRateSchedule::parse(settings.schedule), steps);
  if (const TrainingLog* log = session.findTrainingLog(runs.front()->meta.modelName)) return timeFromLog(*log, steps);
  return timeInSteps(steps);
}

SeriesTransport estimateTransport(const Session& session, const TransportSettings& settings, const ProgressToken& progress) {
  settings.validate();
  std::vector<const Run*> runs = selectSeries(session, settings);
  SeriesTransport out;
  out.modelName = runs.front()->meta.modelName;
  out.time = seriesTime(session, runs, settings);
  // A checkpoint no time after the previous one (a warm-up whose first rate is 0) has no rate.
  for (std::size_t k = 1; k < runs.size();) {
    if (out.time.tau[k] == out.time.tau[k - 1]) {
      out.skipped.push_back(stepText(*runs[k]) + ": tau equals that of step " + std::to_string(runs[k - 1]->meta.step) +
                            " (" + out.time.description + ")");
      runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(k));
      out.time.tau.erase(out.time.tau.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      ++k;
    }
  }
  if (runs.size() < 2) throw std::invalid_argument("no time passes between the checkpoints (" + out.time.description + ")");
  out.window = commonWindow(runs);
  // Cross-entropy's dissipation belongs to language models (e = −log q); an mse series keeps D of e.
  const bool polarised = std::all_of(runs.begin(), runs.end(), [](const Run* r) { return !r->polarisation.empty(); });
  const bool languageModel = runs.front()->meta.observable == "lm-logprob";
  out.dissipationKind = settings.dissipation == DissipationKind::Auto
                            ? (polarised && languageModel ? DissipationKind::CrossEntropy : DissipationKind::Error)
                            : settings.dissipation;
  if (out.dissipationKind == DissipationKind::CrossEntropy && !polarised) {
    for (const Run* r : runs) {
      if (r->polarisation.empty()) {
        throw std::invalid_argument(stepText(*r) +
                                    " has no quadratures from e ± 1: compute it with --cross-dissipation for the "
                                    "cross-entropy dissipation");
      }
    }
  }
  out.batchIndex = runs.front()->batchIndex;
  std::sort(out.batchIndex.begin(), out.batchIndex.end());
  out.bootstrapSamples = settings.bootstrapSamples;
  out.confidence = settings.confidence;
  out.seed = settings.seed;
  out.createdAt = utcTimestamp();
  out.softwareVersion = std::string("shellscope ") + SHELLSCOPE_VERSION;

  const auto K = static_cast<Eigen::Index>(runs.size());
  const auto B = static_cast<Eigen::Index>(out.batchIndex.size());
  const int bins = out.binCount();
  // Every run's binned batches, rows reordered to the sorted batch indices.
  std::vector<BinnedRun> binned;
  for (const Run* run : runs) {
    out.runIds.push_back(run->id);
    out.steps.push_back(run->meta.step);
    const BinnedRun own = binRun(*run, out.window);
    const Eigen::MatrixXd& dissipation =
        out.dissipationKind == DissipationKind::CrossEntropy ? own.crossDissipation : own.dissipation;
    const auto rows = rowsByBatch(*run);
    BinnedRun sorted{Eigen::MatrixXd(B, bins), Eigen::MatrixXd(B, bins), {}};
    for (Eigen::Index r = 0; r < B; ++r) {
      const Eigen::Index from = rows.at(out.batchIndex[static_cast<std::size_t>(r)]);
      sorted.energy.row(r) = own.energy.row(from);
      sorted.dissipation.row(r) = dissipation.row(from);
    }
    binned.push_back(std::move(sorted));
  }
  out.energy.resize(K, bins);
  out.dissipation.resize(K, bins);
  for (Eigen::Index k = 0; k < K; ++k) {
    out.energy.row(k) = binned[static_cast<std::size_t>(k)].energy.colwise().mean();
    out.dissipation.row(k) = binned[static_cast<std::size_t>(k)].dissipation.colwise().mean();
  }

  const auto resamples = analysis::bootstrapResamples(B, settings.bootstrapSamples, settings.seed);
  for (Eigen::Index k = 0; k + 1 < K; ++k) {
    progress.throwIfCancelled();
    progress.report(static_cast<double>(k) / static_cast<double>(K - 1), "interval " + std::to_string(k + 1));
    const BinnedRun& a = binned[static_cast<std::size_t>(k)];
    const BinnedRun& b = binned[static_cast<std::size_t>(k + 1)];
    TransportInterval interval;
    interval.fromRun = runs[static_cast<std::size_t>(k)]->id;
    interval.toRun = runs[static_cast<std::size_t>(k + 1)]->id;
    interval.fromStep = out.steps[static_cast<std::size_t>(k)];
    interval.toStep = out.steps[static_cast<std::size_t>(k + 1)];
    interval.dtau = out.time.tau[static_cast<std::size_t>(k + 1)] - out.time.tau[static_cast<std::size_t>(k)];
    if (!(interval.dtau > 0) || !std::isfinite(interval.dtau)) {
      throw std::invalid_argument("steps " + std::to_string(interval.fromStep) + " and " + std::to_string(interval.toStep) +
                                  " are Δτ = " + std::to_string(interval.dtau) + " apart (" + out.time.description +
                                  "): a flux needs Δτ > 0");
    }
    interval.cumulativeFluxBatches.resize(B, bins);
    for (Eigen::Index r = 0; r < B; ++r) {
      const Eigen::VectorXd change = (b.energy.row(r) - a.energy.row(r)).transpose();
      const Eigen::VectorXd mean = 0.5 * (a.dissipation.row(r) + b.dissipation.row(r)).transpose();
      interval.cumulativeFluxBatches.row(r) = lab::cumulativeFluxByDifference(change, mean, interval.dtau).transpose();
    }
    interval.energyChange = (b.energy - a.energy).colwise().mean().transpose();
    interval.dissipationMean = (0.5 * (a.dissipation + b.dissipation)).colwise().mean().transpose();
    interval.cumulativeFlux = interval.cumulativeFluxBatches.colwise().mean().transpose();
    interval.discretisation = trapezoidBias(out.dissipation, out.time.tau, k);
    interval.standardError = Eigen::VectorXd::Constant(bins, kNaN);
    const Eigen::VectorXd widening = interval.discretisation.unaryExpr([](double d) { return std::isfinite(d) ? std::abs(d) : 0.0; });
    interval.low = interval.cumulativeFlux - widening;  // without resamples: the trapezoid's bias only
    interval.high = interval.cumulativeFlux + widening;
    if (!resamples.empty()) {
      std::vector<std::vector<double>> replicates(static_cast<std::size_t>(bins));
      for (const auto& resample : resamples) {
        Eigen::VectorXd sum = Eigen::VectorXd::Zero(bins);
        for (Eigen::Index r : resample) sum += interval.cumulativeFluxBatches.row(r).transpose();
        sum /= static_cast<double>(resample.size());
        for (int j = 0; j < bins; ++j) replicates[static_cast<std::size_t>(j)].push_back(sum(j));
      }
      for (int j = 0; j < bins; ++j) {
        const auto ci = analysis::bootstrapInterval(interval.cumulativeFlux(j), replicates[static_cast<std::size_t>(j)],
                                                    static_cast<int>(B), settings.confidence);
        interval.standardError(j) = ci.standardError;
        interval.low(j) = ci.low - widening(j);
        interval.high(j) = ci.high + widening(j);
      }
    }
    out.intervals.push_back(std::move(interval));
  }
  progress.report(1.0, "done");
  return out;
}

}  // namespace shellscope::transport

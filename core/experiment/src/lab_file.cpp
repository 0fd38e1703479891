// Lab runs in the session file under /lab/<id> (docs/session-format.md, "Lab runs"): the settings
// as attributes, one row per checkpoint (K) and per interval (K − 1) in every dataset, S' = S + 2
// bins (underflow, the S shells, overflow). Stored with the session's HDF5 helpers and atomic
// edit, like /analysis (core/analysis/src/analysis_file.cpp), so runs, /analysis and other lab runs
// are kept.
#include <H5Cpp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "hdf5_support.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"

namespace shellscope {

namespace fs = std::filesystem;
using namespace hdf5;

namespace {

constexpr const char* kLabFormat = "shellscope-lab-run";
constexpr std::int64_t kLabVersion = 1;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Rows of `items`, each `get(item)` a vector of `width` entries, as a [rows, width] dataset.
template <typename Item, typename Get>
void writeRows(H5::Group& g, const char* name, const std::vector<Item>& items, Eigen::Index width, Get get) {
  std::vector<double> data;
  data.reserve(items.size() * static_cast<std::size_t>(width));
  for (const Item& item : items) {
    const Eigen::VectorXd& v = get(item);
    if (v.size() != width) throw std::logic_error(std::string("lab run: ") + name + " has the wrong length");
    data.insert(data.end(), v.data(), v.data() + v.size());
  }
  writeDataset(g, name, data.data(), {static_cast<hsize_t>(items.size()), static_cast<hsize_t>(width)});
}

template <typename Item, typename Get>
void writeScalars(H5::Group& g, const char* name, const std::vector<Item>& items, Get get) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(items.size()));
  for (std::size_t i = 0; i < items.size(); ++i) v(static_cast<Eigen::Index>(i)) = get(items[i]);
  writeVector(g, name, v);
}

template <typename Item, typename Get>
void writeIntegers(H5::Group& g, const char* name, const std::vector<Item>& items, Get get) {
  std::vector<std::int64_t> v;
  for (const Item& item : items) v.push_back(static_cast<std::int64_t>(get(item)));
  writeVector(g, name, v);
}

void writeLabRun(H5::Group& lab, const std::string& id, const LabRun& r) {
  H5::Group g = lab.createGroup(id);
  const LabRunSettings& s = r.settings;
  writeAttribute(g, "format", std::string(kLabFormat));
  writeAttribute(g, "format_version", kLabVersion);
  writeAttribute(g, "model", s.model);
  writeAttribute(g, "model_name", r.modelName);
  writeAttribute(g, "observable", r.observable);
  writeAttribute(g, "objective", lab::toString(s.objective));
  writeAttribute(g, "optimizer", s.optimizerDescription());
  writeAttribute(g, "batch_rows", static_cast<std::int64_t>(s.batchRows));
  writeAttribute(g, "momentum", s.momentum);
  writeAttribute(g, "dtype", std::string("float64"));
  writeAttribute(g, "data_source", r.dataSource);
  writeAttribute(g, "learning_rate", s.learningRate);
  writeAttribute(g, "output_scale", s.outputScale);
  writeAttribute(g, "output_scale_on", toString(s.scaleOn));
  writeAttribute(g, "step_size", s.stepSize());
  writeAttribute(g, "n_points", static_cast<std::int64_t>(s.points));
  writeAttribute(g, "seq_len", static_cast<std::int64_t>(s.seqLen));
  writeAttribute(g, "n_params", r.parameterCount);
  writeAttribute(g, "steps", static_cast<std::int64_t>(s.steps));
  writeAttribute(g, "every", static_cast<std::int64_t>(s.every));
  writeAttribute(g, "seed", static_cast<std::int64_t>(s.seed));
  writeAttribute(g, "shells_per_decade", static_cast<std::int64_t>(r.window.shellsPerDecade));
  writeAttribute(g, "shell_first_edge_index", static_cast<std::int64_t>(r.window.firstEdgeIndex));
  writeAttribute(g, "shell_count", static_cast<std::int64_t>(r.window.shellCount));
  writeAttribute(g, "lambda_floor", r.lambdaFloor);
  writeAttribute(g, "lambda_min", s.lambdaMin);
  writeAttribute(g, "lambda_max", s.lambdaMax);
  writeAttribute(g, "relative_floor", s.relativeFloor);
  writeAttribute(g, "margin_decades", s.marginDecades);
  writeAttribute(g, "spectra_stored", static_cast<std::int64_t>(s.storeSpectra ? 1 : 0));
  writeAttribute(g, "checkpoint_folder", s.checkpointFolder);
  writeAttribute(g, "threads", static_cast<std::int64_t>(s.threads));
  writeAttribute(g, "created_at", r.createdAt);
  writeAttribute(g, "software_version", r.softwareVersion);
  writeAttribute(g, "compute_seconds", r.computeSeconds);
  writeAttribute(g, "jacobian_seconds", r.jacobianSeconds);
  writeAttribute(g, "spectrum_seconds", r.spectrumSeconds);
  // Derived summaries (recomputable from the datasets below).
  writeAttribute(g, "max_relative_residual", r.maxRelativeResidual());
  writeAttribute(g, "median_relative_residual", r.medianRelativeResidual());
  writeAttribute(g, "fast_intervals", static_cast<std::int64_t>(r.fastIntervals(0.1)));
  writeAttribute(g, "run_transport_to_dissipation", r.runTransportToDissipation());
  writeAttribute(g, "min_cos_e", r.minCosineErrorFlow());
  writeAttribute(g, "mean_cos_e", r.meanCosineErrorFlow());
  writeAttribute(g, "min_cos_1", r.minCosineOnesFlow());
  writeAttribute(g, "mean_cos_1", r.meanCosineOnesFlow());

  const std::vector<double> edges = r.window.edges();
  writeDataset(g, "shell_edges", edges.data(), {static_cast<hsize_t>(edges.size())});
  const Eigen::Index bins = r.binCount();
  const auto& cs = r.checkpoints;
  writeIntegers(g, "step", cs, [](const LabCheckpoint& c) { return c.step; });
  writeScalars(g, "tau", cs, [](const LabCheckpoint& c) { return c.tau; });
  writeScalars(g, "loss", cs, [](const LabCheckpoint& c) { return c.loss; });
  writeScalars(g, "mean_e2", cs, [](const LabCheckpoint& c) { return c.meanSquaredError; });
  writeScalars(g, "lambda_max", cs, [](const LabCheckpoint& c) { return c.lambdaMax; });
  writeRows(g, "E", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.energy; });
  writeRows(g, "D", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.dissipation; });
  writeRows(g, "D_ce", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.crossEntropyDissipation; });
  if (s.storeSpectra) {
    writeRows(g, "eigenvalues", cs, s.points, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.eigenvalues; });
    writeRows(g, "g", cs, s.points, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.coefficients; });
  }

  const auto& is = r.intervals;
  using I = LabInterval;
  writeScalars(g, "dtau", is, [](const I& i) { return i.dtau; });
  writeRows(g, "dE", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.energyChange; });
  writeRows(g, "Dbar", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.dissipationMean; });
  writeRows(g, "Dbar_checkpoints", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.checkpointDissipationMean; });
  {
    // flux[k, a, b] = F̄_{b→a} of interval k.
    std::vector<double> data;
    for (const I& i : is) {
      if (i.flux.rows() != bins || i.flux.cols() != bins) throw std::logic_error("lab run: flux has the wrong shape");
      const RowMajor m = i.flux;
      data.insert(data.end(), m.data(), m.data() + m.size());
    }
    writeDataset(g, "flux", data.data(), {static_cast<hsize_t>(is.size()), static_cast<hsize_t>(bins), static_cast<hsize_t>(bins)});
  }
  writeRows(g, "net_flux", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.netFlux; });
  writeRows(g, "crossing", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.crossing; });
  writeRows(g, "residual", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.residual; });
  writeRows(g, "frozen_error_change", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.frozenErrorChange; });
  writeRows(g, "frozen_basis_change", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.frozenBasisChange; });
  writeRows(g, "J_flux", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.cumulativeFlux; });
  writeRows(g, "J_difference", is, bins, [](const I& i) -> const Eigen::VectorXd& { return i.cumulativeFluxByDifference; });
  writeScalars(g, "cos_e", is, [](const I& i) { return i.cosineErrorFlow; });
  writeScalars(g, "rel_e", is, [](const I& i) { return i.relativeErrorFlow; });
  writeScalars(g, "cos_1", is, [](const I& i) { return i.cosineOnesFlow; });
  writeScalars(g, "rel_1", is, [](const I& i) { return i.relativeOnesFlow; });
  writeScalars(g, "transport_to_dissipation", is, [](const I& i) { return i.transportToDissipation; });
  writeScalars(g, "relative_residual", is, [](const I& i) { return i.relativeResidual; });
  writeScalars(g, "smallest_overlap", is, [](const I& i) { return i.smallestOverlap; });
  writeScalars(g, "largest_rotation", is, [](const I& i) { return i.largestRotation; });
  writeIntegers(g, "crossing_modes", is, [](const I& i) { return i.crossingModes; });
  writeIntegers(g, "weak_crossings", is, [](const I& i) { return i.weakCrossings; });
  writeIntegers(g, "weak_matches", is, [](const I& i) { return i.weakMatches; });
  writeIntegers(g, "skipped_across_bins", is, [](const I& i) { return i.skippedAcrossBins; });

  // Held-out points (docs/generalisation.md): written only when the run has them.
  writeAttribute(g, "held_out_points", static_cast<std::int64_t>(s.heldOutPoints));
  writeAttribute(g, "label_noise", s.labelNoise);
  if (!r.hasHeldOut()) return;
  writeAttribute(g, "held_out_source", r.heldOutSource);
  writeAttribute(g, "max_held_out_rate_mismatch", r.maxHeldOutRateMismatch());
  writeAttribute(g, "max_held_out_identity_error", r.maxHeldOutIdentityError());
  writeScalars(g, "held_out_loss", cs, [](const LabCheckpoint& c) { return c.heldOutLoss; });
  writeScalars(g, "held_out_mean_e2", cs, [](const LabCheckpoint& c) { return c.heldOutMeanSquaredError; });
  writeRows(g, "held_out_E", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.heldOutEnergy; });
  writeRows(g, "held_out_R", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.heldOutRate; });
  writeScalars(g, "held_out_R_direct", cs, [](const LabCheckpoint& c) { return c.heldOutRateDirect; });
  writeRows(g, "training_R", cs, bins, [](const LabCheckpoint& c) -> const Eigen::VectorXd& { return c.trainingRate; });
  writeScalars(g, "held_out_loss_rate", is, [](const I& i) { return i.heldOutLossRate; });
  writeScalars(g, "held_out_R_mean", is, [](const I& i) { return i.heldOutRateMean; });
}

void validateRun(const LabRun& r) {
  const std::size_t K = r.checkpoints.size();
  if (K < 2 || r.intervals.size() + 1 != K) throw std::invalid_argument("lab run: needs K >= 2 checkpoints and K - 1 intervals");
  if (r.window.shellCount < 1) throw std::invalid_argument("lab run: no shell window");
}

// Readers --------------------------------------------------------------------------------------

Eigen::MatrixXd rows(const GroupReader& r, const char* name, hsize_t count, hsize_t width) {
  return r.matrix(name, count, width);
}

LabRun readLabRun(const std::string& path, H5::Group group, const std::string& id) {
  GroupReader r(path, group, "/lab/" + id);
  if (r.text("format") != kLabFormat) r.fail("is not a lab run (format)");
  if (r.integer("format_version") != kLabVersion) r.fail("lab run format version " + std::to_string(r.integer("format_version")) + " is not supported");
  LabRun run;
  run.id = id;
  LabRunSettings& s = run.settings;
  s.model = r.text("model");
  run.modelName = r.text("model_name");
  run.observable = r.text("observable");
  try {
    s.objective = lab::parseObjective(r.text("objective"));
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("objective: ") + e.what());
  }
  run.dataSource = r.text("data_source");
  s.learningRate = r.real("learning_rate");
  s.outputScale = r.real("output_scale");
  try {
    s.scaleOn = parseScaleOn(r.text("output_scale_on"));
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("output_scale_on: ") + e.what());
  }
  s.points = static_cast<int>(r.integer("n_points"));
  s.seqLen = static_cast<int>(r.integer("seq_len"));
  run.parameterCount = r.integer("n_params");
  s.steps = static_cast<int>(r.integer("steps"));
  s.every = static_cast<int>(r.integer("every"));
  s.seed = static_cast<std::uint64_t>(r.integer("seed"));
  run.window.shellsPerDecade = static_cast<int>(r.integer("shells_per_decade"));
  run.window.firstEdgeIndex = static_cast<int>(r.integer("shell_first_edge_index"));
  run.window.shellCount = static_cast<int>(r.integer("shell_count"));
  s.shellsPerDecade = run.window.shellsPerDecade;
  run.lambdaFloor = r.real("lambda_floor");
  s.lambdaMin = r.real("lambda_min");
  s.lambdaMax = r.real("lambda_max");
  s.relativeFloor = r.real("relative_floor");
  s.marginDecades = r.real("margin_decades");
  s.storeSpectra = r.integer("spectra_stored") != 0;
  s.checkpointFolder = r.optionalText("checkpoint_folder");
  s.batchRows = static_cast<int>(r.optionalInteger("batch_rows", 0));  // runs before SGD: full batch
  s.momentum = r.optionalReal("momentum", 0.0);
  s.threads = static_cast<int>(r.integer("threads"));
  run.createdAt = r.text("created_at");
  run.softwareVersion = r.text("software_version");
  run.computeSeconds = r.real("compute_seconds");
  run.jacobianSeconds = r.real("jacobian_seconds");
  run.spectrumSeconds = r.real("spectrum_seconds");
  if (s.points < 2 || run.window.shellCount < 1 || run.window.shellCount > 100000 || run.window.shellsPerDecade < 1) {
    r.fail("n_points, shell_count or shells_per_decade out of range");
  }

  const std::vector<std::int64_t> steps = [&] {
    std::vector<hsize_t> dims;
    return r.dataset<std::int64_t>("step", 1, dims);
  }();
  const hsize_t K = steps.size();
  if (K < 2) r.fail("needs at least two checkpoints");
  const hsize_t bins = static_cast<hsize_t>(run.binCount());
  const hsize_t n = static_cast<hsize_t>(s.points);
  r.vector("shell_edges", bins - 1);
  const Eigen::VectorXd tau = r.vector("tau", K), loss = r.vector("loss", K), e2 = r.vector("mean_e2", K),
                        lambdaMax = r.vector("lambda_max", K);
  const Eigen::MatrixXd E = rows(r, "E", K, bins), D = rows(r, "D", K, bins), Dce = rows(r, "D_ce", K, bins);
  Eigen::MatrixXd lambdas, g;
  if (s.storeSpectra) {
    lambdas = rows(r, "eigenvalues", K, n);
    g = rows(r, "g", K, n);
  }
  for (hsize_t k = 0; k < K; ++k) {
    LabCheckpoint c;
    const auto i = static_cast<Eigen::Index>(k);
    c.step = static_cast<int>(steps[k]);
    c.tau = tau(i);
    c.loss = loss(i);
    c.meanSquaredError = e2(i);
    c.lambdaMax = lambdaMax(i);
    c.energy = E.row(i).transpose();
    c.dissipation = D.row(i).transpose();
    c.crossEntropyDissipation = Dce.row(i).transpose();
    if (s.storeSpectra) {
      c.eigenvalues = lambdas.row(i).transpose();
      c.coefficients = g.row(i).transpose();
    }
    run.checkpoints.push_back(std::move(c));
  }

  const hsize_t I = K - 1;
  const Eigen::VectorXd dtau = r.vector("dtau", I);
  const Eigen::MatrixXd dE = rows(r, "dE", I, bins), Dbar = rows(r, "Dbar", I, bins),
                        Dck = rows(r, "Dbar_checkpoints", I, bins), net = rows(r, "net_flux", I, bins),
                        crossing = rows(r, "crossing", I, bins), residual = rows(r, "residual", I, bins),
                        frozenE = rows(r, "frozen_error_change", I, bins),
                        frozenB = rows(r, "frozen_basis_change", I, bins), jFlux = rows(r, "J_flux", I, bins),
                        jDiff = rows(r, "J_difference", I, bins);
  std::vector<hsize_t> dims;
  std::vector<double> flux = r.dataset<double>("flux", 3, dims);
  r.requireExtent("flux", dims, {I, bins, bins});
  const Eigen::VectorXd cosE = r.vector("cos_e", I), relE = r.vector("rel_e", I), cos1 = r.vector("cos_1", I),
                        rel1 = r.vector("rel_1", I), ratio = r.vector("transport_to_dissipation", I),
                        relR = r.vector("relative_residual", I), overlap = r.vector("smallest_overlap", I),
                        rotation = r.vector("largest_rotation", I);
  const std::vector<std::int64_t> crossingModes = r.integers("crossing_modes", I), weakCrossings = r.integers("weak_crossings", I),
                                  weakMatches = r.integers("weak_matches", I), skipped = r.integers("skipped_across_bins", I);
  const auto B = static_cast<Eigen::Index>(bins);
  for (hsize_t k = 0; k < I; ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    LabInterval v;
    v.dtau = dtau(i);
    v.energyChange = dE.row(i).transpose();
    v.dissipationMean = Dbar.row(i).transpose();
    v.checkpointDissipationMean = Dck.row(i).transpose();
    v.flux = Eigen::Map<const RowMajor>(flux.data() + k * bins * bins, B, B);
    v.netFlux = net.row(i).transpose();
    v.crossing = crossing.row(i).transpose();
    v.residual = residual.row(i).transpose();
    v.frozenErrorChange = frozenE.row(i).transpose();
    v.frozenBasisChange = frozenB.row(i).transpose();
    v.cumulativeFlux = jFlux.row(i).transpose();
    v.cumulativeFluxByDifference = jDiff.row(i).transpose();
    v.cosineErrorFlow = cosE(i);
    v.relativeErrorFlow = relE(i);
    v.cosineOnesFlow = cos1(i);
    v.relativeOnesFlow = rel1(i);
    v.transportToDissipation = ratio(i);
    v.relativeResidual = relR(i);
    v.smallestOverlap = overlap(i);
    v.largestRotation = rotation(i);
    v.crossingModes = static_cast<int>(crossingModes[k]);
    v.weakCrossings = static_cast<int>(weakCrossings[k]);
    v.weakMatches = static_cast<int>(weakMatches[k]);
    v.skippedAcrossBins = skipped[k];
    run.intervals.push_back(std::move(v));
  }

  // Held-out points: runs written before them have neither the attribute nor the datasets.
  s.heldOutPoints = static_cast<int>(r.optionalInteger("held_out_points", 0));
  s.labelNoise = r.optionalReal("label_noise", 0.0);
  if (s.heldOutPoints < 0 || s.heldOutPoints > 4000) r.fail("held_out_points out of range");
  if (s.heldOutPoints > 0) {
    run.heldOutSource = r.text("held_out_source");
    const Eigen::VectorXd heldLoss = r.vector("held_out_loss", K), heldE2 = r.vector("held_out_mean_e2", K),
                          direct = r.vector("held_out_R_direct", K), lossRate = r.vector("held_out_loss_rate", I),
                          rateMean = r.vector("held_out_R_mean", I);
    const Eigen::MatrixXd heldE = rows(r, "held_out_E", K, bins), heldR = rows(r, "held_out_R", K, bins),
                          trainR = rows(r, "training_R", K, bins);
    for (hsize_t k = 0; k < K; ++k) {
      const auto i = static_cast<Eigen::Index>(k);
      LabCheckpoint& c = run.checkpoints[k];
      c.heldOutLoss = heldLoss(i);
      c.heldOutMeanSquaredError = heldE2(i);
      c.heldOutEnergy = heldE.row(i).transpose();
      c.heldOutRate = heldR.row(i).transpose();
      c.heldOutRateDirect = direct(i);
      c.trainingRate = trainR.row(i).transpose();
    }
    for (hsize_t k = 0; k < I; ++k) {
      run.intervals[k].heldOutLossRate = lossRate(static_cast<Eigen::Index>(k));
      run.intervals[k].heldOutRateMean = rateMean(static_cast<Eigen::Index>(k));
    }
  }
  return run;
}

}  // namespace

std::string appendLabRun(const std::string& path, const LabRun& run) {
  silenceHdf5();
  validateRun(run);
  std::string id;
  auto edit = [&](H5::H5File& file) {
    id = nextNumberedChild(file, "lab", "lab");
    H5::Group lab = file.nameExists("lab") ? file.openGroup("lab") : file.createGroup("lab");
    writeLabRun(lab, id, run);
  };
  addToSession(path, "add a lab run", edit);
  return id;
}

std::vector<LabRun> readLabRuns(const std::string& path) {
  silenceHdf5();
  H5::H5File file = openExisting(path, H5F_ACC_RDONLY);
  std::vector<LabRun> runs;
  try {
    if (!file.nameExists("lab")) return runs;
    H5::Group lab = file.openGroup("lab");
    for (const std::string& id : childNames(lab)) runs.push_back(readLabRun(path, lab.openGroup(id), id));
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "the lab runs are unreadable (" + e.getDetailMsg() + ")");
  }
  return runs;
}

}  // namespace shellscope

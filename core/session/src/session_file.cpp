// HDF5 session files, format version 1; the schema is documented in docs/session-format.md.
#include "shellscope/session/session_file.h"

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "hdf5_support.h"
#include "run_group.h"
#include "shellscope/base/build_config.h"
#include "shellscope/spectral/run_checks.h"

namespace shellscope {

namespace fs = std::filesystem;
using namespace hdf5;

SessionFileError::SessionFileError(const std::string& path, const std::string& problem)
    : std::runtime_error(path + ": " + problem), path_(path), problem_(problem) {}

namespace {


std::filesystem::path sessionFolderOf(const std::string& sessionPath) {
  return std::filesystem::absolute(sessionPath).lexically_normal().parent_path();
}

/// `path` relative to `folder` (lexically: the same path however the folders are linked), or empty.
std::string relativeTo(const std::string& path, const std::filesystem::path& folder) {
  if (path.empty() || folder.empty()) return {};
  return std::filesystem::path(path).lexically_relative(folder).string();
}

}  // namespace

/// `sessionFolder`: the absolute folder of the session file, for the paths relative to it.
void writeRun(H5::Group& runs, const Run& run, const std::filesystem::path& sessionFolder) {
  H5::Group group = runs.createGroup(run.id);
  const RunMetadata& m = run.meta;
  writeAttribute(group, "model_name", m.modelName);
  writeAttribute(group, "checkpoint", m.checkpoint);
  writeAttribute(group, "step", m.step);
  writeAttribute(group, "n_params", m.nParams);
  writeAttribute(group, "observable", m.observable);
  writeAttribute(group, "device", m.device);
  writeAttribute(group, "dtype", m.dtype);
  writeAttribute(group, "vector_dtype", m.vectorDtype);
  writeAttribute(group, "lanczos_mode", m.lanczosMode);
  writeAttribute(group, "lanczos_steps", m.lanczosSteps);
  writeAttribute(group, "shells_per_decade", m.shellsPerDecade);
  writeAttribute(group, "batch_size", m.batchSize);
  writeAttribute(group, "seq_len", m.seqLen);
  writeAttribute(group, "n_batches", static_cast<std::int64_t>(run.batchCount()));
  writeAttribute(group, "data_source", m.dataSource);
  // Provenance beyond the fixed schema.
  writeAttribute(group, "jvp_method", m.jvpMethod);
  writeAttribute(group, "recompute_activations", static_cast<std::int64_t>(m.recomputeActivations ? 1 : 0));
  writeAttribute(group, "lanczos_tolerance", m.lanczosTolerance);
  writeAttribute(group, "adaptive_tolerance", m.adaptiveTolerance);
  writeAttribute(group, "lanczos_max_steps", m.lanczosMaxSteps > 0 ? m.lanczosMaxSteps : m.lanczosSteps);
  writeAttribute(group, "relative_floor", m.relativeFloor);
  writeAttribute(group, "lambda_floor", run.lambdaFloor);
  writeAttribute(group, "shell_first_edge_index", static_cast<std::int64_t>(run.window.firstEdgeIndex));
  writeAttribute(group, "seed", m.seed);
  writeAttribute(group, "threads", m.threads);
  writeAttribute(group, "batch_order", m.batchOrder);
  if (!run.heldOut.empty()) {
    writeAttribute(group, "held_out_data_source", m.heldOutDataSource);
    writeAttribute(group, "held_out_data_path", m.heldOutDataPath);
    writeAttribute(group, "held_out_data_path_absolute", m.heldOutDataAbsolute);
    writeAttribute(group, "held_out_batch_order", m.heldOutBatchOrder);
  }
  writeAttribute(group, "created_at", m.createdAt);
  writeAttribute(group, "software_version", m.softwareVersion);
  writeAttribute(group, "compute_seconds", m.computeSeconds);
  writeAttribute(group, "checkpoint_absolute", m.checkpointAbsolute);
  writeAttribute(group, "checkpoint_relative", relativeTo(m.checkpointAbsolute, sessionFolder));
  writeAttribute(group, "checkpoint_sha256", m.checkpointSha256);
  writeAttribute(group, "data_path", m.dataPath);
  writeAttribute(group, "data_path_absolute", m.dataAbsolute);
  writeAttribute(group, "data_path_relative", relativeTo(m.dataAbsolute, sessionFolder));
  writeAttribute(group, "data_format", m.dataFormat);
  writeAttribute(group, "data_sha256", m.dataSha256);
  writeAttribute(group, "batches_sha256", m.batchesSha256);

  const std::vector<double> edges = run.window.edges();
  writeDataset(group, "shell_edges", edges.data(), {static_cast<hsize_t>(edges.size())});
  writeVector(group, "shell_energy", run.shellEnergy);
  writeMatrix(group, "shell_energy_batches", run.shellEnergyBatches);
  writeVector(group, "underflow", run.underflow);
  writeVector(group, "overflow", run.overflow);
  writeMatrix(group, "ritz_values", run.ritzValues);
  writeMatrix(group, "ritz_weights", run.ritzWeights);
  writeVector(group, "steps_taken", run.stepsTaken);
  writeVector(group, "error_norm2", run.errorNorm2);
  writeVector(group, "loss", run.loss);
  writeVector(group, "n_tokens", run.nTokens);
  writeVector(group, "batch_index", run.batchIndex);
  writeVector(group, "orthogonality_loss", run.orthogonalityLoss);
  writeVector(group, "batch_seconds", run.batchSeconds);
  if (run.lanczosAlpha.size()) {
    writeMatrix(group, "lanczos_alpha", run.lanczosAlpha);
    writeMatrix(group, "lanczos_beta", run.lanczosBeta);
  }
  if (run.smoothShellEnergy.size()) {
    writeVector(group, "smooth_shell_energy", run.smoothShellEnergy);
    writeMatrix(group, "smooth_shell_energy_batches", run.smoothShellEnergyBatches);
    writeVector(group, "smooth_underflow", run.smoothUnderflow);
    writeVector(group, "smooth_overflow", run.smoothOverflow);
  }
  if (!run.polarisation.empty()) {
    const PolarisedQuadratures& q = run.polarisation;
    writeMatrix(group, "polarisation_plus_ritz_values", q.plusValues);
    writeMatrix(group, "polarisation_plus_ritz_weights", q.plusWeights);
    writeVector(group, "polarisation_plus_norm2", q.plusNorm2);
    writeMatrix(group, "polarisation_minus_ritz_values", q.minusValues);
    writeMatrix(group, "polarisation_minus_ritz_weights", q.minusWeights);
    writeVector(group, "polarisation_minus_norm2", q.minusNorm2);
  }
  if (!run.heldOut.empty()) {
    // Held-out points paired with the batches (docs/generalisation.md): the raw arrays, then the
    // binned profile and rates (recomputable from them).
    const HeldOutSpectra& h = run.heldOut;
    writeVector(group, "held_out_batch_index", h.batchIndex);
    writeVector(group, "held_out_n_tokens", h.nTokens);
    writeMatrix(group, "held_out_ritz_values", h.ritzValues);
    writeMatrix(group, "held_out_ritz_weights", h.ritzWeights);
    writeVector(group, "held_out_error_norm2", h.errorNorm2);
    writeVector(group, "held_out_loss", h.loss);
    writeMatrix(group, "held_out_ritz_rates", h.ritzRates);
    writeVector(group, "held_out_rate_direct", h.rateDirect);
    writeMatrix(group, "held_out_shell_energy_batches", h.shellEnergyBatches);
    writeVector(group, "held_out_shell_energy", h.shellEnergy);
    writeMatrix(group, "held_out_shell_rate_batches", h.shellRateBatches);
    writeVector(group, "held_out_shell_rate", h.shellRate);
    if (!h.crossEntropy.empty()) {
      // The cross-entropy split (compute --held-out-cross-entropy): raw, then binned.
      const HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
      writeMatrix(group, "held_out_ce_ritz_values", c.ritzValues);
      writeMatrix(group, "held_out_ce_ritz_weights", c.ritzWeights);
      writeMatrix(group, "held_out_ce_ritz_rates", c.ritzRates);
      writeVector(group, "held_out_ce_rate_direct", c.rateDirect);
      writeMatrix(group, "held_out_ce_shell_rate_batches", c.shellRateBatches);
      writeVector(group, "held_out_ce_shell_rate", c.shellRate);
      writeVector(group, "held_out_ce_training_rate", c.trainingRate);
    }
  }
  if (!run.provenance.empty()) {
    // Campaigns (docs/cluster.md): where each batch was computed.
    const ItemProvenance& p = run.provenance;
    writeAttribute(group, "campaign", p.campaign);
    writeAttribute(group, "campaign_checkpoint", p.checkpointIndex);
    writeStrings(group, "item_host", p.host);
    writeVector(group, "item_rank", p.rank);
    writeStrings(group, "item_device", p.device);
  }
  if (run.hasQuadratureBounds()) {
    writeMatrix(group, "shell_energy_lower_batches", run.shellEnergyLowerBatches);
    writeMatrix(group, "shell_energy_upper_batches", run.shellEnergyUpperBatches);
    writeVector(group, "shell_energy_lower", run.shellEnergyLower);
    writeVector(group, "shell_energy_upper", run.shellEnergyUpper);
  }
}

namespace {

void writeTrainingLog(H5::Group& training, const TrainingLog& log) {
  if (training.nameExists(log.modelName)) H5Ldelete(training.getId(), log.modelName.c_str(), H5P_DEFAULT);
  H5::Group group = training.createGroup(log.modelName);
  writeAttribute(group, "tokens_per_step", log.tokensPerStep);
  writeVector(group, "step", log.steps);
  writeVector(group, "loss", log.loss);
  writeVector(group, "learning_rate", log.learningRate);
  Eigen::VectorXd accumulated(log.learningRate.size());
  double sum = 0;
  for (Eigen::Index i = 0; i < accumulated.size(); ++i) {
    accumulated(i) = sum;  // before step i's update
    sum += log.learningRate(i);
  }
  writeVector(group, "accumulated_learning_rate", accumulated);
}

void writeRootAttributes(H5::H5File& file) {
  writeAttribute(file, "format", std::string(kSessionFormat));
  writeAttribute(file, "format_version", static_cast<std::int64_t>(kSessionFormatVersion));
  writeAttribute(file, "created_by", std::string("shellscope ") + SHELLSCOPE_VERSION);
}

}  // namespace

Run readRun(const std::string& filePath, H5::Group group, const std::string& id, bool checkMeaning) {
  GroupReader r(filePath, std::move(group), "/runs/" + id);
  Run run;
  run.id = id;
  RunMetadata& m = run.meta;
  m.modelName = r.text("model_name");
  m.checkpoint = r.text("checkpoint");
  m.step = r.integer("step");
  m.nParams = r.integer("n_params");
  m.observable = r.text("observable");
  m.device = r.text("device");
  m.dtype = r.text("dtype");
  if (r.hasAttribute("vector_dtype")) m.vectorDtype = r.text("vector_dtype");  // float64 before it was stated
  m.lanczosMode = r.text("lanczos_mode");
  m.lanczosSteps = r.integer("lanczos_steps");
  m.shellsPerDecade = r.integer("shells_per_decade");
  m.batchSize = r.integer("batch_size");
  m.seqLen = r.integer("seq_len");
  m.nBatches = r.integer("n_batches");
  m.dataSource = r.text("data_source");
  m.jvpMethod = r.optionalText("jvp_method");
  m.recomputeActivations = r.optionalInteger("recompute_activations", 0) != 0;
  m.lanczosTolerance = r.optionalReal("lanczos_tolerance", 0.0);
  m.adaptiveTolerance = r.optionalReal("adaptive_tolerance", 0.0);
  m.lanczosMaxSteps = r.optionalInteger("lanczos_max_steps", m.lanczosSteps);
  m.relativeFloor = r.optionalReal("relative_floor", 0.0);
  m.seed = r.optionalInteger("seed", 0);
  m.threads = r.optionalInteger("threads", 0);
  if (r.hasAttribute("batch_order")) m.batchOrder = r.text("batch_order");
  m.heldOutDataSource = r.optionalText("held_out_data_source");
  m.heldOutDataPath = r.optionalText("held_out_data_path");
  m.heldOutDataAbsolute = r.optionalText("held_out_data_path_absolute");
  m.heldOutBatchOrder = r.optionalText("held_out_batch_order");
  m.createdAt = r.optionalText("created_at");
  m.softwareVersion = r.optionalText("software_version");
  m.computeSeconds = r.optionalReal("compute_seconds", 0.0);
  m.checkpointAbsolute = r.optionalText("checkpoint_absolute");
  m.checkpointRelative = r.optionalText("checkpoint_relative");
  m.checkpointSha256 = r.optionalText("checkpoint_sha256");
  m.dataPath = r.optionalText("data_path");
  m.dataAbsolute = r.optionalText("data_path_absolute");
  m.dataRelative = r.optionalText("data_path_relative");
  m.dataFormat = r.optionalText("data_format");
  m.dataSha256 = r.optionalText("data_sha256");
  m.batchesSha256 = r.optionalText("batches_sha256");
  // A session tree that was moved: the recorded absolute path is gone but the one relative to the
  // session file resolves. Take the resolved one as absolute, so that saving the session again
  // keeps a relative path that works (it is derived from the absolute one).
  const auto resolveMoved = [&](std::string& absolute, const std::string& relative) {
    if (absolute.empty() || relative.empty()) return;
    std::error_code error;
    if (std::filesystem::exists(absolute, error)) return;
    const std::filesystem::path folder = std::filesystem::absolute(filePath, error).parent_path();
    const std::filesystem::path moved = (folder / relative).lexically_normal();
    if (std::filesystem::exists(moved, error)) absolute = moved.string();
  };
  resolveMoved(m.checkpointAbsolute, m.checkpointRelative);
  resolveMoved(m.dataAbsolute, m.dataRelative);

  if (m.shellsPerDecade < 1 || m.shellsPerDecade > 1000) r.fail("shells_per_decade must be between 1 and 1000");
  if (m.nBatches < 1) r.fail("n_batches must be at least 1");

  std::vector<hsize_t> edgeDims;
  std::vector<double> edges = r.dataset<double>("shell_edges", 1, edgeDims);
  if (edges.size() < 2) r.fail("dataset 'shell_edges' needs at least 2 edges");
  if (!(edges[0] > 0.0) || !std::isfinite(edges[0])) r.fail("dataset 'shell_edges' starts at a non-positive edge");
  const int s = static_cast<int>(m.shellsPerDecade);
  run.window.shellsPerDecade = s;
  run.window.firstEdgeIndex = static_cast<int>(std::lround(s * std::log10(edges[0])));
  run.window.shellCount = static_cast<int>(edges.size()) - 1;
  for (size_t j = 0; j < edges.size(); ++j) {
    const double expected = run.window.edge(static_cast<int>(j));
    if (!(std::abs(edges[j] - expected) <= 1e-9 * expected)) {
      r.fail("dataset 'shell_edges' is not on the global grid 10^(k/" + std::to_string(s) + ")");
    }
  }
  run.lambdaFloor = r.optionalReal("lambda_floor", edges[0]);

  const hsize_t B = static_cast<hsize_t>(m.nBatches);
  const hsize_t S = static_cast<hsize_t>(run.window.shellCount);
  run.shellEnergy = r.vector("shell_energy", S);
  run.shellEnergyBatches = r.matrix("shell_energy_batches", B, S);
  run.underflow = r.vector("underflow", B);
  run.overflow = r.vector("overflow", B);
  std::vector<hsize_t> ritzDims;
  r.dataset<double>("ritz_values", 2, ritzDims);
  if (ritzDims[0] != B) r.fail("dataset 'ritz_values' has " + std::to_string(ritzDims[0]) + " rows, n_batches is " + std::to_string(B));
  run.ritzValues = r.matrix("ritz_values", B, ritzDims[1]);
  run.ritzWeights = r.matrix("ritz_weights", B, ritzDims[1]);
  run.stepsTaken = r.integers("steps_taken", B);
  run.errorNorm2 = r.vector("error_norm2", B);
  run.loss = r.vector("loss", B);
  run.nTokens = r.integers("n_tokens", B);

  // Optional datasets: neutral values when another writer left them out.
  if (r.hasDataset("batch_index")) {
    run.batchIndex = r.integers("batch_index", B);
  } else {
    for (hsize_t b = 0; b < B; ++b) run.batchIndex.push_back(static_cast<std::int64_t>(b));
  }
  run.orthogonalityLoss = r.hasDataset("orthogonality_loss") ? r.vector("orthogonality_loss", B)
                                                             : Eigen::VectorXd::Zero(static_cast<Eigen::Index>(B));
  run.batchSeconds = r.hasDataset("batch_seconds") ? r.vector("batch_seconds", B)
                                                   : Eigen::VectorXd::Zero(static_cast<Eigen::Index>(B));
  // The Jacobi matrices and the quadrature bounds (sessions written before them have neither).
  if (r.hasDataset("lanczos_alpha")) {
    run.lanczosAlpha = r.matrix("lanczos_alpha", B, ritzDims[1]);
    run.lanczosBeta = r.matrix("lanczos_beta", B, ritzDims[1]);
  }
  // Smooth shells: stored, or (older sessions) computed from the Ritz values.
  if (r.hasDataset("smooth_shell_energy_batches")) {
    run.smoothShellEnergy = r.vector("smooth_shell_energy", S);
    run.smoothShellEnergyBatches = r.matrix("smooth_shell_energy_batches", B, S);
    run.smoothUnderflow = r.vector("smooth_underflow", B);
    run.smoothOverflow = r.vector("smooth_overflow", B);
  } else {
    run.computeSmoothShells();
  }
  if (r.hasDataset("shell_energy_lower_batches")) {
    run.shellEnergyLowerBatches = r.matrix("shell_energy_lower_batches", B, S);
    run.shellEnergyUpperBatches = r.matrix("shell_energy_upper_batches", B, S);
    run.shellEnergyLower = r.vector("shell_energy_lower", S);
    run.shellEnergyUpper = r.vector("shell_energy_upper", S);
  } else if (run.lanczosAlpha.size() > 0) {
    run.computeQuadratureBounds();  // the Jacobi matrices are there, the bounds follow from them
  }
  // An optional group of datasets: all of `names` or none. Their Ritz matrix `values` has a row
  // per batch and no more columns than the step cap allows.
  const auto optionalGroup = [&](std::initializer_list<const char*> names, const char* what) {
    const auto found = std::count_if(names.begin(), names.end(), [&](const char* name) { return r.hasDataset(name); });
    if (found != 0 && found != static_cast<std::ptrdiff_t>(names.size())) {
      r.fail(std::string("has some of the ") + what + " datasets but not all");
    }
    return found != 0;
  };
  const auto quadratureColumns = [&](const char* values) {
    const std::vector<hsize_t> dims = r.extent(values, 2);
    const auto cap = static_cast<hsize_t>(std::max<std::int64_t>({m.lanczosSteps, m.lanczosMaxSteps, 1}));
    if (dims[0] != B) r.fail(std::string("dataset '") + values + "' has " + std::to_string(dims[0]) + " rows, n_batches is " + std::to_string(B));
    if (dims[1] > std::max<hsize_t>(cap, ritzDims[1])) {
      r.fail(std::string("dataset '") + values + "' has " + std::to_string(dims[1]) + " columns, more than the step cap");
    }
    return dims[1];
  };
  // The quadratures from e ± 1 (compute --cross-dissipation): all six datasets or none.
  if (optionalGroup({"polarisation_plus_ritz_values", "polarisation_plus_ritz_weights", "polarisation_plus_norm2",
                     "polarisation_minus_ritz_values", "polarisation_minus_ritz_weights", "polarisation_minus_norm2"},
                    "polarisation_*")) {
    PolarisedQuadratures& q = run.polarisation;
    const hsize_t columns = quadratureColumns("polarisation_plus_ritz_values");
    q.plusValues = r.matrix("polarisation_plus_ritz_values", B, columns);
    q.plusWeights = r.matrix("polarisation_plus_ritz_weights", B, columns);
    q.minusValues = r.matrix("polarisation_minus_ritz_values", B, columns);
    q.minusWeights = r.matrix("polarisation_minus_ritz_weights", B, columns);
    q.plusNorm2 = r.vector("polarisation_plus_norm2", B);
    q.minusNorm2 = r.vector("polarisation_minus_norm2", B);
  }
  // Held-out points: the eight raw datasets or none; the binned ones are recomputed from them.
  if (optionalGroup({"held_out_batch_index", "held_out_n_tokens", "held_out_ritz_values", "held_out_ritz_weights",
                     "held_out_error_norm2", "held_out_loss", "held_out_ritz_rates", "held_out_rate_direct"},
                    "held_out_*")) {
    HeldOutSpectra& h = run.heldOut;
    const hsize_t columns = quadratureColumns("held_out_ritz_values");
    h.batchIndex = r.integers("held_out_batch_index", B);
    h.nTokens = r.integers("held_out_n_tokens", B);
    h.ritzValues = r.matrix("held_out_ritz_values", B, columns);
    h.ritzWeights = r.matrix("held_out_ritz_weights", B, columns);
    h.errorNorm2 = r.vector("held_out_error_norm2", B);
    h.loss = r.vector("held_out_loss", B);
    h.ritzRates = r.matrix("held_out_ritz_rates", B, ritzDims[1]);
    h.rateDirect = r.vector("held_out_rate_direct", B);
    // Their cross-entropy split (compute --held-out-cross-entropy): the four raw datasets or none.
    if (optionalGroup({"held_out_ce_ritz_values", "held_out_ce_ritz_weights", "held_out_ce_ritz_rates",
                       "held_out_ce_rate_direct"},
                      "held_out_ce_*")) {
      HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
      const hsize_t ceColumns = quadratureColumns("held_out_ce_ritz_values");
      c.ritzValues = r.matrix("held_out_ce_ritz_values", B, ceColumns);
      c.ritzWeights = r.matrix("held_out_ce_ritz_weights", B, ceColumns);
      c.ritzRates = r.matrix("held_out_ce_ritz_rates", B, ceColumns);
      c.rateDirect = r.vector("held_out_ce_rate_direct", B);
    }
    if (checkMeaning) {
      for (const Eigen::MatrixXd* weights : {&h.ritzWeights, &h.crossEntropy.ritzWeights}) {
        for (Eigen::Index b = 0; b < weights->size(); ++b) {
          const double w = weights->data()[b];
          if (!std::isnan(w) && !(w >= -1e-12)) {
            r.fail(std::string("dataset '") + (weights == &h.ritzWeights ? "held_out" : "held_out_ce") +
                   "_ritz_weights' has a negative weight");
          }
        }
      }
      for (std::int64_t n : h.nTokens) {
        if (n < 1) r.fail("dataset 'held_out_n_tokens' has a count below 1");
      }
    }
    h.computeShells(run.window, run.ritzValues);
  } else if (r.hasDataset("held_out_ce_ritz_rates") || r.hasDataset("held_out_ce_rate_direct")) {
    r.fail("has held_out_ce_* datasets but no held_out_* datasets");
  }
  // Where each batch was computed (campaigns): the three datasets or none.
  if (optionalGroup({"item_host", "item_rank", "item_device"}, "item_*")) {
    ItemProvenance& p = run.provenance;
    p.campaign = r.text("campaign");
    p.checkpointIndex = r.integer("campaign_checkpoint");
    p.host = r.strings("item_host", B);
    p.rank = r.integers("item_rank", B);
    p.device = r.strings("item_device", B);
  }
  if (checkMeaning) {
    const std::vector<std::string> problems = runProblems(run);
    if (!problems.empty()) {
      r.fail(problems.front() + (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) +
                                                           " more problem(s): shellscope-cli info --check lists them)"
                                                     : std::string()));
    }
  }
  return run;
}

namespace {

/// `/view_states`: two string datasets of one length, `names` and `states` (the JSON text).
void writeViewStates(H5::H5File& file, const std::vector<NamedViewState>& states) {
  std::vector<std::string> names, texts;
  for (const NamedViewState& state : states) {
    if (state.name.empty()) throw std::invalid_argument("a view state needs a name");
    if (std::find(names.begin(), names.end(), state.name) != names.end()) {
      throw std::invalid_argument("two view states are named '" + state.name + "'");
    }
    names.push_back(state.name);
    texts.push_back(state.json);
  }
  H5::Group group = file.createGroup("view_states");
  writeAttribute(group, "format", std::string("shellscope-view-states"));
  writeAttribute(group, "format_version", std::int64_t{1});
  writeStrings(group, "names", names);
  writeStrings(group, "states", texts);
}

std::vector<NamedViewState> readViewStates(const std::string& filePath, H5::Group group) {
  GroupReader r(filePath, std::move(group), "/view_states");
  const std::vector<hsize_t> dims = r.extent("names", 1);
  const std::vector<std::string> names = r.strings("names", dims[0]);
  const std::vector<std::string> texts = r.strings("states", dims[0]);
  std::vector<NamedViewState> states;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) r.fail("names[" + std::to_string(i) + "] is empty");
    for (const NamedViewState& s : states) {
      if (s.name == names[i]) r.fail("two view states are named '" + names[i] + "'");
    }
    states.push_back({names[i], texts[i]});
  }
  return states;
}

TrainingLog readTrainingLog(const std::string& filePath, H5::Group group, const std::string& name) {
  GroupReader r(filePath, std::move(group), "/training/" + name);
  TrainingLog log;
  log.modelName = name;
  log.tokensPerStep = r.optionalInteger("tokens_per_step", 0);
  std::vector<hsize_t> dims;
  log.steps = r.dataset<std::int64_t>("step", 1, dims);
  const hsize_t T = dims[0];
  log.loss = r.vector("loss", T);
  log.learningRate = r.vector("learning_rate", T);
  return log;
}

void readRoot(const std::string& path, H5::H5File& file) {
  if (!file.attrExists("format")) {
    throw SessionFileError(path, "not a ShellScope session (the file has no 'format' attribute)");
  }
  H5::Attribute format = file.openAttribute("format");
  std::string formatName;
  if (format.getTypeClass() == H5T_STRING) format.read(format.getStrType(), formatName);
  if (formatName != kSessionFormat) {
    throw SessionFileError(path, "not a ShellScope session (format is '" + formatName + "', expected '" +
                                     kSessionFormat + "')");
  }
  if (!file.attrExists("format_version")) throw SessionFileError(path, "missing attribute 'format_version'");
  H5::Attribute version = file.openAttribute("format_version");
  if (version.getTypeClass() != H5T_INTEGER) throw SessionFileError(path, "attribute 'format_version' is not an integer");
  std::int64_t number = 0;
  version.read(H5::PredType::NATIVE_INT64, &number);
  if (number != kSessionFormatVersion) {
    throw SessionFileError(path, "session format version " + std::to_string(number) +
                                     " is not supported (this build reads version " +
                                     std::to_string(kSessionFormatVersion) + ")");
  }
  if (!file.nameExists("runs")) throw SessionFileError(path, "missing group '/runs'");
}



}  // namespace

namespace {

Session readSessionFile(const std::string& path, bool checkMeaning) {
  silenceHdf5();
  H5::H5File file = openExisting(path, H5F_ACC_RDONLY);
  try {
    readRoot(path, file);
    H5::Group runs = file.openGroup("runs");
    Session session;
    for (const std::string& id : childNames(runs)) {
      if (runs.childObjType(id) != H5O_TYPE_GROUP) {
        throw SessionFileError(path, "/runs/" + id + " is not a group");
      }
      session.runs.push_back(readRun(path, runs.openGroup(id), id, checkMeaning));
    }
    if (file.nameExists("training")) {
      H5::Group training = file.openGroup("training");
      for (const std::string& name : childNames(training)) {
        session.trainingLogs.push_back(readTrainingLog(path, training.openGroup(name), name));
      }
    }
    if (file.nameExists("view_states")) session.viewStates = readViewStates(path, file.openGroup("view_states"));
    return session;
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "the HDF5 file is truncated or corrupt (" + e.getFuncName() + ": " +
                                     e.getDetailMsg() + ")");
  } catch (const std::bad_alloc&) {
    throw SessionFileError(path, "out of memory while reading the session");
  }
}

}  // namespace

Session readSession(const std::string& path) { return readSessionFile(path, true); }

void resealSession(const std::string& path) { sealChecksum(path); }

void setUnsealedSessionCheck(UnsealedSessionCheck check) { hdf5::installUnsealedCheck(std::move(check)); }

std::vector<std::string> checkSessionFile(const std::string& path) {
  Session session;
  try {
    session = readSessionFile(path, false);
  } catch (const std::exception& e) {
    return {e.what()};  // the structure itself is broken: that one problem
  }
  std::vector<std::string> problems;
  for (const Run& run : session.runs) {
    for (const std::string& problem : runProblems(run)) problems.push_back(path + ": /runs/" + run.id + ": " + problem);
  }
  return problems;
}

void writeSession(const std::string& path, const Session& session, const BeforeCommitHook& hook) {
  silenceHdf5();
  requireWritableDirectory(path);
  replaceAtomically(
      path,
      [&](const std::string& temporary) {
        try {
          H5::FileCreatPropList creation;
          creation.setUserblock(kUserBlockBytes);  // room for the checksum (hdf5_support.h)
          H5::H5File file(temporary, H5F_ACC_TRUNC, creation);
          writeRootAttributes(file);
          H5::Group runs = file.createGroup("runs");
          for (const Run& run : session.runs) writeRun(runs, run, sessionFolderOf(path));
          if (!session.trainingLogs.empty()) {
            H5::Group training = file.createGroup("training");
            for (const TrainingLog& log : session.trainingLogs) writeTrainingLog(training, log);
          }
          if (!session.viewStates.empty()) writeViewStates(file, session.viewStates);
          file.flush(H5F_SCOPE_GLOBAL);
        } catch (const H5::Exception& e) {
          throw SessionFileError(path, "cannot write the session (" + e.getDetailMsg() + ")");
        }
      },
      hook);
}

std::vector<std::string> appendRuns(const std::string& path, std::vector<Run> runs, const BeforeCommitHook& hook) {
  silenceHdf5();
  std::error_code error;
  if (!fs::exists(path, error)) {
    Session session;
    std::vector<std::string> ids;
    for (Run& run : runs) {
      run.id.clear();
      ids.push_back(session.addRun(std::move(run)));
    }
    writeSession(path, session, hook);
    return ids;
  }

  // Validate the existing file completely before touching it, then add the runs to a copy, so
  // that any other groups it holds (analysis results, ...) are kept.
  Session existing = readSession(path);
  std::vector<std::string> ids;
  editAtomically(
      path, "add runs to the session",
      [&](H5::H5File& file) {
        H5::Group group = file.openGroup("runs");
        for (Run& run : runs) {
          run.id = existing.nextRunId();
          writeRun(group, run, sessionFolderOf(path));
          ids.push_back(run.id);
          existing.runs.push_back(std::move(run));  // so that the next id is fresh too
        }
      },
      hook);
  return ids;
}

void writeTrainingLogs(const std::string& path, const std::vector<TrainingLog>& logs, const BeforeCommitHook& hook) {
  silenceHdf5();
  for (const TrainingLog& log : logs) {
    const auto T = static_cast<std::size_t>(log.loss.size());
    if (log.modelName.empty() || log.modelName.find('/') != std::string::npos || log.steps.size() != T ||
        static_cast<std::size_t>(log.learningRate.size()) != T) {
      throw std::invalid_argument("training log of '" + log.modelName + "' is inconsistent");
    }
  }
  std::error_code error;
  if (!fs::exists(path, error)) {
    Session session;
    session.trainingLogs = logs;
    writeSession(path, session, hook);
    return;
  }
  readSession(path);  // validate before touching
  editAtomically(
      path, "write training logs",
      [&](H5::H5File& file) {
        H5::Group training = file.nameExists("training") ? file.openGroup("training") : file.createGroup("training");
        for (const TrainingLog& log : logs) writeTrainingLog(training, log);
      },
      hook);
}

}  // namespace shellscope

// Flux estimates in the session file under /transport/<id> (docs/session-format.md, "Transport
// estimates"): the settings and provenance as attributes, one row per checkpoint (K) or interval
// (K − 1) in every dataset, S' = S + 2 bins (underflow, the S shells, overflow). Stored with the
// session's HDF5 helpers and an atomic edit, like /lab (core/experiment/src/lab_file.cpp).
#include "shellscope/transport/transport_file.h"

#include <H5Cpp.h>

#include <cmath>
#include <sstream>

#include "hdf5_support.h"
#include "shellscope/session/session_file.h"

namespace shellscope::transport {

using namespace hdf5;

namespace {

constexpr const char* kFormat = "shellscope-transport";
constexpr std::int64_t kVersion = 1;
constexpr const char* kEstimator = "by difference: J = 1/2 sum_{bins <= b} (dE/dtau + 2 Dbar), Dbar the trapezoid mean";

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename Get>
Eigen::MatrixXd stackRows(const SeriesTransport& t, Get get) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(t.intervals.size()), t.binCount());
  for (std::size_t k = 0; k < t.intervals.size(); ++k) {
    const Eigen::VectorXd& v = get(t.intervals[k]);
    if (v.size() != t.binCount()) throw std::logic_error("transport: a per-bin vector has the wrong length");
    m.row(static_cast<Eigen::Index>(k)) = v.transpose();
  }
  return m;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) text += (text.empty() ? "" : ",") + id;
  return text;
}

std::vector<std::string> splitIds(const std::string& text) {
  std::vector<std::string> ids;
  std::string id;
  std::istringstream in(text);
  while (std::getline(in, id, ',')) ids.push_back(id);
  return ids;
}

void validate(const SeriesTransport& t) {
  const std::size_t K = t.steps.size();
  if (K < 2 || t.intervals.size() + 1 != K || t.runIds.size() != K || t.time.tau.size() != K) {
    throw std::invalid_argument("transport: needs K >= 2 checkpoints (steps, runs, τ) and K - 1 intervals");
  }
  if (t.window.shellCount < 1) throw std::invalid_argument("transport: no shell window");
}

void writeTransport(H5::Group& parent, const std::string& id, const SeriesTransport& t) {
  H5::Group g = parent.createGroup(id);
  writeAttribute(g, "format", std::string(kFormat));
  writeAttribute(g, "format_version", kVersion);
  writeAttribute(g, "estimator", std::string(kEstimator));
  writeAttribute(g, "model_name", t.modelName);
  writeAttribute(g, "run_ids", joined(t.runIds));
  writeAttribute(g, "dissipation", toString(t.dissipationKind));
  writeAttribute(g, "time_source", toString(t.time.source));
  writeAttribute(g, "time_description", t.time.description);
  writeAttribute(g, "time_unit", t.time.unit());
  writeAttribute(g, "shells_per_decade", static_cast<std::int64_t>(t.window.shellsPerDecade));
  writeAttribute(g, "shell_first_edge_index", static_cast<std::int64_t>(t.window.firstEdgeIndex));
  writeAttribute(g, "shell_count", static_cast<std::int64_t>(t.window.shellCount));
  writeAttribute(g, "bootstrap_samples", static_cast<std::int64_t>(t.bootstrapSamples));
  writeAttribute(g, "confidence", t.confidence);
  writeAttribute(g, "seed", static_cast<std::int64_t>(t.seed));
  writeAttribute(g, "created_at", t.createdAt);
  writeAttribute(g, "software_version", t.softwareVersion);
  writeAttribute(g, "max_relative_closure", t.maxRelativeClosure());

  const std::vector<double> edges = t.window.edges();
  writeDataset(g, "shell_edges", edges.data(), {static_cast<hsize_t>(edges.size())});
  writeVector(g, "step", t.steps);
  writeVector(g, "tau", Eigen::Map<const Eigen::VectorXd>(t.time.tau.data(), static_cast<Eigen::Index>(t.time.tau.size())));
  writeVector(g, "batch_index", t.batchIndex);
  writeMatrix(g, "E", t.energy);
  writeMatrix(g, "D", t.dissipation);
  const auto K1 = static_cast<Eigen::Index>(t.intervals.size());
  Eigen::VectorXd dtau(K1), closure(K1);
  for (Eigen::Index k = 0; k < K1; ++k) {
    dtau(k) = t.intervals[static_cast<std::size_t>(k)].dtau;
    closure(k) = t.intervals[static_cast<std::size_t>(k)].relativeClosure();
  }
  writeVector(g, "dtau", dtau);
  writeVector(g, "relative_closure", closure);
  using I = TransportInterval;
  writeMatrix(g, "dE", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.energyChange; }));
  writeMatrix(g, "Dbar", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.dissipationMean; }));
  writeMatrix(g, "J", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.cumulativeFlux; }));
  writeMatrix(g, "J_se", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.standardError; }));
  writeMatrix(g, "J_discretisation", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.discretisation; }));
  writeMatrix(g, "J_low", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.low; }));
  writeMatrix(g, "J_high", stackRows(t, [](const I& i) -> const Eigen::VectorXd& { return i.high; }));
  // J_batches[k, r, b]: batch r's J_{<=b} over interval k.
  const auto B = static_cast<Eigen::Index>(t.batchIndex.size());
  std::vector<double> batches;
  batches.reserve(static_cast<std::size_t>(K1 * B * t.binCount()));
  for (const I& interval : t.intervals) {
    if (interval.cumulativeFluxBatches.rows() != B || interval.cumulativeFluxBatches.cols() != t.binCount()) {
      throw std::logic_error("transport: per-batch fluxes have the wrong shape");
    }
    const RowMajor m = interval.cumulativeFluxBatches;
    batches.insert(batches.end(), m.data(), m.data() + m.size());
  }
  writeDataset(g, "J_batches", batches.data(),
               {static_cast<hsize_t>(K1), static_cast<hsize_t>(B), static_cast<hsize_t>(t.binCount())});
}

SeriesTransport readOne(const std::string& path, H5::Group group, const std::string& id) {
  GroupReader r(path, group, "/transport/" + id);
  if (r.text("format") != kFormat) r.fail("is not a transport estimate (format)");
  if (r.integer("format_version") != kVersion) {
    r.fail("transport format version " + std::to_string(r.integer("format_version")) + " is not supported");
  }
  SeriesTransport t;
  t.id = id;
  t.modelName = r.text("model_name");
  t.runIds = splitIds(r.text("run_ids"));
  try {
    t.time.source = parseTimeSource(r.text("time_source"));
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("time_source: ") + e.what());
  }
  t.time.description = r.text("time_description");
  try {
    // Estimates written before the cross-entropy dissipation existed used D of e.
    t.dissipationKind = parseDissipationKind(r.hasAttribute("dissipation") ? r.text("dissipation") : "error");
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("dissipation: ") + e.what());
  }
  const std::int64_t perDecade = r.integer("shells_per_decade"), firstEdge = r.integer("shell_first_edge_index"),
                     shells = r.integer("shell_count");
  if (shells < 1 || shells > 100000 || perDecade < 1 || perDecade > 1000 || firstEdge < -1000000 || firstEdge > 1000000) {
    r.fail("shell_count, shells_per_decade or shell_first_edge_index out of range");
  }
  t.window.shellsPerDecade = static_cast<int>(perDecade);
  t.window.firstEdgeIndex = static_cast<int>(firstEdge);
  t.window.shellCount = static_cast<int>(shells);
  t.bootstrapSamples = static_cast<int>(r.integer("bootstrap_samples"));
  t.confidence = r.real("confidence");
  t.seed = static_cast<std::uint64_t>(r.integer("seed"));
  t.createdAt = r.text("created_at");
  t.softwareVersion = r.text("software_version");

  std::vector<hsize_t> dims;
  t.steps = r.dataset<std::int64_t>("step", 1, dims);
  const hsize_t K = t.steps.size();
  if (K < 2) r.fail("needs at least two checkpoints");
  if (t.runIds.size() != K) r.fail("run_ids names " + std::to_string(t.runIds.size()) + " runs for " + std::to_string(K) + " steps");
  const auto bins = static_cast<hsize_t>(t.binCount());
  const Eigen::VectorXd edges = r.vector("shell_edges", bins - 1);
  for (int b = 0; b <= t.window.shellCount; ++b) {
    if (!(std::abs(edges(b) - t.window.edge(b)) <= 1e-9 * t.window.edge(b))) {
      r.fail("shell_edges do not match shells_per_decade and shell_first_edge_index");
    }
  }
  const Eigen::VectorXd tau = r.vector("tau", K);
  t.time.tau.assign(tau.data(), tau.data() + tau.size());
  t.batchIndex = r.dataset<std::int64_t>("batch_index", 1, dims);
  const hsize_t B = t.batchIndex.size();
  t.energy = r.matrix("E", K, bins);
  t.dissipation = r.matrix("D", K, bins);
  const hsize_t I = K - 1;
  const Eigen::VectorXd dtau = r.vector("dtau", I);
  for (hsize_t k = 0; k < I; ++k) {
    const double expected = tau(static_cast<Eigen::Index>(k + 1)) - tau(static_cast<Eigen::Index>(k));
    if (!(dtau(static_cast<Eigen::Index>(k)) > 0) || !(std::abs(dtau(static_cast<Eigen::Index>(k)) - expected) <= 1e-9 * std::abs(expected))) {
      r.fail("dtau is not the difference of tau (or not positive) at interval " + std::to_string(k + 1));
    }
  }
  r.vector("relative_closure", I);
  const Eigen::MatrixXd dE = r.matrix("dE", I, bins), Dbar = r.matrix("Dbar", I, bins), J = r.matrix("J", I, bins),
                        se = r.matrix("J_se", I, bins),
                        bias = r.matrix("J_discretisation", I, bins), low = r.matrix("J_low", I, bins), high = r.matrix("J_high", I, bins);
  r.requireExtent("J_batches", r.extent("J_batches", 3), {I, B, bins});  // before the read allocates it
  std::vector<double> batches = r.dataset<double>("J_batches", 3, dims);
  for (hsize_t k = 0; k < I; ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    TransportInterval v;
    v.fromRun = t.runIds[k];
    v.toRun = t.runIds[k + 1];
    v.fromStep = t.steps[k];
    v.toStep = t.steps[k + 1];
    v.dtau = dtau(i);
    v.energyChange = dE.row(i).transpose();
    v.dissipationMean = Dbar.row(i).transpose();
    v.cumulativeFlux = J.row(i).transpose();
    v.standardError = se.row(i).transpose();
    v.discretisation = bias.row(i).transpose();
    v.low = low.row(i).transpose();
    v.high = high.row(i).transpose();
    v.cumulativeFluxBatches = Eigen::Map<const RowMajor>(batches.data() + k * B * bins, static_cast<Eigen::Index>(B),
                                                         static_cast<Eigen::Index>(bins));
    t.intervals.push_back(std::move(v));
  }
  return t;
}

}  // namespace

std::string appendTransport(const std::string& path, const SeriesTransport& transport) {
  return appendTransports(path, {transport}).front();
}

std::vector<std::string> appendTransports(const std::string& path, const std::vector<SeriesTransport>& transports) {
  silenceHdf5();
  for (const SeriesTransport& t : transports) validate(t);
  std::vector<std::string> ids;
  addToSession(path, "add transport estimates", [&](H5::H5File& file) {
    ids.clear();
    for (const SeriesTransport& t : transports) {
      const std::string id = nextNumberedChild(file, "transport", "transport");
      H5::Group parent = file.nameExists("transport") ? file.openGroup("transport") : file.createGroup("transport");
      writeTransport(parent, id, t);
      ids.push_back(id);
    }
  });
  return ids;
}

std::vector<SeriesTransport> readTransports(const std::string& path) {
  silenceHdf5();
  H5::H5File file = openExisting(path, H5F_ACC_RDONLY);
  std::vector<SeriesTransport> estimates;
  try {
    if (!file.nameExists("transport")) return estimates;
    H5::Group parent = file.openGroup("transport");
    for (const std::string& id : childNames(parent)) estimates.push_back(readOne(path, parent.openGroup(id), id));
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "the transport estimates are unreadable (" + e.getDetailMsg() + ")");
  }
  return estimates;
}

}  // namespace shellscope::transport

#pragma once
// Operator benchmark: the cost of one product M·u relative to a plain forward+backward pass on
// the same batch, for both JVP methods. Prints figures; asserts nothing (timings are not tests).

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/engine/compute.h"

namespace shellscope {

struct OperatorBenchmarkOptions {
  std::vector<std::string> models{"builtin:tiny-lm", "builtin:small-lm", "builtin:base-lm"};
  int batchSize = 4;
  int seqLen = 128;
  int repeats = 7;
  int lanczosSteps = 64;  ///< for the end-to-end time per batch
  ComputeDType dtype = ComputeDType::Float32;
  DevicePreference device = DevicePreference::Cpu;
  int threads = 0;
  std::uint64_t seed = 0;
};

/// One JVP method: median seconds per JVP and per product M·u, and the product's cost relative to
/// the forward+backward baseline (median over rounds of the per-round ratio).
struct JvpMethodTiming {
  JvpMethod method = JvpMethod::ForwardMode;
  double setup = 0;    ///< one-off work per batch beyond the recorded forward pass
  double jvp = 0;
  double product = 0;
  double ratio = 0;
  double batchSeconds = 0;  ///< one batch end to end: forward + setup + lanczosSteps products
};

struct OperatorBenchmarkResult {
  std::string model;
  std::int64_t nParams = 0;
  std::int64_t nPoints = 0;
  double forward = 0;          ///< forward pass that records the graph
  double forwardBackward = 0;  ///< the baseline: forward + backward of sum(f)
  double vjp = 0;              ///< J^T u through the retained graph
  std::vector<JvpMethodTiming> methods;
};

std::vector<OperatorBenchmarkResult> runOperatorBenchmark(const OperatorBenchmarkOptions& options,
                                                          const ProgressToken& progress);

/// A real-shape run: a randomly initialised checkpoint (e.g. Pythia-70M's exact shape) written
/// in the Hugging Face layout, loaded back through the checkpoint loader, measured on one batch of
/// token windows read from an MMIDIDX file, and projected to the paper's setting.
struct ScaleBenchmarkOptions {
  std::string shape = "pythia-70m";
  std::string model;       ///< an existing checkpoint folder instead of a generated one
  std::string workDir;     ///< where to write the generated checkpoint and tokens (a temp folder when empty)
  int batchSize = 4;
  int seqLen = 512;
  int products = 3;        ///< products timed (median)
  int lanczosSteps = 64;   ///< for the projection
  int batches = 50;        ///< for the projection
  ComputeDType dtype = ComputeDType::Float32;
  DevicePreference device = DevicePreference::Cpu;
  int threads = 0;
  bool recomputeActivations = false;  ///< the products run the layers again (compute --recompute-activations)
  /// Also measure the other choice of recomputeActivations in the same process (recomputed first,
  /// then kept) and report both and their ratios.
  bool compareRecompute = false;
};

/// One batch's setup and products with activations kept or recomputed. Memory is host resident
/// memory above the resident memory after the load (on CUDA it does not see the device's).
struct ScaleBenchmarkPhase {
  bool recomputeActivations = false;
  double setupSeconds = 0;          ///< the linearisation of the batch (forward pass, output-layer block K)
  double productSeconds = 0;        ///< one M·u (median)
  double heldMemoryGiB = 0;         ///< resident after the setup, above the loaded model
  double peakMemoryGiB = 0;         ///< peak resident through setup and products, above the loaded model
};

struct ScaleBenchmarkResult {
  std::string model;
  std::int64_t nParams = 0;
  std::int64_t nPoints = 0;
  std::string storedDtype;
  std::string device;               ///< where it ran: "cpu", "cuda:0"
  double loadSeconds = 0;           ///< checkpoint folder -> model in the compute dtype, on the device
  double loadedMemoryGiB = 0;       ///< resident memory (host) right after the load
  double setupSeconds = 0;          ///< recorded forward pass + output-layer block K, once per batch
  double productSeconds = 0;        ///< one M·u (median)
  double forwardBackwardSeconds = 0;  ///< plain forward + backward of Σ f on the same batch
  double peakMemoryGiB = 0;         ///< peak resident memory through load, setup and products
  /// The measured phases: one, or with compareRecompute the recomputed one and then the kept one.
  std::vector<ScaleBenchmarkPhase> phases;
  double projectedBatchSeconds = 0;   ///< setup + lanczosSteps products
  double projectedRunSeconds = 0;     ///< batches x projectedBatchSeconds
};

ScaleBenchmarkResult runScaleBenchmark(const ScaleBenchmarkOptions& options, const ProgressToken& progress);

/// Quadrature error against dense spectra: for a built-in model on one batch of n points
/// (float64), the exact shell energies from an explicit Jacobian and a dense eigendecomposition
/// of M, against the Gauss quadrature after m Lanczos steps (full re-orthogonalisation), for sharp
/// and smooth shells, and the Gauss-Radau bounds.
struct QuadratureBenchmarkOptions {
  std::string model = "builtin:tiny-lm";
  std::vector<int> batchSizes{4, 8};   ///< n = batchSize x seqLen
  int seqLen = 64;
  std::vector<int> steps{16, 32, 64, 96, 128, 192, 256, 320, 384, 512};
  int shellsPerDecade = 4;
  double massFraction = 0.01;          ///< shells holding at least this share of the mass are scored
  double tolerance = 0.02;             ///< "within" means relative error at most this
  /// Adaptive m (shell_convergence.h): one run per tolerance, stopped by the convergence test.
  std::vector<double> adaptiveTolerances{0.5, 0.2, 0.1, 0.05};
  int adaptiveMinSteps = 16;
  std::uint64_t seed = 0;
  int threads = 0;
};

/// One (n, m): the worst relative error over the scored shells and how many are within tolerance.
struct QuadratureBenchmarkRow {
  std::int64_t n = 0;
  int m = 0;                     ///< steps (adaptive rows: the steps the test took)
  double adaptiveTolerance = 0;  ///< > 0: an adaptive-m row
  int scoredSharp = 0, withinSharp = 0, scoredSmooth = 0, withinSmooth = 0;
  double worstSharp = 0, worstSmooth = 0;
  double smoothWithinFrom = 0;   ///< λ centre from which every scored smooth window is within tolerance (NaN: none)
  double worstBoundWidth = 0;    ///< largest (upper - lower) / exact over the scored sharp shells
  bool boundsHold = true;        ///< every sharp shell's exact energy lies within its bounds
  /// The shell dissipations (fixed-m rows; NaN on adaptive rows): max over shells of the error of
  /// D_γ = Σ θ m (Lanczos on e) and of the cross-entropy dissipation Σ λ g c by polarisation
  /// (¼ (D⁺ − D⁻), Lanczos on e ± 1), each relative to Σ_γ |D_γ| of the truth.
  double dissipationError = 0, crossDissipationError = 0;
  /// Per scored shell, ascending λ: centre, exact sharp and smooth energy share, relative errors.
  std::vector<double> centres, sharpErrors, smoothErrors, boundWidths;
};

std::vector<QuadratureBenchmarkRow> runQuadratureBenchmark(const QuadratureBenchmarkOptions& options,
                                                           const ProgressToken& progress);

}  // namespace shellscope

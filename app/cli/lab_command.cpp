// shellscope-cli lab run | show: the exact lab (docs/lab.md, "The driver"). `run` trains a small
// model by full-batch gradient descent, measures the shell balance at every interval and adds the
// result to a session under /lab; `show` prints what a session holds there.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/exact_agreement.h"

namespace shellscope::cli {

namespace {

std::string number(double value, const char* format = "%.4g") {
  if (std::isnan(value)) return "nan";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

void printIntervals(std::ostream& out, const LabRun& run) {
  out << "  interval   steps        dtau  rel.resid   cos(-Me)   cos(-M1)  transport/D  crossing  rotation\n";
  for (std::size_t k = 0; k < run.intervals.size(); ++k) {
    const LabInterval& i = run.intervals[k];
    char line[200];
    std::snprintf(line, sizeof line, "  %8zu %5d-%-5d %10.4g %10.3e %10.6f %10.6f %12.4g %9d %9.3g\n", k + 1,
                  run.checkpoints[k].step, run.checkpoints[k + 1].step, i.dtau, i.relativeResidual, i.cosineErrorFlow,
                  i.cosineOnesFlow, i.transportToDissipation, i.crossingModes, i.largestRotation);
    out << line;
  }
}

void printHeldOut(std::ostream& out, const LabRun& run) {
  const LabCheckpoint& first = run.checkpoints.front();
  const LabCheckpoint& last = run.checkpoints.back();
  const LabCheckpoint* lowest = &first;
  for (const LabCheckpoint& c : run.checkpoints) lowest = c.heldOutLoss < lowest->heldOutLoss ? &c : lowest;
  out << "  held-out: n' = " << run.settings.heldOutPoints << ", " << run.heldOutSource << "\n";
  out << "    loss " << number(first.heldOutLoss) << " -> " << number(last.heldOutLoss) << " (lowest "
      << number(lowest->heldOutLoss) << " at step " << lowest->step << ")\n";
  out << "    sum_b R_b against -w'K'd/(n n'): largest relative difference " << number(run.maxHeldOutIdentityError(), "%.2e")
      << "; against dL'/dtau measured: " << number(run.maxHeldOutRateMismatch(), "%.2e") << " of its largest value\n";
  const HeldOutRiseWindow window = heldOutRiseWindow(run);
  if (window.rises()) {
    out << "    L' rises over steps " << window.firstStep << " .. " << window.lastStep << " (" << window.risingIntervals
        << " intervals); shells raising it there: lambda " << number(window.lambdaLow, "%.3g") << " .. "
        << number(window.lambdaHigh, "%.3g") << " (" << window.positiveShare * 100 << "% of the positive R)\n";
  } else {
    out << "    L' does not rise between checkpoints\n";
  }
}

void printLabRun(std::ostream& out, const LabRun& run, bool intervals) {
  const LabRunSettings& s = run.settings;
  const LabCheckpoint& first = run.checkpoints.front();
  const LabCheckpoint& last = run.checkpoints.back();
  out << (run.id.empty() ? std::string("lab run") : run.id) << ": " << s.model << " (" << run.observable
      << ", P = " << run.parameterCount << "), n = " << s.points << ", " << lab::toString(s.objective) << "\n";
  out << "  " << s.optimizerDescription() << ": eta = " << number(s.learningRate) << ", alpha = " << number(s.outputScale)
      << (s.scaleOn == ScaleOn::Logits ? " on the logits" : "") << " (step eta/alpha^2 = " << number(s.stepSize()) << "), " << s.steps << " steps, checkpoints every " << s.every
      << " (" << run.checkpoints.size() << "), tau = " << number(last.tau) << "\n";
  out << "  data: " << run.dataSource << "\n";
  if (!s.checkpointFolder.empty()) {
    out << "  checkpoints: " << s.checkpointFolder << "/step<N>/ and " << s.checkpointFolder << "/points.npy\n";
  }
  out << "  window: " << run.window.shellsPerDecade << " shells/decade, " << number(run.window.edge(0), "%.3g")
      << " .. " << number(run.window.edge(run.window.shellCount), "%.3g") << " (" << run.window.shellCount
      << " shells + underflow + overflow)\n";
  out << "  loss " << number(first.loss) << " -> " << number(last.loss) << ", mean(e^2) " << number(first.meanSquaredError)
      << " -> " << number(last.meanSquaredError) << ", lambda_max(M) " << number(first.lambdaMax) << " -> "
      << number(last.lambdaMax) << " (largest step x lambda_max " << number(run.largestStepTimesLambda(), "%.3g") << ")\n";
  double rotation = 0;
  long long crossings = 0, weak = 0;
  double lowRatio = NAN, highRatio = NAN;
  for (const LabInterval& i : run.intervals) {
    rotation = std::max(rotation, i.largestRotation);
    crossings += i.crossingModes;
    weak += i.weakCrossings;
    if (std::isfinite(i.transportToDissipation)) {
      lowRatio = std::isnan(lowRatio) ? i.transportToDissipation : std::min(lowRatio, i.transportToDissipation);
      highRatio = std::isnan(highRatio) ? i.transportToDissipation : std::max(highRatio, i.transportToDissipation);
    }
  }
  out << "  balance: relative residual max " << number(run.maxRelativeResidual(), "%.3e") << ", median "
      << number(run.medianRelativeResidual(), "%.3e") << " (max_b |R_b| / 2 sum_b |Dbar_b| per interval)\n";
  out << "  de/dtau against -M e: cosine min " << number(run.minCosineErrorFlow(), "%.6f") << ", mean "
      << number(run.meanCosineErrorFlow(), "%.6f") << "; against -M 1: cosine min "
      << number(run.minCosineOnesFlow(), "%.6f") << ", mean " << number(run.meanCosineOnesFlow(), "%.6f") << "\n";
  out << "  transport/dissipation over the run: " << number(run.runTransportToDissipation()) << " (intervals "
      << number(lowRatio) << " .. " << number(highRatio) << ")\n";
  out << "  modes crossing edges: " << crossings << " (" << weak << " weakly tracked); largest rotation per interval "
      << number(rotation, "%.3g") << " rad\n";
  if (const int fast = run.fastIntervals(0.1)) {
    out << "  note: " << fast << " of " << run.intervals.size()
        << " intervals turned a cross-shell pair by more than 0.1 rad, where the second-order balance\n"
           "        starts to lose accuracy; a smaller --lr or --every resolves them\n";
  }
  if (run.minCosineOnesFlow() < 0.9 && run.minCosineErrorFlow() < 0.9) {
    out << "  note: in some intervals the measured de/dtau follows neither -M e nor -M 1 (cosine below 0.9):\n"
           "        gradient descent has left the gradient-flow regime there (step too long for the curvature)\n";
  }
  if (run.hasHeldOut()) printHeldOut(out, run);
  out << "  time: " << number(run.computeSeconds, "%.1f") << " s (J and M " << number(run.jacobianSeconds, "%.1f")
      << " s, eigenbases and balance " << number(run.spectrumSeconds, "%.1f") << " s)\n";
  if (intervals) printIntervals(out, run);
}

int labRunCommand(const Arguments& args) {
  std::string models;
  for (const std::string& m : labModelNames()) models += (models.empty() ? "" : ", ") + m;
  CommandLine cl("lab run", "lab run --out SESSION.h5 [--model M] [--points N] [--steps K] [--lr ETA] [options]",
                 "Trains a small model by full-batch gradient descent on n fixed points, forms M = J J^T/n exactly\n"
                 "(float64) at every checkpoint and measures the shell balance of every interval term by term\n"
                 "(docs/lab.md). The run is added to the session under /lab (created when missing).\nModels: " + models +
                     "\n(mlp: the regressor on its sum-of-sines task; nano-lm, tiny-lm: GPT-NeoX on the synthetic\n"
                     "language, one character per token, the points the token positions of points/seq-len windows).");
  LabRunSettings s;
  std::string out;
  bool noSpectra = false, intervals = false;
  cl.option("model", "M", "lab model", s.model).setting("model");
  cl.option("points", "N", "fixed training points n (an LM: token positions)", s.points).setting("points");
  cl.option("seq-len", "L", "language models: tokens per window", s.seqLen).setting("seq_len");
  cl.option("steps", "K", "gradient-descent steps", s.steps).setting("steps");
  cl.option("lr", "ETA", "step size eta (each step is eta/alpha^2; the LMs need about 0.005)", s.learningRate).setting("learning_rate");
  cl.choice("objective", "OBJ", "mse-of-error (L = mean(e^2)/2) | cross-entropy (L = mean(e), LMs)", s.objective,
            lab::parseObjective, static_cast<std::string (*)(lab::Objective)>(lab::toString))
      .setting("objective");
  cl.option("batch-rows", "R", "SGD: rows (LM windows, regressor points) drawn per step; 0 = full batch", s.batchRows)
      .setting("batch_rows");
  cl.option("momentum", "BETA", "heavy-ball momentum: v <- beta v + grad, theta <- theta - h v", s.momentum)
      .setting("momentum");
  cl.option("every", "S", "a checkpoint every S steps (and at the last step)", s.every).setting("every");
  cl.option("held-out", "N", "held-out points n' (never trained on): their loss, profile and the held-out loss rate per\n"
            "training shell at every checkpoint (docs/generalisation.md); an LM's: a multiple of --seq-len", s.heldOutPoints)
      .defaultText("none").setting("held_out_points");
  cl.option("label-noise", "SIGMA", "mlp: N(0, SIGMA^2) added to the training targets (held-out targets stay clean)",
            s.labelNoise).setting("label_noise");
  cl.option("output-scale", "ALPHA", "lazy-to-rich knob: f -> alpha (f - f0) + f0, step eta/alpha^2", s.outputScale)
      .setting("output_scale");
  cl.choice("scale-on", "WHAT", "f | logits (LMs: alpha scales the logits, f = log softmax(z_alpha)[y])", s.scaleOn,
            parseScaleOn, static_cast<std::string (*)(ScaleOn)>(toString))
      .setting("scale_on");
  cl.option("seed", "N", "seed of the model and its data", s.seed).setting("seed");
  cl.option("shells-per-decade", "S", "log shells per decade of lambda", s.shellsPerDecade).setting("shells_per_decade");
  cl.option("lambda-min", "X", "fixed lower end of the shell window", s.lambdaMin).defaultText("automatic").setting("lambda_min");
  cl.option("lambda-max", "X", "fixed upper end of the shell window", s.lambdaMax).defaultText("automatic").setting("lambda_max");
  cl.option("relative-floor", "X", "automatic window floor relative to lambda_max at step 0", s.relativeFloor)
      .setting("relative_floor");
  cl.option("margin-decades", "X", "automatic window ends widened by X decades", s.marginDecades).setting("margin_decades");
  cl.flag("no-spectra", "do not store the eigenvalues and amplitudes (K x n each)", noSpectra);
  cl.option("save-checkpoints", "DIR",
            "language models: every checkpoint as DIR/step<N>/ (Pythia layout, float64) and the points as "
            "DIR/points.npy, for the normal loaders (compute --model DIR --data DIR/points.npy)",
            s.checkpointFolder)
      .setting("checkpoint_folder");
  cl.flag("intervals", "print every interval", intervals);
  cl.option("threads", "N", "CPU threads, 0 = all cores", s.threads).setting("threads");
  cl.option("out", "SESSION.h5", "session file to add the lab run to", out);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  cl.require("out");
  s.storeSpectra = !noSpectra;
  s.validate();
  if (std::filesystem::exists(out)) readSession(out);  // fail before training when it cannot take the run
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw std::runtime_error(out + ": directory '" + folder.string() + "' does not exist");
  }
  LabRun run;
  {
    TerminalProgress progress;
    try {
      run = runLab(s, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled: " << out << " was not modified\n";
      return kExitCancelled;
    }
  }
  run.id = appendLabRun(out, run);
  std::cout << "added " << run.id << " to " << out << "\n";
  printLabRun(std::cout, run, intervals);
  return 0;
}

int labShowCommand(const Arguments& args) {
  CommandLine cl("lab show", "lab show SESSION.h5 [--run ID] [--intervals]",
                 "Prints the lab runs stored in a session (/lab): settings, the balance residual, the agreement of\n"
                 "the measured error velocity with -M e and -M 1, and the transport-to-dissipation ratio.");
  std::string id;
  bool intervals = false;
  cl.option("run", "ID", "only this lab run (e.g. lab-0001)", id);
  cl.flag("intervals", "print every interval", intervals);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  readSession(path);  // a valid session first
  const std::vector<LabRun> runs = readLabRuns(path);
  if (runs.empty() && id.empty()) {
    std::cout << path << ": no lab runs\n";
    return 0;
  }
  bool found = false;
  for (const LabRun& run : runs) {
    if (!id.empty() && run.id != id) continue;
    if (found) std::cout << "\n";
    found = true;
    printLabRun(std::cout, run, intervals);
  }
  if (!found) throw std::runtime_error(path + ": no lab run '" + id + "'");
  return 0;
}

int labCheckTransportCommand(const Arguments& args) {
  CommandLine cl("lab check-transport", "lab check-transport SESSION.h5 [--run ID] [--spacing 1,2,4,...]",
                 "Validates the by-difference flux (shellscope-cli transport) against the exact one: on every s-th\n"
                 "checkpoint of each lab run, J_{<=b} = 1/2 sum (dE/dtau + 2 Dbar) from the two end checkpoints of a\n"
                 "span, against the lab's exact flux (rotation + crossings) averaged over the span. Prints the median\n"
                 "and largest relative error per spacing (docs/lab.md, \"How far apart may checkpoints be\").\n"
                 "Cross-entropy runs are compared with both dissipations: D = sum lambda g^2 (what a series estimate\n"
                 "from Lanczos on e uses) and D_ce = sum lambda g c (the one cross-entropy training implies).");
  std::string id, spacingText = "1,2,4,8,16,32";
  cl.option("run", "ID", "only this lab run (e.g. lab-0001)", id);
  cl.option("spacing", "S,...", "checkpoint spacings to compare (multiples of the run's --every)", spacingText);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  const std::vector<int> spacings = parseNumberList<int>(spacingText, "spacing");
  readSession(path);
  const std::vector<LabRun> runs = readLabRuns(path);
  bool found = false;
  for (const LabRun& run : runs) {
    if (!id.empty() && run.id != id) continue;
    found = true;
    const auto K = static_cast<Eigen::Index>(run.checkpoints.size());
    std::vector<double> tau, lambdaMax;
    Eigen::MatrixXd energy(K, run.binCount()), mseD(K, run.binCount()), ceD(K, run.binCount()),
        exact(K - 1, run.binCount());
    for (Eigen::Index k = 0; k < K; ++k) {
      const LabCheckpoint& c = run.checkpoints[static_cast<std::size_t>(k)];
      tau.push_back(c.tau);
      lambdaMax.push_back(c.lambdaMax);
      energy.row(k) = c.energy.transpose();
      mseD.row(k) = c.dissipation.transpose();
      ceD.row(k) = c.crossEntropyDissipation.transpose();
      if (k + 1 < K) exact.row(k) = run.intervals[static_cast<std::size_t>(k)].cumulativeFlux.transpose();
    }
    const bool crossEntropy = run.settings.objective == lab::Objective::CrossEntropy;
    std::cout << run.id << ": " << run.settings.model << ", " << lab::toString(run.settings.objective) << ", alpha "
              << number(run.settings.outputScale) << ", checkpoints every " << run.settings.every << " steps of h = "
              << number(run.settings.stepSize()) << "\n";
    std::cout << "  spacing  steps  dtau*lmax  spans   median err   max err  err/2D  sign right"
              << (crossEntropy ? "   | with D_ce: median    max  err/2D   sign" : "") << "\n";
    for (int s : spacings) {
      if (s < 1) throw UsageError("--spacing: spacings must be at least 1");
      if (s >= K) continue;
      const auto a = transport::compareWithExactFlux(tau, energy, mseD, exact, s, lambdaMax);
      char line[200];
      std::snprintf(line, sizeof line, "  %7d %6d %10.3g %6d %12.3g %9.3g %7.2g %11.3f", s, s * run.settings.every,
                    a.medianDtauLambdaMax, a.spans, a.medianRelativeError, a.maxRelativeError,
                    a.medianDissipationError / 2, a.signAgreement);
      std::cout << line;
      if (crossEntropy) {
        const auto c = transport::compareWithExactFlux(tau, energy, ceD, exact, s);
        std::snprintf(line, sizeof line, "   | %18.3g %8.3g %7.2g %6.3f", c.medianRelativeError, c.maxRelativeError,
                      c.medianDissipationError / 2, c.signAgreement);
        std::cout << line;
      }
      std::cout << "\n";
    }
  }
  if (!found) throw std::runtime_error(path + (id.empty() ? ": no lab runs" : ": no lab run '" + id + "'"));
  return 0;
}

}  // namespace

int labCommand(const Arguments& args) {
  const std::string usage =
      "usage: shellscope-cli lab run|show|check-transport ...   (shellscope-cli lab run --help, ...)\n"
      "  run              train a small model by full-batch gradient descent and measure the exact shell balance\n"
      "  show             print the lab runs of a session\n"
      "  check-transport  the by-difference flux against the exact one, at several checkpoint spacings\n";
  if (args.empty()) throw UsageError("lab needs a subcommand: run or show");
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return 0;
  }
  const Arguments rest(args.begin() + 1, args.end());
  if (args[0] == "run") return labRunCommand(rest);
  if (args[0] == "show") return labShowCommand(rest);
  if (args[0] == "check-transport") return labCheckTransportCommand(rest);
  throw UsageError("unknown lab subcommand '" + args[0] + "' (expected run, show or check-transport)");
}

}  // namespace shellscope::cli

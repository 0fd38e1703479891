#include <cstdio>
#include <iostream>
#include <algorithm>
#include <cmath>
#include <map>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/experiment/experiment.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/transport_file.h"

#ifdef SHELLSCOPE_WITH_UI
#include <fcntl.h>
#include <spawn.h>

#include <cstdlib>
#include <filesystem>

#include "ui/figures/experiment_figures.h"

extern char** environ;
#endif

namespace shellscope::cli {

namespace {

/// Per model: held-out loss, training loss and the peak shell per checkpoint.
void printExperimentSummary(std::ostream& out, const Session& session) {
  std::map<std::string, std::vector<const Run*>> byModel;
  for (const Run& run : session.runs) byModel[run.meta.modelName].push_back(&run);
  for (auto& [model, runs] : byModel) {
    std::sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
    const TrainingLog* log = session.findTrainingLog(model);
    char line[160];
    std::snprintf(line, sizeof line, "\n%s (%lld parameters)\n%8s %12s %12s %12s %12s %10s\n", model.c_str(),
                  static_cast<long long>(runs.front()->meta.nParams), "step", "train loss", "held-out", "peak lambda",
                  "peak E", "acc. lr");
    out << line;
    for (const Run* run : runs) {
      const std::int64_t step = run->meta.step;
      const int peak = run->peakShell();
      double trainLoss = std::nan("");
      if (log && step > 0 && step <= static_cast<std::int64_t>(log->steps.size())) trainLoss = log->loss(step - 1);
      std::snprintf(line, sizeof line, "%8lld %12.4f %12.4f %12.4g %12.4g %10.3g\n", static_cast<long long>(step),
                    trainLoss, run->loss.mean(), peak >= 0 ? run->window.centre(peak) : std::nan(""),
                    peak >= 0 ? run->shellEnergy(peak) : std::nan(""), log ? log->accumulatedLearningRate(step) : 0.0);
      out << line;
    }
  }
}

/// The theory lab's figures: per model the flux across the shell edges of its series (the latest
/// estimate), and per lab run the transport-to-dissipation ratio and the balance residual.
void printDynamicsSummary(std::ostream& out, const std::string& path) {
  std::map<std::string, transport::SeriesTransport> latest;
  for (transport::SeriesTransport& t : transport::readTransports(path)) latest[t.modelName] = std::move(t);
  if (!latest.empty()) {
    out << "\nenergy flux between shells, by difference (shellscope-cli transport " << path << " --edges):\n";
    for (const auto& [model, t] : latest) {
      int toward = 0, away = 0;
      for (const transport::TransportInterval& v : t.intervals) {
        for (int b = 0; b + 1 < t.binCount(); ++b) {
          toward += v.low(b) > 0;
          away += v.high(b) < 0;
        }
      }
      char line[200];
      std::snprintf(line, sizeof line, "  %-10s %zu intervals x %d edges: %d cells toward small lambda, %d away (%.0f%%), largest |closure| %.3g\n",
                    model.c_str(), t.intervals.size(), t.binCount() - 1, toward, away, 100 * t.confidence, t.maxRelativeClosure());
      out << line;
    }
    out << "  (these models are trained by AdamW on cross-entropy and measured on held-out batches: de/dtau = -M e does\n"
           "   not hold, so the closure is far from 0 and the flux describes the data, not a test of the balance law;\n"
           "   docs/lab.md, \"Flux at scale\")\n";
  }
  const std::vector<LabRun> labs = readLabRuns(path);
  if (!labs.empty()) {
    out << "\nexact lab runs (shellscope-cli lab show " << path << "):\n";
    for (const LabRun& run : labs) {
      char line[200];
      std::snprintf(line, sizeof line, "  %s %s alpha %-4g transport/dissipation %.3g, balance residual median %.2g max %.2g\n",
                    run.id.c_str(), run.settings.model.c_str(), run.settings.outputScale, run.runTransportToDissipation(),
                    run.medianRelativeResidual(), run.maxRelativeResidual());
      out << line;
    }
  }
}

#ifdef SHELLSCOPE_WITH_UI
/// Starts the desktop application (installed next to this executable) on the session, in its own
/// session so that it outlives this command, when there is a display to show it on. Returns the
/// executable started, or an empty path.
std::filesystem::path openInDesktopApp(const std::string& sessionPath) {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (!(x11 && *x11) && !(wayland && *wayland)) return {};
  std::error_code error;
  const std::filesystem::path gui = std::filesystem::read_symlink("/proc/self/exe", error).parent_path() / "shellscope";
  if (error || !std::filesystem::exists(gui)) return {};
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  // Not on this command's streams: `shellscope-cli demo | tee log` must end when the demo does.
  posix_spawn_file_actions_t streams;
  posix_spawn_file_actions_init(&streams);
  for (const int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&streams, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
  const std::string program = gui.string(), session = std::filesystem::absolute(sessionPath).string();
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(session.c_str()), nullptr};
  pid_t pid = 0;
  const int failed = posix_spawn(&pid, program.c_str(), &streams, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&streams);
  posix_spawnattr_destroy(&attributes);
  return failed ? std::filesystem::path() : gui;
}
#endif

}  // namespace

int demoCommand(const Arguments& args) {
  CommandLine cl("demo", "demo [--out DIR] [--quick] [--no-gui]",
                 "The built-in experiment: trains a family of small GPT-NeoX models on a synthetic language,\n"
                 "keeps checkpoints in Pythia's layout (DIR/<model>/step<N>/), computes the shell energies of\n"
                 "every checkpoint into DIR/session.h5 and prints a summary. Stop it at any time: run it again\n"
                 "and it resumes where it stopped, without redoing finished checkpoints. When a display\n"
                 "is available the session then opens in the desktop application (shellscope).");
  const ExperimentSettings standard = ExperimentSettings::standard();
  std::string outDir = standard.outDir;
  int threads = standard.threads;
  DevicePreference device = standard.device;
  bool quick = false, noGui = false;
  cl.option("out", "DIR", "output directory", outDir);
  cl.flag("quick", "a much smaller experiment (for tests)", quick);
  cl.option("threads", "N", "CPU threads, 0 = all cores", threads).setting("threads");
  cl.choice("device", "DEV", "auto | cpu | cuda: where the shells are computed", device, parseDevice,
            static_cast<std::string (*)(DevicePreference)>(toString))
      .setting("device");
  cl.flag("no-gui", "do not open the session in the desktop application", noGui);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  ExperimentSettings settings = quick ? ExperimentSettings::quick() : standard;
  settings.outDir = outDir;
  settings.threads = threads;
  settings.device = device;
  ExperimentReport report;
  {
    TerminalProgress progress;
    try {
      report = runExperiment(settings, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled: finished checkpoints and runs are kept in " << settings.outDir
                << "; run the same command again to resume\n";
      return kExitCancelled;
    }
  }
  const Session session = readSession(report.sessionPath);
  std::cout << "session " << report.sessionPath << ": " << session.runs.size() << " runs, "
            << session.trainingLogs.size() << " training logs\n";
  for (const std::string& stage : report.stageTimes) std::cout << "  " << stage << "\n";
  std::printf("  total %.0f s\n", report.seconds);
  printExperimentSummary(std::cout, session);
  printDynamicsSummary(std::cout, report.sessionPath);
#ifdef SHELLSCOPE_WITH_UI
  const std::string figures = (std::filesystem::path(settings.outDir) / "figures").string();
  std::cout << "\nfigures:\n";
  for (const QString& path : ui::renderSessionFigures(session, QString::fromStdString(figures))) {
    std::cout << "  " << path.toStdString() << "\n";
  }
  if (!noGui) {
    const std::filesystem::path gui = openInDesktopApp(report.sessionPath);
    if (!gui.empty()) std::cout << "\nopened in " << gui.string() << " (--no-gui to skip)\n";
  }
#else
  std::cout << "\n(figures need the Qt build: configure with SHELLSCOPE_BUILD_UI=ON)\n";
#endif
  return 0;
}

}  // namespace shellscope::cli

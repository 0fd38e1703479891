#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/session_summary.h"
#include "cli/terminal_progress.h"
#include "shellscope/compute.h"
#include "shellscope/session_file.h"

namespace shellscope::cli {

int demoCommand(const Arguments& args) {
  CommandLine cl("demo", "demo [--out DIR] [--quick]",
                 "The built-in default job: shell energies of the built-in GPT-NeoX language model\n"
                 "(builtin:tiny-lm) on its synthetic data, written to DIR/session.h5, then summarised.",
                 {
                     {"out", "DIR", "output directory", "shellscope-demo"},
                     {"quick", "", "fewer batches and Lanczos steps (for tests)", ""},
                     {"threads", "N", "CPU threads, 0 = all cores", "0"},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string directory = cl.value("out");
  std::filesystem::create_directories(directory);
  const std::string path = (std::filesystem::path(directory) / "session.h5").string();

  ComputeSettings settings;
  settings.models = {"builtin:tiny-lm", "builtin:mlp"};
  settings.batches = cl.has("quick") ? 2 : 8;
  settings.batchSize = 4;
  settings.seqLen = 64;
  settings.lanczosSteps = cl.has("quick") ? 16 : 96;
  settings.threads = cl.intValue("threads");
  settings.device = DevicePreference::Auto;

  Session session;
  {
    TerminalProgress progress;
    try {
      for (Run& run : computeRuns(settings, progress.token())) session.addRun(std::move(run));
    } catch (const CancelledError&) {
      std::cerr << "cancelled: nothing written\n";
      return kExitCancelled;
    }
  }
  writeSession(path, session);
  const Session written = readSession(path);
  printSessionSummary(std::cout, path, written);
  for (const Run& run : written.runs) {
    std::cout << "\n";
    printRunProfile(std::cout, run);
  }
  return 0;
}

}  // namespace shellscope::cli

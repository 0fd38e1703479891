// The shellscope-cli program: the command table, --help, --version and how errors end the
// process (one line; exit 2 for bad usage, 1 for failures, 130 when cancelled).
#include "cli/cli_main.h"

#include <iostream>
#include <map>

#include "cli/child_check.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/engine/runtime.h"

namespace {

const char* kUsage =
    "usage: shellscope-cli COMMAND [options]    (shellscope-cli COMMAND --help for its options)\n"
    "\n"
    "commands:\n"
    "  compute      shell energies of checkpoints on token batches, appended to a session file\n"
    "  merge        gather a campaign's partial sessions (compute over ranks or --shard K/N) into runs\n"
    "  info         validate a session file and print its runs and profiles (and campaigns' progress)\n"
    "  export-csv   write a session's runs as CSV files\n"
    "  analyze      frontier, fits and trends of a session's runs (written into the session)\n"
    "  render       a figure of a session as PNG, SVG or PDF\n"
    "  eval         mean negative log-likelihood of a checkpoint per batch\n"
    "  tokenize     turn text into a token file with a tokenizer.json\n"
    "  init-checkpoint  write a randomly initialised checkpoint at a real model's shape\n"
    "  bench        time an operator product M.u against a forward+backward pass\n"
    "  bench-scale  time one batch at a real model's shape (Pythia-70M) and project the paper's run\n"
    "  bench-campaign  cost of a campaign's item saves and merge at the paper's size; its projection on N devices\n"
    "  bench-analysis  bias and coverage of the frontier estimators on synthetic profiles\n"
    "  bench-quadrature  shell energies after m Lanczos steps against a dense eigendecomposition\n"
    "  demo         the built-in default job: compute a session for a built-in model and summarise it\n"
    "  lab          lab run: train a small model by gradient descent and measure the exact shell balance;\n"
    "               lab show: print the lab runs of a session; lab check-transport: the by-difference\n"
    "               flux against the exact one at several checkpoint spacings\n"
    "  transport    energy flux between shells on each model's checkpoint series, by difference\n"
    "\n"
    "  --version    versions, the BLAS library in use, CUDA and threads\n";

}  // namespace

namespace shellscope::cli {

int runCli(int argc, char** argv) {
  const std::map<std::string, int (*)(const Arguments&)> commands{
      {"compute", computeCommand}, {"info", infoCommand}, {"merge", mergeCommand}, {"export-csv", exportCsvCommand},
      {"bench", benchCommand},     {"demo", demoCommand},            {"eval", evalCommand},
      {"analyze", analyzeCommand},     {"render", renderCommand},
      {"tokenize", tokenizeCommand}, {"init-checkpoint", initCheckpointCommand}, {"bench-scale", benchScaleCommand},
      {"bench-campaign", benchCampaignCommand},
      {"bench-analysis", benchAnalysisCommand}, {"bench-quadrature", benchQuadratureCommand},
      {"lab", labCommand}, {"transport", transportCommand},
  };
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  checkUnsealedSessionsInChild();  // a damaged file without a checksum must not crash the program
  try {
    if (name == "--version") {
      shellscope::configureThreads(0);
      std::cout << shellscope::versionLine() << "\n";
      return 0;
    }
    const auto command = commands.find(name);
    if (command == commands.end()) throw UsageError("unknown command '" + name + "' (see shellscope-cli --help)");
    return command->second(Arguments(argv + 2, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "shellscope-cli: " << e.what() << "\n";
    return 2;
  } catch (const SettingError& e) {
    // Core names the setting; say it with this command's option.
    std::cerr << "shellscope-cli: " << CommandLine::usageError(e).what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "shellscope-cli " << name << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace shellscope::cli

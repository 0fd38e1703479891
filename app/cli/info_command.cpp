#include <filesystem>
#include <iostream>

#include "cli/campaign.h"

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/session_summary.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/transport_file.h"

namespace shellscope::cli {

int infoCommand(const Arguments& args) {
  CommandLine cl("info", "info SESSION.h5 [--run ID] [--profiles] [--check]",
                 "Validates a session file and prints its runs; with --run or --profiles, the shell profiles;\n"
                 "with --check, every problem of the file, one per line (exit status 1 when there is one).\n"
                 "A campaign's partial sessions beside SESSION.h5 (compute over ranks or --shard K/N) add its\n"
                 "progress: items done and merged, missing, and failed with their errors (SESSION.h5 itself may\n"
                 "not exist yet).");
  std::vector<std::string> runs;
  bool profiles = false, check = false;
  cl.flag("check", "list every problem of the file (shapes and meaning) instead of stopping at the first", check);
  bool reseal = false;
  cl.flag("reseal", "accept a deliberate change by another program: rewrite the file's checksum", reseal);
  cl.option("run", "ID", "print the shell profile of this run", runs);
  cl.flag("profiles", "print the shell profile of every run", profiles);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  if (reseal) {
    resealSession(path);
    std::cout << path << ": checksum rewritten\n";
  }
  if (check) {
    std::vector<std::string> problems = checkSessionFile(path);
    if (problems.empty()) {
      // The stored analysis, transport estimates and lab runs are parsed too: the GUI's
      // child-process check runs this, and the GUI's views read those groups.
      try {
        analysis::readAnalysis(path, readSession(path));
        (void)transport::readTransports(path);
        (void)readLabRuns(path);
      } catch (const std::exception& e) {
        problems.push_back(e.what());
      }
    }
    for (const std::string& problem : problems) std::cout << problem << "\n";
    if (problems.empty()) std::cout << path << ": no problems found\n";
    return problems.empty() ? 0 : 1;
  }
  if (!std::filesystem::exists(path) && printCampaignProgress(std::cout, path) > 0) return 0;
  const Session session = readSession(path);
  printSessionSummary(std::cout, path, session);
  if (!session.viewStates.empty()) {
    std::cout << "view states (render --state NAME):";
    for (const NamedViewState& state : session.viewStates) std::cout << " '" << state.name << "'";
    std::cout << "\n";
  }
  printCampaignProgress(std::cout, path);
  for (const std::string& id : runs) {
    const Run* run = session.findRun(id);
    if (!run) throw std::runtime_error(path + ": no run '" + id + "'");
    std::cout << "\n";
    printRunProfile(std::cout, *run);
    printRunInputs(std::cout, *run, path);
  }
  if (profiles) {
    for (const Run& run : session.runs) {
      std::cout << "\n";
      printRunProfile(std::cout, run);
    }
  }
  return 0;
}

}  // namespace shellscope::cli

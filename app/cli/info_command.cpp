#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/session_summary.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

int infoCommand(const Arguments& args) {
  CommandLine cl("info", "info SESSION.h5 [--run ID] [--profiles]",
                 "Validates a session file and prints its runs; with --run or --profiles, the shell profiles.");
  std::vector<std::string> runs;
  bool profiles = false;
  cl.option("run", "ID", "print the shell profile of this run", runs);
  cl.flag("profiles", "print the shell profile of every run", profiles);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  const Session session = readSession(path);
  printSessionSummary(std::cout, path, session);
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

#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/session/csv_export.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

int exportCsvCommand(const Arguments& args) {
  CommandLine cl("export-csv", "export-csv SESSION.h5 --out DIR",
                 "Writes runs.csv and, per run, <id>.shells.csv, <id>.batches.csv and <id>.ritz.csv into DIR.");
  std::string directory;
  cl.option("out", "DIR", "output directory (created when missing)", directory);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  cl.require("out");
  const Session session = readSession(path);
  for (const std::string& file : exportSessionCsv(session, directory)) std::cout << file << "\n";
  return 0;
}

}  // namespace shellscope::cli

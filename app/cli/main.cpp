// shellscope-cli: the ShellScope engine without a GUI. Kept thin: the program is cli/cli_main.cpp,
// the commands live in their own files (tests link them into programs of their own).
#include "cli/cli_main.h"
#include "shellscope/base/tuned_runtime.h"

int main(int argc, char** argv) {
  shellscope::reexecWithTunedRuntime(argc, argv);
  return shellscope::cli::runCli(argc, argv);
}

#pragma once
// The whole command-line program as a function, so that test programs can run it with extra model
// families registered (tests/app/toy_bigram_family.cpp) exactly as shellscope-cli runs.

namespace shellscope::cli {

/// Runs `shellscope-cli ARGS...`; returns the exit status.
int runCli(int argc, char** argv);

}  // namespace shellscope::cli

#pragma once
// The shellscope-cli commands. Each takes the arguments after its name and returns the exit
// status; bad usage throws UsageError, failures throw std::exception (main prints one line).

#include <string>
#include <vector>

namespace shellscope::cli {

using Arguments = std::vector<std::string>;

int computeCommand(const Arguments& args);
int infoCommand(const Arguments& args);
int mergeCommand(const Arguments& args);
int exportCsvCommand(const Arguments& args);
int benchCommand(const Arguments& args);
int benchScaleCommand(const Arguments& args);
int benchCampaignCommand(const Arguments& args);
int benchAnalysisCommand(const Arguments& args);
int benchQuadratureCommand(const Arguments& args);
int demoCommand(const Arguments& args);
int evalCommand(const Arguments& args);
int analyzeCommand(const Arguments& args);
int renderCommand(const Arguments& args);
int tokenizeCommand(const Arguments& args);
int initCheckpointCommand(const Arguments& args);
int labCommand(const Arguments& args);
int transportCommand(const Arguments& args);

inline constexpr int kExitCancelled = 130;

}  // namespace shellscope::cli

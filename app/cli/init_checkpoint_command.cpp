#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/engine/checkpoint_writer.h"

namespace shellscope::cli {

int initCheckpointCommand(const Arguments& args) {
  std::string shapes;
  for (const auto& s : knownModelShapes()) shapes += (shapes.empty() ? "" : " | ") + s;
  CommandLine cl("init-checkpoint", "init-checkpoint --shape NAME --out DIR [--layout L] [--store-dtype T]",
                 "Writes a randomly initialised GPT-NeoX checkpoint folder (config.json + weights) in the\n"
                 "Hugging Face layout, at a real model's shape: for trying ShellScope at scale without\n"
                 "downloading weights.",
                 {
                     {"shape", "NAME", shapes, "pythia-70m"},
                     {"config", "FILE", "take the shape from this config.json instead", ""},
                     {"out", "DIR", "checkpoint folder to write", ""},
                     {"layout", "L", "safetensors | sharded-safetensors | bin | sharded-bin", "safetensors"},
                     {"store-dtype", "T", "float32 | float16 | bfloat16", "float16"},
                     {"shards", "N", "files of a sharded layout", "2"},
                     {"seed", "N", "initialisation seed", "0"},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  RandomCheckpointOptions options;
  options.shape = cl.value("shape");
  options.configPath = cl.value("config");
  options.layout = parseLayout(cl.value("layout"));
  options.storeDtype = cl.value("store-dtype");
  options.shards = cl.intValue("shards");
  options.seed = cl.unsignedValue("seed");
  const std::string out = cl.required("out");
  const std::int64_t parameters = writeRandomCheckpoint(out, options);
  std::cout << out << ": GPT-NeoX " << (options.configPath.empty() ? options.shape : options.configPath) << ", "
            << parameters << " parameters, " << toString(options.layout) << ", " << options.storeDtype << "\n";
  return 0;
}

}  // namespace shellscope::cli

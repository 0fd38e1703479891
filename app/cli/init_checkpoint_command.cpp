#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/engine/checkpoint_writer.h"

namespace shellscope::cli {

int initCheckpointCommand(const Arguments& args) {
  std::string shapes;
  for (const auto& s : knownModelShapes()) shapes += (shapes.empty() ? "" : " | ") + s;
  CommandLine cl("init-checkpoint", "init-checkpoint --shape NAME --out DIR [--layout L] [--store-dtype T]",
                 "Writes a randomly initialised checkpoint folder (config.json + weights) in the Hugging Face\n"
                 "layout, at a real model's shape (a Pythia shape, or the shape a config.json of any model\n"
                 "family this build knows gives): for trying ShellScope at scale without downloading weights.");
  RandomCheckpointOptions options;
  std::string out;
  cl.option("shape", "NAME", shapes, options.shape);
  cl.option("config", "FILE", "take the shape from this config.json instead", options.configPath);
  cl.option("out", "DIR", "checkpoint folder to write", out);
  cl.choice("layout", "L", "safetensors | sharded-safetensors | bin | sharded-bin", options.layout, parseLayout,
            static_cast<std::string (*)(CheckpointFiles::Layout)>(toString));
  cl.option("store-dtype", "T", "float32 | float16 | bfloat16", options.storeDtype);
  cl.option("shards", "N", "files of a sharded layout", options.shards);
  cl.option("seed", "N", "initialisation seed", options.seed);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  cl.require("out");
  const std::int64_t parameters = writeRandomCheckpoint(out, options);
  std::cout << out << ": " << (options.configPath.empty() ? options.shape : options.configPath) << ", "
            << parameters << " parameters, " << toString(options.layout) << ", " << options.storeDtype << "\n";
  return 0;
}

}  // namespace shellscope::cli

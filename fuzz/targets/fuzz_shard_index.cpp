// The shard index of a sharded checkpoint (model.safetensors.index.json): the input replaces the
// index of a valid two-shard checkpoint of the tiny model, which is then loaded.
#include "checkpoints/checkpoint_io.h"
#include "fuzz_support.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string folder = fuzz::tinyCheckpoint("sharded-safetensors");
  fuzz::writeScratch("checkpoint-sharded-safetensors/model.safetensors.index.json", data, size);
  return fuzz::rejectOrAccept([&] { (void)engine::loadCheckpoint(folder, at::kFloat); });
}

// safetensors: the header (length, JSON, dtypes, shapes, data_offsets) and every tensor's bytes.
#include "checkpoints/safetensors.h"
#include "fuzz_support.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("model.safetensors", data, size);
  return fuzz::rejectOrAccept([&] {
    std::map<std::string, std::string> metadata;
    for (const engine::StoredTensor& t : engine::readSafetensors(path, &metadata)) {
      const at::Tensor value = t.load();
      if (value.numel() > 0) (void)value.to(at::kDouble).sum().item<double>();  // touches every byte
    }
  });
}

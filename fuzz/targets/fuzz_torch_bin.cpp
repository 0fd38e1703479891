// pytorch_model.bin: the zip container (central directory, CRC-32 of every record), the pickle
// inside it and the storages it points at.
#include "checkpoints/torch_state_dict.h"
#include "fuzz_support.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("pytorch_model.bin", data, size);
  return fuzz::rejectOrAccept([&] {
    for (const engine::StoredTensor& t : engine::readTorchStateDict(path)) {
      const at::Tensor value = t.load();
      if (value.numel() > 0) (void)value.to(at::kDouble).sum().item<double>();
    }
  });
}

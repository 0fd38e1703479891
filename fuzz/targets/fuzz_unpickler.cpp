// The restricted unpickler of torch.save's data.pkl: builds values only, refuses every global a
// state dict does not need, never executes anything.
#include "checkpoints/torch_state_dict.h"
#include "fuzz_support.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string pickle(reinterpret_cast<const char*>(data), size);
  return fuzz::rejectOrAccept([&] { (void)engine::unpickleStateDictNames(pickle); });
}

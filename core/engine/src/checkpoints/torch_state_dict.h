#pragma once
// pytorch_model.bin: the torch.save zip container (data.pkl + data/<key> storages + version),
// read with a restricted unpickler of our own. LibTorch 1.13's torch::pickle_load rejects the
// OrderedDict that state dicts are, and a general unpickler would run whatever a file names; this
// one builds values only and accepts exactly the globals a state dict needs:
//   collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
//   and the typed storages torch.FloatStorage, HalfStorage, BFloat16Storage, ...
// Anything else is refused with a message naming the file and the global.

#include <string>
#include <utility>
#include <vector>

#include "checkpoints/stored_tensor.h"

namespace shellscope::engine {

/// The tensors of a state dict saved by torch.save; throws FileFormatError.
std::vector<StoredTensor> readTorchStateDict(const std::string& path);

/// Writes tensors as torch.save(OrderedDict) would (pickle protocol 2 in the zip container).
void writeTorchStateDict(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors);

/// Unpickles `pickle` with the same restrictions, for tests of the unpickler itself: returns the
/// state dict's tensor names, or throws std::runtime_error with the reason.
std::vector<std::string> unpickleStateDictNames(const std::string& pickle);

}  // namespace shellscope::engine

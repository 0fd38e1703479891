#pragma once
// A tensor as stored in a checkpoint file, not yet converted: where it is, its stored dtype and
// shape, and how to get at its bytes. Shared by the safetensors and torch.save readers.

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shellscope::engine {

struct StoredTensor {
  std::string name;
  std::string file;                  ///< for messages
  std::string dtype;                 ///< safetensors spelling: F32, F16, BF16, F64, I64, ...
  std::vector<std::int64_t> shape;
  /// The tensor in its stored dtype, on the CPU; may alias a memory map (clone before writing).
  std::function<at::Tensor()> load;
};

/// The LibTorch dtype of a safetensors dtype name, or nullopt-like kUndefined when there is none.
at::ScalarType scalarTypeOf(const std::string& dtype);
/// The safetensors name of a LibTorch dtype ("F32" for kFloat ...); throws for unsupported ones.
std::string safetensorsDtype(at::ScalarType type);
/// Bytes per element of a safetensors dtype, 0 when unknown.
std::size_t safetensorsItemSize(const std::string& dtype);

}  // namespace shellscope::engine

#pragma once
// safetensors files (shared/docs/formats.md): 8-byte little-endian header length N, N bytes of
// UTF-8 JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the data buffer. Read through a memory map; every rule of the format is checked.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoints/stored_tensor.h"
#include "shellscope/base/mapped_file.h"

namespace shellscope::engine {

/// Reads the header and validates it; tensors load lazily from the map. Throws FileFormatError.
std::vector<StoredTensor> readSafetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

/// Writes tensors (contiguous copies, in the given order) with optional metadata.
void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace shellscope::engine

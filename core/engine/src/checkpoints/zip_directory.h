#pragma once
// The central directory of a zip file (a torch.save checkpoint is one): every member's CRC-32, so
// that records can be checked as they are read. LibTorch's reader does not check them, so a
// flipped weight byte would otherwise load without a word. Tested in
// tests/core/engine/test_checkpoints.cpp (torchBinCorruptionsAreNamed).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace shellscope::engine {

/// Member name -> CRC-32, from the central directory (zip64 included). Throws FileFormatError
/// naming `path` when the directory is missing, truncated or points outside the file.
std::map<std::string, std::uint32_t> zipMemberCrcs(const std::string& path);

/// The CRC-32 (IEEE 802.3, as zip uses) of `size` bytes.
std::uint32_t crc32(const void* data, std::size_t size);

}  // namespace shellscope::engine

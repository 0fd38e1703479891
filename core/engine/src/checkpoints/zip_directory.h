#pragma once
// The central directory of a zip file (a torch.save checkpoint is one): every member's CRC-32,
// compression method, sizes and where its data lie, so that records can be checked as they are
// read and stored (uncompressed) members read in place from a memory map. LibTorch's reader does
// not check CRCs, so a flipped weight byte would otherwise load without a word. Rules checked:
// APPNOTE.TXT 4.3.12 directory entries (zip64 extra fields included), 4.3.14-4.3.16 zip64 end
// records, 4.3.7 local headers (signature, the same name, data inside the file); methods 0 and 8
// only, stored sizes equal, deflate within its largest ratio. Tested in
// tests/core/engine/test_checkpoints.cpp (torchBinRefusesCodeAndDamage, torchBinIsReadInPlace).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace shellscope {
class MappedFile;
}

namespace shellscope::engine {

/// One member as the central directory describes it.
struct ZipMember {
  std::uint32_t crc = 0;
  std::uint64_t method = 0;  ///< 0 stored, 8 deflate
  std::uint64_t compressedSize = 0, uncompressedSize = 0;
  std::uint64_t localHeader = 0;  ///< offset of the member's local header
};

/// Member name -> its entry, from the central directory of `file` (zip64 included). Throws
/// FileFormatError naming the file when the directory is missing, truncated or points outside it.
std::map<std::string, ZipMember> zipDirectory(const MappedFile& file);

/// Offset in `file` of the first data byte of `member` (named `name`): its local header is read
/// and checked (signature, the same name, data inside the file). Throws FileFormatError.
std::uint64_t zipMemberData(const MappedFile& file, const std::string& name, const ZipMember& member);

/// The CRC-32 (IEEE 802.3, as zip uses) of `size` bytes.
std::uint32_t crc32(const void* data, std::size_t size);

}  // namespace shellscope::engine

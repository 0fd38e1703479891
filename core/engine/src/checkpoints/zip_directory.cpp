// Reading a zip's central directory with every offset checked against the file (zip_directory.h).
// Layout: APPNOTE.TXT 4.3.7 (local file header), 4.3.12 (central directory header), 4.3.14-4.3.16
// (zip64 end records).
#include "checkpoints/zip_directory.h"

#include <array>
#include <cstring>

#include "shellscope/base/file_error.h"
#include "shellscope/base/mapped_file.h"

namespace shellscope::engine {

namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50,
                        kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

/// Little-endian fields of a byte range whose bounds are checked on every read.
class Bytes {
 public:
  Bytes(const std::string& path, const std::uint8_t* data, std::uint64_t size) : path_(path), data_(data), size_(size) {}
  std::uint64_t size() const { return size_; }
  std::uint64_t read(std::uint64_t at, int width) const {
    if (at > size_ || static_cast<std::uint64_t>(width) > size_ - at) {
      throw FileFormatError(path_, "zip directory points past the end of the file (truncated or corrupt)");
    }
    std::uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = (value << 8) | data_[at + static_cast<std::uint64_t>(i)];
    return value;
  }
  std::string text(std::uint64_t at, std::uint64_t length) const {
    if (at > size_ || length > size_ - at) throw FileFormatError(path_, "zip directory entry name runs past the end of the file");
    return std::string(reinterpret_cast<const char*>(data_ + at), static_cast<std::size_t>(length));
  }

 private:
  const std::string& path_;
  const std::uint8_t* data_;
  std::uint64_t size_;
};

/// Slicing-by-8 tables (table[0] is the classic byte table): eight bytes per step.
const std::array<std::array<std::uint32_t, 256>, 8>& crcTables() {
  static const auto tables = [] {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
    }
    return t;
  }();
  return tables;
}

/// A member's sizes must fit the file: LibTorch's reader allocates a record's uncompressed size
/// before reading it, so a flipped size would ask for gigabytes. torch.save stores members
/// uncompressed (method 0); deflate (8) is accepted within its largest ratio (1032:1).
ZipMember plausibleMember(const std::string& path, const Bytes& bytes, std::uint64_t at, std::uint64_t nameLength,
                          std::uint64_t extraLength, const std::string& name) {
  const std::uint64_t method = bytes.read(at + 10, 2);
  std::uint64_t compressed = bytes.read(at + 20, 4), uncompressed = bytes.read(at + 24, 4),
                localHeader = bytes.read(at + 42, 4);
  // Zip64: the fields that read 0xFFFFFFFF are in the extra block 0x0001, in this order.
  for (std::uint64_t e = at + 46 + nameLength, stop = e + extraLength; e + 4 <= stop;) {
    const std::uint64_t id = bytes.read(e, 2), length = bytes.read(e + 2, 2);
    if (id == 0x0001) {
      std::uint64_t field = e + 4;
      for (std::uint64_t* value : {&uncompressed, &compressed, &localHeader}) {
        if (*value == 0xFFFFFFFF && field + 8 <= e + 4 + length) {
          *value = bytes.read(field, 8);
          field += 8;
        }
      }
    }
    e += 4 + length;
  }
  const std::uint64_t n = bytes.size();
  const std::string member = "zip member '" + name + "' ";
  if (method != 0 && method != 8) {
    throw FileFormatError(path, member + "uses compression method " + std::to_string(method) + " (torch.save stores them)");
  }
  if (localHeader > n || compressed > n - localHeader) {
    throw FileFormatError(path, member + "claims " + std::to_string(compressed) + " bytes at offset " +
                                    std::to_string(localHeader) + ", past the end of the file (truncated or corrupt)");
  }
  if ((method == 0 && uncompressed != compressed) || (method == 8 && uncompressed / 1032 > compressed + 1)) {
    throw FileFormatError(path, member + "claims " + std::to_string(uncompressed) + " bytes from " +
                                    std::to_string(compressed) + " stored: corrupt");
  }
  ZipMember m;
  m.crc = static_cast<std::uint32_t>(bytes.read(at + 16, 4));
  m.method = method;
  m.compressedSize = compressed;
  m.uncompressedSize = uncompressed;
  m.localHeader = localHeader;
  return m;
}

}  // namespace

std::uint32_t crc32(const void* data, std::size_t size) {
  const auto& t = crcTables();
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = 0xFFFFFFFFu;
  for (; size >= 8; size -= 8, p += 8) {
    const std::uint32_t low = c ^ (static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                                   static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
    c = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^ t[3][p[4]] ^
        t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; size > 0; --size, ++p) c = t[0][(c ^ *p) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::map<std::string, ZipMember> zipDirectory(const MappedFile& file) {
  const std::string& path = file.path();
  const Bytes bytes(path, file.data(), file.size());
  const std::uint64_t n = bytes.size();
  // The end-of-directory record: in the last 64 KiB + 22 bytes (a comment may follow it).
  std::uint64_t end = UINT64_MAX;
  for (std::uint64_t back = 22; back <= n && back <= 22 + 65535; ++back) {
    if (bytes.read(n - back, 4) == kEndOfDirectory) {
      end = n - back;
      break;
    }
  }
  if (end == UINT64_MAX) throw FileFormatError(path, "no zip end-of-directory record: not a zip file, or truncated");
  std::uint64_t entries = bytes.read(end + 10, 2), offset = bytes.read(end + 16, 4);
  // Zip64 whenever its locator is there, as LibTorch's reader (miniz) decides: reading the 32-bit
  // record instead once let a directory of 0 entries hide a member claiming 4 GB from the checks.
  const bool zip64Locator = end >= 20 && bytes.read(end - 20, 4) == kZip64Locator;
  if (zip64Locator || entries == 0xFFFF || offset == 0xFFFFFFFF) {
    if (!zip64Locator) throw FileFormatError(path, "zip64 locator missing");
    const std::uint64_t record = bytes.read(end - 20 + 8, 8);
    if (bytes.read(record, 4) != kZip64End) throw FileFormatError(path, "zip64 end record missing");
    entries = bytes.read(record + 32, 8);
    offset = bytes.read(record + 48, 8);
  }
  // Every entry takes at least 46 bytes: a count beyond that is a lie.
  if (entries > n / 46) throw FileFormatError(path, "zip directory claims " + std::to_string(entries) + " entries");
  std::map<std::string, ZipMember> members;
  std::uint64_t at = offset;
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (bytes.read(at, 4) != kDirectoryEntry) throw FileFormatError(path, "zip directory entry " + std::to_string(i) + " is damaged");
    const std::uint64_t nameLength = bytes.read(at + 28, 2), extra = bytes.read(at + 30, 2), comment = bytes.read(at + 32, 2);
    const std::string name = bytes.text(at + 46, nameLength);
    members[name] = plausibleMember(path, bytes, at, nameLength, extra, name);
    at += 46 + nameLength + extra + comment;
  }
  return members;
}

std::uint64_t zipMemberData(const MappedFile& file, const std::string& name, const ZipMember& member) {
  const std::string& path = file.path();
  const Bytes bytes(path, file.data(), file.size());
  const std::string what = "zip member '" + name + "' ";
  const std::uint64_t at = member.localHeader;
  if (bytes.read(at, 4) != kLocalHeader) throw FileFormatError(path, what + "has no local header where the directory says");
  const std::uint64_t nameLength = bytes.read(at + 26, 2), extra = bytes.read(at + 28, 2);
  if (bytes.text(at + 30, nameLength) != name) {
    throw FileFormatError(path, what + "has a local header naming another member: corrupt");
  }
  const std::uint64_t data = at + 30 + nameLength + extra;
  if (data > bytes.size() || member.compressedSize > bytes.size() - data) {
    throw FileFormatError(path, what + "runs past the end of the file (truncated or corrupt)");
  }
  return data;
}

}  // namespace shellscope::engine

#pragma once
// A read-only memory map of a whole file: multi-GB checkpoints and token files are read in place,
// never through a copy.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace shellscope {

class MappedFile {
 public:
  /// Maps `path`; throws FileFormatError when it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::size_t size() const { return size_; }
  const std::uint8_t* data() const { return data_; }
  /// Drops the whole pages inside [offset, offset + length) from this process's resident set
  /// (madvise MADV_DONTNEED; the map is read-only and private, so a later read faults them in
  /// again from the file): a region read once, e.g. a weight copied to the compute dtype, stops
  /// counting as memory.
  void releasePages(std::size_t offset, std::size_t length) const;

 private:
  MappedFile() = default;
  std::string path_;
  std::size_t size_ = 0;
  const std::uint8_t* data_ = nullptr;
};

}  // namespace shellscope

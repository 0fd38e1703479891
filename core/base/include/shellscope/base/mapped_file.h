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

 private:
  MappedFile() = default;
  std::string path_;
  std::size_t size_ = 0;
  const std::uint8_t* data_ = nullptr;
};

}  // namespace shellscope

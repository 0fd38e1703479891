#pragma once
// The zip container of a torch.save file (pytorch_model.bin): `<folder>/data.pkl`, the storages
// `<folder>/data/<key>` and `<folder>/version`, read in place. The central directory is read and
// checked before anything else (zip_directory.h: offsets, zip64, sizes, deflate ratio); stored
// (uncompressed) members, which is how torch.save writes them, are memory-mapped straight from the
// file instead of copied, and their pages leave the resident set once the last tensor viewing them
// is gone; deflated members are inflated by LibTorch's reader. Every member's bytes are checked
// against the CRC-32 of the directory the first time they are read.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "checkpoints/zip_directory.h"
#include "shellscope/base/mapped_file.h"

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace shellscope::engine {

/// The bytes of one member: in the memory map (in place) or in a buffer of their own (inflated).
/// Alive as long as some tensor views them.
class ZipRecord {
 public:
  virtual ~ZipRecord() = default;
  virtual const std::uint8_t* data() const = 0;
  virtual std::size_t size() const = 0;
};

class TorchZipArchive {
 public:
  /// Maps `path` and checks its central directory; LibTorch's reader checks the container
  /// (version record). Throws FileFormatError naming the file.
  explicit TorchZipArchive(const std::string& path);
  ~TorchZipArchive();
  TorchZipArchive(const TorchZipArchive&) = delete;
  TorchZipArchive& operator=(const TorchZipArchive&) = delete;

  const std::string& path() const { return path_; }
  /// The record `name` (relative to the archive folder: "data.pkl", "data/3"), CRC-checked.
  /// Throws FileFormatError when it is missing or damaged. Thread-safe.
  std::shared_ptr<const ZipRecord> record(const std::string& name);
  bool hasRecord(const std::string& name) const { return members_.count(prefix_ + name) > 0; }

 private:
  std::shared_ptr<const ZipRecord> open(const std::string& name);

  std::string path_;
  std::shared_ptr<const MappedFile> file_;
  std::map<std::string, ZipMember> members_;  ///< read (and checked) before the reader_ touches the file
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
  std::string prefix_;  ///< the archive folder every member name starts with ("archive/")
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<const ZipRecord>> open_;  ///< records some tensor still views
  std::map<std::string, bool> verified_;                        ///< CRC-32 checked once per record
};

}  // namespace shellscope::engine

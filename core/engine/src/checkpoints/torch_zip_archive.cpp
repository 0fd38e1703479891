// The torch.save zip container read in place (torch_zip_archive.h).
#include "checkpoints/torch_zip_archive.h"

#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>

#include "shellscope/base/file_error.h"

namespace shellscope::engine {

namespace {

/// A stored member: a view of the map; its pages are released when the last viewer is gone.
class MappedRecord final : public ZipRecord {
 public:
  MappedRecord(std::shared_ptr<const MappedFile> file, std::uint64_t offset, std::uint64_t size)
      : file_(std::move(file)), offset_(static_cast<std::size_t>(offset)), size_(static_cast<std::size_t>(size)) {}
  ~MappedRecord() override { file_->releasePages(offset_, size_); }
  const std::uint8_t* data() const override { return file_->data() + offset_; }
  std::size_t size() const override { return size_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::size_t offset_, size_;
};

/// A deflated member, or a stored one whose data are not aligned for its elements: a copy.
class CopiedRecord final : public ZipRecord {
 public:
  CopiedRecord(at::DataPtr data, std::size_t size) : data_(std::move(data)), size_(size) {}
  const std::uint8_t* data() const override { return static_cast<const std::uint8_t*>(data_.get()); }
  std::size_t size() const override { return size_; }

 private:
  at::DataPtr data_;
  std::size_t size_;
};

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TorchZipArchive::TorchZipArchive(const std::string& path)
    : path_(path), file_(MappedFile::open(path)), members_(zipDirectory(*file_)) {
  for (const auto& [name, member] : members_) {
    if (endsWith(name, "data.pkl")) prefix_ = name.substr(0, name.size() - std::string("data.pkl").size());
  }
  try {
    reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    throw FileFormatError(path, std::string("not a readable torch.save zip file (") + e.what_without_backtrace() + ")");
  }
}

TorchZipArchive::~TorchZipArchive() = default;

std::shared_ptr<const ZipRecord> TorchZipArchive::record(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto alive = open_[name].lock()) return alive;
  std::shared_ptr<const ZipRecord> opened = open(name);
  bool& checked = verified_[name];
  if (!checked && crc32(opened->data(), opened->size()) != members_.at(prefix_ + name).crc) {
    throw FileFormatError(path_, "record '" + name + "' fails its CRC-32 check: the file changed after it was written");
  }
  checked = true;
  open_[name] = opened;
  return opened;
}

std::shared_ptr<const ZipRecord> TorchZipArchive::open(const std::string& name) {
  const auto found = members_.find(prefix_ + name);
  if (found == members_.end()) {
    throw FileFormatError(path_, (name == "data.pkl" ? std::string("no data.pkl: not a torch.save file")
                                                     : "record '" + name + "' is not in the zip directory"));
  }
  const ZipMember& member = found->second;
  if (member.method == 0) {
    const std::uint64_t offset = zipMemberData(*file_, found->first, member);
    // torch.save aligns storages to 64 bytes; an unaligned one (another writer) is copied.
    if (offset % 8 == 0 || member.compressedSize == 0) return std::make_shared<MappedRecord>(file_, offset, member.compressedSize);
  }
  try {
    auto [data, size] = reader_->getRecord(name);
    return std::make_shared<CopiedRecord>(std::move(data), size);
  } catch (const c10::Error& e) {
    throw FileFormatError(path_, "record '" + name + "' cannot be read (" + e.what_without_backtrace() + ")");
  }
}

}  // namespace shellscope::engine

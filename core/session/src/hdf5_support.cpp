#include "hdf5_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "shellscope/base/file_digest.h"

namespace shellscope::hdf5 {

namespace fs = std::filesystem;



H5::StrType utf8StringType() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}


void writeAttribute(H5::H5Object& object, const char* name, const std::string& value) {
  const H5::StrType type = utf8StringType();
  H5::Attribute attribute = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  attribute.write(type, value);
}

void writeAttribute(H5::H5Object& object, const char* name, std::int64_t value) {
  H5::Attribute attribute = object.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR));
  attribute.write(H5::PredType::NATIVE_INT64, &value);
}

void writeAttribute(H5::H5Object& object, const char* name, double value) {
  H5::Attribute attribute = object.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
  attribute.write(H5::PredType::NATIVE_DOUBLE, &value);
}

void writeDataset(H5::Group& group, const char* name, const double* data, std::vector<hsize_t> dims) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  H5::DataSet dataset = group.createDataSet(name, H5::PredType::IEEE_F64LE, space);
  dataset.write(data, H5::PredType::NATIVE_DOUBLE);
}

void writeDataset(H5::Group& group, const char* name, const std::int64_t* data, std::vector<hsize_t> dims) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  H5::DataSet dataset = group.createDataSet(name, H5::PredType::STD_I64LE, space);
  dataset.write(data, H5::PredType::NATIVE_INT64);
}

void writeVector(H5::Group& group, const char* name, const Eigen::VectorXd& v) {
  writeDataset(group, name, v.data(), {static_cast<hsize_t>(v.size())});
}

void writeVector(H5::Group& group, const char* name, const std::vector<std::int64_t>& v) {
  writeDataset(group, name, v.data(), {static_cast<hsize_t>(v.size())});
}

void writeMatrix(H5::Group& group, const char* name, const Eigen::MatrixXd& m) {
  // HDF5 datasets are row-major; Eigen's default storage is column-major.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rowMajor = m;
  writeDataset(group, name, rowMajor.data(), {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())});
}

void writeStrings(H5::Group& group, const char* name, const std::vector<std::string>& values) {
  const H5::StrType type = utf8StringType();
  const hsize_t count = values.size();
  H5::DataSet dataset = group.createDataSet(name, type, H5::DataSpace(1, &count));
  std::vector<const char*> pointers;
  for (const std::string& value : values) pointers.push_back(value.c_str());
  if (count) dataset.write(pointers.data(), type);
}

std::vector<std::string> GroupReader::strings(const char* name, hsize_t expected) const {
  if (!group_.nameExists(name)) fail(std::string("missing dataset '") + name + "'");
  H5::DataSet data = group_.openDataSet(name);
  if (data.getTypeClass() != H5T_STRING || !data.getStrType().isVariableStr()) {
    fail(std::string("dataset '") + name + "' is not a dataset of strings");
  }
  H5::DataSpace space = data.getSpace();
  std::vector<hsize_t> dims(1, 0);
  if (space.getSimpleExtentNdims() != 1) fail(std::string("dataset '") + name + "' should have 1 dimension");
  space.getSimpleExtentDims(dims.data());
  requireExtent(name, dims, {expected});
  requireStorable(name, data, expected);
  std::vector<char*> pointers(expected, nullptr);
  const H5::StrType type = utf8StringType();
  if (expected) data.read(pointers.data(), type);
  std::vector<std::string> values;
  for (char* p : pointers) values.emplace_back(p ? p : "");
  if (expected) H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, pointers.data());
  return values;
}

namespace {

std::string temporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  return (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++)))
      .string();
}

/// The process id in `name` right after `prefix` ("<prefix><pid>..."), or 0.
long pidAfter(const std::string& name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) != 0) return 0;
  long pid = 0;
  for (std::size_t i = prefix.size(); i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i) {
    pid = pid * 10 + (name[i] - '0');
    if (pid > (1L << 31)) return 0;
  }
  return pid;
}

void syncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;  // best effort for directories on exotic file systems
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

namespace {

constexpr char kChecksumMagic[] = "shellscope-checksum sha256 ";
constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";

/// The first kUserBlockBytes + 8 bytes of `path` (fewer when it is shorter).
std::string leadingBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(kUserBlockBytes + 8, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return bytes;
}

bool hasUserBlock(const std::string& bytes) {
  return bytes.size() >= kUserBlockBytes + 8 && bytes.compare(kUserBlockBytes, 8, kHdf5Signature, 8) == 0;
}

}  // namespace

namespace {

std::mutex& unsealedCheckMutex() {
  static std::mutex mutex;
  return mutex;
}
UnsealedSessionCheck& unsealedCheck() {
  static UnsealedSessionCheck check;
  return check;
}

}  // namespace

void installUnsealedCheck(UnsealedSessionCheck check) {
  std::lock_guard<std::mutex> lock(unsealedCheckMutex());
  unsealedCheck() = std::move(check);
}

void sealChecksum(const std::string& path) {
  if (!hasUserBlock(leadingBytes(path))) return;  // an older session edited in place: no room
  std::string block = kChecksumMagic + sha256FileFrom(path, kUserBlockBytes) + "\n";
  block.resize(kUserBlockBytes, '\0');
  std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
  out.write(block.data(), static_cast<std::streamsize>(block.size()));
  if (!out) throw SessionFileError(path, "cannot write the checksum");
}

void verifyChecksum(const std::string& path) {
  // Opening a session reads the file twice (runs, then /analysis): hash it once per version of it.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return;  // the caller reports a missing file
  const std::string identity = fs::absolute(path).lexically_normal().string() + "\n" + std::to_string(status.st_size) +
                               "\n" + std::to_string(status.st_mtim.tv_sec) + "." + std::to_string(status.st_mtim.tv_nsec) +
                               "\n" + std::to_string(status.st_ino);
  static std::mutex mutex;
  static std::set<std::string> verified;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (verified.count(identity)) return;
  }
  const std::string bytes = leadingBytes(path);
  const std::size_t magic = sizeof kChecksumMagic - 1;
  if (bytes.compare(0, magic, kChecksumMagic) != 0) {
    // Written before checksums, or by another program: the program's own check, if it has one.
    UnsealedSessionCheck check;
    {
      std::lock_guard<std::mutex> lock(unsealedCheckMutex());
      check = unsealedCheck();
    }
    if (check) check(path);
  } else if (sha256FileFrom(path, kUserBlockBytes) != bytes.substr(magic, 64)) {
    throw SessionFileError(path, "the file changed after it was written (checksum mismatch): it is damaged; if "
                                 "another program changed it on purpose, `shellscope-cli info --reseal` accepts it");
  }
  std::lock_guard<std::mutex> lock(mutex);
  verified.insert(identity);
}

void removeStaleTemporaries(const std::string& path) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string name = target.filename().string();
  const std::string prefixes[] = {"." + name + ".tmp-", "." + name + ".staging-", ".." + name + ".staging-"};
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string file = it->path().filename().string();
    long pid = 0;
    for (const std::string& prefix : prefixes) pid = pid ? pid : pidAfter(file, prefix);
    if (pid <= 0 || !it->is_regular_file(error)) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // its writer may still run
    struct stat status {};
    if (::stat(it->path().c_str(), &status) != 0 || std::time(nullptr) - status.st_mtime < kStaleTemporarySeconds) {
      continue;  // recent: perhaps another machine's process on a shared file system
    }
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

void replaceAtomically(const std::string& path, const std::function<void(const std::string&)>& fill,
                       const BeforeCommitHook& hook) {
  removeStaleTemporaries(path);
  const std::string temporary = temporaryPathFor(path);
  try {
    fill(temporary);
    sealChecksum(temporary);
    syncPath(temporary, false);
    if (hook) hook(temporary);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      throw SessionFileError(path, std::string("cannot replace the file: ") + std::strerror(errno));
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  syncPath(parent.string(), true);
}

void replaceThroughStaging(const std::string& path, const std::function<void(const std::string& staging)>& fill) {
  const fs::path target(path);
  const fs::path staging = (target.has_parent_path() ? target.parent_path() : fs::path(".")) /
                           ("." + target.filename().string() + ".staging-" + std::to_string(::getpid()));
  try {
    removeStaleTemporaries(path);
    fill(staging.string());
    fs::rename(staging, target);
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove(staging, ignored);
    throw SessionFileError(path, std::string("cannot replace the file: ") + e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(staging, ignored);
    throw;
  }
}

void copyOtherRootObjects(const std::string& from, const std::string& to, const std::vector<std::string>& skip) {
  if (from.empty() || !fs::exists(from)) return;
  H5::H5File source = openExisting(from, H5F_ACC_RDONLY);
  std::vector<std::string> names;
  H5::Group root = source.openGroup("/");
  for (const std::string& name : childNames(root)) {
    if (std::find(skip.begin(), skip.end(), name) == skip.end()) names.push_back(name);
  }
  if (names.empty()) return;
  editAtomically(
      to, "keep the groups of " + from,
      [&](H5::H5File& target) {
        for (const std::string& name : names) {
          if (target.nameExists(name)) continue;  // written from memory: that version wins
          if (H5Ocopy(source.getId(), name.c_str(), target.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0) {
            throw SessionFileError(from, "cannot copy /" + name + " into the saved file");
          }
        }
      },
      {});
}

void editAtomically(const std::string& path, const std::string& what, const std::function<void(H5::H5File&)>& edit,
                    const BeforeCommitHook& hook) {
  replaceAtomically(
      path,
      [&](const std::string& temporary) {
        fs::copy_file(path, temporary, fs::copy_options::overwrite_existing);
        try {
          H5::H5File file(temporary, H5F_ACC_RDWR);
          edit(file);
          file.flush(H5F_SCOPE_GLOBAL);
        } catch (const H5::Exception& e) {
          throw SessionFileError(path, "cannot " + what + " (" + e.getDetailMsg() + ")");
        }
      },
      hook);
}

void requireWritableDirectory(const std::string& path) {
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(parent, error)) {
    throw SessionFileError(path, "directory '" + parent.string() + "' does not exist");
  }
}



void removeChild(H5::Group& group, const std::string& name) {
  if (group.nameExists(name)) H5Ldelete(group.getId(), name.c_str(), H5P_DEFAULT);
}

std::string nextNumberedChild(H5::H5File& file, const std::string& group, const std::string& prefix) {
  int next = 1;
  if (file.nameExists(group)) {
    H5::Group parent = file.openGroup(group);
    const std::string pattern = prefix + "-%d";
    for (const std::string& name : childNames(parent)) {
      int number = 0;
      if (std::sscanf(name.c_str(), pattern.c_str(), &number) == 1) next = std::max(next, number + 1);
    }
  }
  char id[64];
  std::snprintf(id, sizeof id, "%s-%04d", prefix.c_str(), next);
  return id;
}

void addToSession(const std::string& path, const std::string& what, const std::function<void(H5::H5File&)>& edit) {
  std::error_code error;
  if (fs::exists(path, error)) {
    readSession(path);  // a valid session, or a clear error before anything changes
    editAtomically(path, what, edit, {});
    return;
  }
  requireWritableDirectory(path);
  replaceThroughStaging(path, [&](const std::string& staging) {
    writeSession(staging, Session{});
    editAtomically(staging, what, edit, {});
  });
}

std::vector<std::string> childNames(H5::Group& group) {
  std::vector<std::string> names;
  const hsize_t count = group.getNumObjs();
  for (hsize_t i = 0; i < count; ++i) names.push_back(group.getObjnameByIdx(i));
  std::sort(names.begin(), names.end());
  return names;
}

/// Opens `path` for reading with a clear message for the usual failures.
void GroupReader::requireStorable(const char* name, const H5::DataSet& data, std::uint64_t count) const {
  std::error_code error;
  const std::uint64_t fileBytes = fs::file_size(filePath_, error);
  if (error) return;  // not a plain file on disk (an in-memory image): nothing to compare with
  const bool filtered = data.getCreatePlist().getNfilters() > 0;
  const std::uint64_t limit = filtered ? 1024 * fileBytes + (1u << 20) : fileBytes;
  if (count > limit / 8) {
    fail(std::string("dataset '") + name + "' declares " + std::to_string(count) + " values, more than the file's " +
         std::to_string(fileBytes) + " bytes can hold");
  }
}

H5::H5File openExisting(const std::string& path, unsigned flags, bool verify) {
  std::error_code error;
  if (!fs::exists(path, error)) throw SessionFileError(path, "no such file");
  if (fs::is_directory(path, error)) throw SessionFileError(path, "is a directory, not a session file");
  if (!fs::is_regular_file(path, error)) {
    throw SessionFileError(path, "not a regular file (a FIFO, device or socket), so it cannot be a session");
  }
  if (verify) verifyChecksum(path);  // before libhdf5 parses a byte of it
  const htri_t isHdf5 = H5Fis_hdf5(path.c_str());
  if (isHdf5 <= 0) throw SessionFileError(path, "not an HDF5 file (no HDF5 signature)");
  try {
    return H5::H5File(path, flags);
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "cannot open the HDF5 file, it is truncated or corrupt (" + e.getDetailMsg() + ")");
  }
}

}  // namespace shellscope::hdf5

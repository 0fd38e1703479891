#pragma once
// HDF5 building blocks shared by the session file and the analysis stored in it: typed attribute
// and dataset writers, a reader that turns every missing or mis-shaped field into a
// SessionFileError, and atomic replacement of a file (temporary + fsync + rename).

#include <H5Cpp.h>

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "shellscope/session/session_file.h"

namespace shellscope::hdf5 {

// HDF5 prints its error stack to stderr by default; we turn errors into messages instead.
inline void silenceHdf5() { H5::Exception::dontPrint(); }

H5::StrType utf8StringType();
void writeAttribute(H5::H5Object& object, const char* name, const std::string& value);
void writeAttribute(H5::H5Object& object, const char* name, std::int64_t value);
void writeAttribute(H5::H5Object& object, const char* name, double value);
void writeDataset(H5::Group& group, const char* name, const double* data, std::vector<hsize_t> dims);
void writeDataset(H5::Group& group, const char* name, const std::int64_t* data, std::vector<hsize_t> dims);
void writeVector(H5::Group& group, const char* name, const Eigen::VectorXd& v);
void writeVector(H5::Group& group, const char* name, const std::vector<std::int64_t>& v);
void writeMatrix(H5::Group& group, const char* name, const Eigen::MatrixXd& m);
/// A 1-D dataset of variable-length UTF-8 strings.
void writeStrings(H5::Group& group, const char* name, const std::vector<std::string>& values);
/// Deletes `name` under `group` when it exists.
void removeChild(H5::Group& group, const std::string& name);
std::vector<std::string> childNames(H5::Group& group);
/// The next free "<prefix>-NNNN" under /<group> ("lab-0001", "transport-0003", ...): one more than
/// the largest number in use, 1 when the group is missing.
std::string nextNumberedChild(H5::H5File& file, const std::string& group, const std::string& prefix);
/// Adds a group to the session at `path` with `edit`, atomically: an existing file must be a valid
/// session (a clear error before anything changes) and keeps everything `edit` does not touch; a
/// missing one is created as an empty session first (through a staging file).
void addToSession(const std::string& path, const std::string& what, const std::function<void(H5::H5File&)>& edit);

/// Runs `fill(temporaryPath)`, then renames the temporary file over `path`; nothing is left behind
/// on error, and `hook` sees the complete temporary file before the rename.
void replaceAtomically(const std::string& path, const std::function<void(const std::string&)>& fill,
                       const BeforeCommitHook& hook);
/// Changes an existing file atomically: copies it to a temporary file, runs `edit` on the copy
/// opened read-write, flushes it and renames it over `path`, so groups `edit` does not touch are
/// kept. An HDF5 error becomes a SessionFileError "cannot <what> (<detail>)".
void editAtomically(const std::string& path, const std::string& what, const std::function<void(H5::H5File&)>& edit,
                    const BeforeCommitHook& hook);
void requireWritableDirectory(const std::string& path);
/// Builds a new file in a staging file beside `path` (".<name>.staging-<pid>"), with `fill` free to
/// write it in several atomic steps, then renames it over `path`; on any failure the staging file
/// is removed and `path` is left as it was.
void replaceThroughStaging(const std::string& path, const std::function<void(const std::string& staging)>& fill);
/// Copies every object at the root of the session `from` whose name is not in `skip` (groups this
/// program writes itself) into the session `to`, atomically: groups of other tools and of newer
/// versions (/lab, a colleague's notes) survive a save that rewrites the file from memory.
void copyOtherRootObjects(const std::string& from, const std::string& to, const std::vector<std::string>& skip);
/// Removes temporaries a killed save left beside `path` (".<name>.tmp-<pid>-<n>", ".<name>.staging-<pid>"
/// and their own temporaries): those whose process is gone from this machine and that nobody has
/// touched for kStaleTemporarySeconds (a recent one may belong to a process on another machine
/// sharing the file system). Every save calls it first.
inline constexpr long kStaleTemporarySeconds = 600;
void removeStaleTemporaries(const std::string& path);

/// Every session this build writes starts with a user block of this many bytes (HDF5 ignores it,
/// h5py reads through it) holding "shellscope-checksum sha256 <hex>\n": the SHA-256 of the rest
/// of the file, checked before the HDF5 library parses anything (libhdf5 is not hardened against
/// damaged files: a corrupted string heap crashed it).
constexpr std::size_t kUserBlockBytes = 512;
/// Writes the checksum into `path`'s user block; files without one (older sessions) are left.
void sealChecksum(const std::string& path);
/// Throws SessionFileError when `path` carries a checksum its contents do not match; a file without
/// one goes through the check installed here (setUnsealedSessionCheck in session_file.h).
void verifyChecksum(const std::string& path);
void installUnsealedCheck(UnsealedSessionCheck check);
/// Opens an existing file with a clear message for the usual failures.
H5::H5File openExisting(const std::string& path, unsigned flags, bool verify = true);

/// Reads one group, turning every missing or mis-shaped field into a SessionFileError.
class GroupReader {
 public:
  GroupReader(const std::string& filePath, H5::Group group, const std::string& groupPath)
      : filePath_(filePath), group_(std::move(group)), groupPath_(groupPath) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw SessionFileError(filePath_, groupPath_ + ": " + problem);
  }

  /// A dataset may not declare more values than the file can hold (a flipped extent would
  /// otherwise allocate terabytes): unfiltered, 8 bytes each within the file's size; compressed,
  /// within 1024 times it.
  void requireStorable(const char* name, const H5::DataSet& data, std::uint64_t count) const;

  bool hasAttribute(const char* name) const { return group_.attrExists(name); }
  bool hasDataset(const char* name) const { return group_.nameExists(name); }

  H5::Attribute attribute(const char* name) const {
    if (!group_.attrExists(name)) fail(std::string("missing attribute '") + name + "'");
    return group_.openAttribute(name);
  }

  std::string text(const char* name) const {
    H5::Attribute a = attribute(name);
    if (a.getTypeClass() != H5T_STRING) fail(std::string("attribute '") + name + "' is not a string");
    std::string value;
    a.read(a.getStrType(), value);
    return value;
  }

  std::int64_t integer(const char* name) const {
    H5::Attribute a = attribute(name);
    if (a.getTypeClass() != H5T_INTEGER || a.getSpace().getSimpleExtentNpoints() != 1) {
      fail(std::string("attribute '") + name + "' is not an integer");
    }
    std::int64_t value = 0;
    a.read(H5::PredType::NATIVE_INT64, &value);
    return value;
  }

  double real(const char* name) const {
    H5::Attribute a = attribute(name);
    const H5T_class_t type = a.getTypeClass();
    if ((type != H5T_FLOAT && type != H5T_INTEGER) || a.getSpace().getSimpleExtentNpoints() != 1) {
      fail(std::string("attribute '") + name + "' is not a number");
    }
    double value = 0;
    a.read(H5::PredType::NATIVE_DOUBLE, &value);
    return value;
  }

  std::string optionalText(const char* name) const { return hasAttribute(name) ? text(name) : std::string(); }
  std::int64_t optionalInteger(const char* name, std::int64_t fallback) const {
    return hasAttribute(name) ? integer(name) : fallback;
  }
  double optionalReal(const char* name, double fallback) const { return hasAttribute(name) ? real(name) : fallback; }

  /// Reads a dataset of the given rank; `dims` receives its extent.
  template <typename T>
  std::vector<T> dataset(const char* name, int rank, std::vector<hsize_t>& dims) const {
    if (!group_.nameExists(name)) fail(std::string("missing dataset '") + name + "'");
    H5::DataSet data = group_.openDataSet(name);
    const H5T_class_t type = data.getTypeClass();
    const bool wantInteger = std::is_integral<T>::value;
    if (wantInteger ? type != H5T_INTEGER : (type != H5T_FLOAT && type != H5T_INTEGER)) {
      fail(std::string("dataset '") + name + "' has the wrong element type");
    }
    H5::DataSpace space = data.getSpace();
    if (space.getSimpleExtentNdims() != rank) {
      fail(std::string("dataset '") + name + "' should have " + std::to_string(rank) + " dimension(s), has " +
           std::to_string(space.getSimpleExtentNdims()));
    }
    dims.assign(static_cast<size_t>(rank), 0);
    space.getSimpleExtentDims(dims.data());
    requireStorable(name, data, static_cast<std::uint64_t>(space.getSimpleExtentNpoints()));
    std::vector<T> values(static_cast<size_t>(space.getSimpleExtentNpoints()));
    if (!values.empty()) {
      data.read(values.data(), wantInteger ? H5::PredType::NATIVE_INT64 : H5::PredType::NATIVE_DOUBLE);
    }
    return values;
  }

  /// A dataset's extent (it must exist and have `rank` dimensions), without reading its values: for
  /// checking a shape before a read allocates it.
  std::vector<hsize_t> extent(const char* name, int rank) const {
    if (!group_.nameExists(name)) fail(std::string("missing dataset '") + name + "'");
    H5::DataSpace space = group_.openDataSet(name).getSpace();
    if (space.getSimpleExtentNdims() != rank) {
      fail(std::string("dataset '") + name + "' should have " + std::to_string(rank) + " dimension(s), has " +
           std::to_string(space.getSimpleExtentNdims()));
    }
    std::vector<hsize_t> dims(static_cast<size_t>(rank), 0);
    space.getSimpleExtentDims(dims.data());
    return dims;
  }

  Eigen::VectorXd vector(const char* name, hsize_t expected) const {
    std::vector<hsize_t> dims;
    std::vector<double> values = dataset<double>(name, 1, dims);
    requireExtent(name, dims, {expected});
    return Eigen::Map<Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  }

  std::vector<std::int64_t> integers(const char* name, hsize_t expected) const {
    std::vector<hsize_t> dims;
    std::vector<std::int64_t> values = dataset<std::int64_t>(name, 1, dims);
    requireExtent(name, dims, {expected});
    return values;
  }

  /// A 1-D dataset of `expected` strings (writeStrings).
  std::vector<std::string> strings(const char* name, hsize_t expected) const;

  Eigen::MatrixXd matrix(const char* name, hsize_t rows, hsize_t columns) const {
    std::vector<hsize_t> dims;
    std::vector<double> values = dataset<double>(name, 2, dims);
    requireExtent(name, dims, {rows, columns});
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<RowMajor>(values.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(columns));
  }

  void requireExtent(const char* name, const std::vector<hsize_t>& dims, const std::vector<hsize_t>& expected) const {
    if (dims == expected) return;
    auto show = [](const std::vector<hsize_t>& d) {
      std::string s = "[";
      for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
      return s + "]";
    };
    fail(std::string("dataset '") + name + "' has shape " + show(dims) + ", expected " + show(expected));
  }

 private:
  std::string filePath_;
  H5::Group group_;
  std::string groupPath_;
};


}  // namespace shellscope::hdf5

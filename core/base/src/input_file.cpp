#include "shellscope/base/input_file.h"

#include <sys/stat.h>

#include "shellscope/base/file_error.h"

namespace shellscope {

void requireRegularFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return;  // missing or unreadable: the caller says so
  if (S_ISREG(info.st_mode)) return;
  const char* kind = S_ISDIR(info.st_mode)    ? "a directory"
                     : S_ISFIFO(info.st_mode) ? "a FIFO"
                     : S_ISSOCK(info.st_mode) ? "a socket"
                     : S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode) ? "a device"
                                                                      : "a special file";
  throw FileFormatError(path, std::string("not a regular file (") + kind + "), so it cannot be read as input");
}

}  // namespace shellscope

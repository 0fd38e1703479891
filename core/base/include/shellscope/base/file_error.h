#pragma once
// An input file that cannot be used: what() names the file and the problem in one line.

#include <stdexcept>
#include <string>

namespace shellscope {

class FileFormatError : public std::runtime_error {
 public:
  FileFormatError(const std::string& path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(path), problem_(problem) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

}  // namespace shellscope

#pragma once
// Inputs must be regular files: opening a FIFO for reading blocks until some writer appears, and a
// device or socket is no file to parse. Every reader of an input path asks first.

#include <string>

namespace shellscope {

/// Throws FileFormatError("<path>: not a regular file (...)") when `path` exists (after following
/// symbolic links) and is not a regular file; a missing path is left to the caller's own error.
void requireRegularFile(const std::string& path);

}  // namespace shellscope

#pragma once
// Content fingerprints of input files (FIPS 180-4 SHA-256), so that a run records which bytes it
// was computed from. Digests are cached by absolute path, size and modification time in
// $XDG_CACHE_HOME/shellscope/digests.tsv (~/.cache/... by default), so a checkpoint is hashed once.

#include <cstdint>
#include <string>
#include <vector>

namespace shellscope {

/// SHA-256 of a byte string, as 64 lowercase hex digits.
std::string sha256Hex(const std::string& bytes);

/// SHA-256 of a file's contents (read in blocks); throws FileFormatError when it cannot be read.
std::string sha256File(const std::string& path);
/// SHA-256 of the bytes of `path` from `offset` to its end.
std::string sha256FileFrom(const std::string& path, std::uint64_t offset);

/// sha256File, through the cache (an entry is reused only while the file's size and mtime match).
std::string cachedFileDigest(const std::string& path);

/// One digest for several files: SHA-256 of the lines "<file name> <sha256>\n", sorted by name
/// (so the fingerprint of a sharded checkpoint does not depend on where the folder is).
std::string filesDigest(const std::vector<std::string>& paths);

}  // namespace shellscope

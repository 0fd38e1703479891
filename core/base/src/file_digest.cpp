// SHA-256 (FIPS 180-4) and the digest cache (file_digest.h). Tested against the FIPS example
// messages in tests/core/base/test_file_digest.cpp.
#include "shellscope/base/file_digest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"

namespace shellscope {

namespace {

constexpr std::array<std::uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

std::uint32_t rotateRight(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

class Sha256 {
 public:
  void update(const unsigned char* data, std::size_t size) {
    length_ += size;
    while (size > 0) {
      const std::size_t take = std::min(size, block_.size() - used_);
      std::memcpy(block_.data() + used_, data, take);
      used_ += take;
      data += take;
      size -= take;
      if (used_ == block_.size()) {
        compress(block_.data());
        used_ = 0;
      }
    }
  }

  std::string hex() {
    const std::uint64_t bits = length_ * 8;
    const unsigned char one = 0x80, zero = 0;
    update(&one, 1);
    while (used_ != 56) update(&zero, 1);
    unsigned char tail[8];
    for (int i = 0; i < 8; ++i) tail[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    update(tail, 8);
    char out[65];
    for (int i = 0; i < 8; ++i) std::snprintf(out + 8 * i, 9, "%08x", state_[static_cast<std::size_t>(i)]);
    return std::string(out, 64);
  }

 private:
  void compress(const unsigned char* p) {
    std::array<std::uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      w[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(p[4 * i]) << 24 | static_cast<std::uint32_t>(p[4 * i + 1]) << 16 |
                                       static_cast<std::uint32_t>(p[4 * i + 2]) << 8 | p[4 * i + 3];
    }
    for (std::size_t i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotateRight(w[i - 15], 7) ^ rotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotateRight(w[i - 2], 17) ^ rotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<std::uint32_t, 8> v = state_;
    for (std::size_t i = 0; i < 64; ++i) {
      const std::uint32_t s1 = rotateRight(v[4], 6) ^ rotateRight(v[4], 11) ^ rotateRight(v[4], 25);
      const std::uint32_t choice = (v[4] & v[5]) ^ (~v[4] & v[6]);
      const std::uint32_t t1 = v[7] + s1 + choice + kRound[i] + w[i];
      const std::uint32_t s0 = rotateRight(v[0], 2) ^ rotateRight(v[0], 13) ^ rotateRight(v[0], 22);
      const std::uint32_t majority = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
      const std::uint32_t t2 = s0 + majority;
      v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
    }
    for (std::size_t i = 0; i < 8; ++i) state_[i] += v[i];
  }

  std::array<std::uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> block_{};
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

std::filesystem::path cachePath() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "shellscope" / "digests.tsv";
  if (home && *home) return std::filesystem::path(home) / ".cache" / "shellscope" / "digests.tsv";
  return {};
}

struct CacheEntry {
  std::uint64_t size = 0;
  std::int64_t mtimeNs = 0;
  std::string digest;
};

/// The cache file: one line per file, "<size>\t<mtime ns>\t<sha256>\t<absolute path>".
std::map<std::string, CacheEntry> readCache(const std::filesystem::path& path) {
  std::map<std::string, CacheEntry> entries;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    CacheEntry e;
    std::string file;
    if (fields >> e.size >> e.mtimeNs >> e.digest && std::getline(fields >> std::ws, file) && e.digest.size() == 64) {
      entries[file] = e;
    }
  }
  return entries;
}

void writeCache(const std::filesystem::path& path, const std::map<std::string, CacheEntry>& entries) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  const std::filesystem::path temporary = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary);
    for (const auto& [file, e] : entries) out << e.size << '\t' << e.mtimeNs << '\t' << e.digest << '\t' << file << '\n';
    if (!out) return;  // a cache that cannot be written is only slower
  }
  std::filesystem::rename(temporary, path, error);
  if (error) std::filesystem::remove(temporary, error);
}

std::mutex cacheMutex;

}  // namespace

std::string sha256Hex(const std::string& bytes) {
  Sha256 h;
  h.update(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return h.hex();
}

std::string sha256File(const std::string& path) { return sha256FileFrom(path, 0); }

std::string sha256FileFrom(const std::string& path, std::uint64_t offset) {
  requireRegularFile(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileFormatError(path, "cannot open to fingerprint it");
  in.seekg(static_cast<std::streamoff>(offset));
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h.update(reinterpret_cast<const unsigned char*>(buffer.data()), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw FileFormatError(path, "read failed while fingerprinting");
  return h.hex();
}

std::string cachedFileDigest(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) throw FileFormatError(path, "cannot open to fingerprint it");
  const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  const auto size = static_cast<std::uint64_t>(status.st_size);
  const std::int64_t mtime = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec;
  const std::filesystem::path cache = cachePath();
  std::lock_guard<std::mutex> lock(cacheMutex);
  std::map<std::string, CacheEntry> entries = cache.empty() ? std::map<std::string, CacheEntry>{} : readCache(cache);
  const auto found = entries.find(absolute);
  if (found != entries.end() && found->second.size == size && found->second.mtimeNs == mtime) return found->second.digest;
  const std::string digest = sha256File(path);
  if (!cache.empty()) {
    entries[absolute] = {size, mtime, digest};
    writeCache(cache, entries);
  }
  return digest;
}

std::string filesDigest(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const std::string& path : paths) {
    lines.emplace_back(std::filesystem::path(path).filename().string(), cachedFileDigest(path));
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& [name, digest] : lines) text += name + " " + digest + "\n";
  return sha256Hex(text);
}

}  // namespace shellscope

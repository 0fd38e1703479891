#pragma once
// Tests' shard maker: splits the .bin of an MMIDIDX pair into byte chunks named as EleutherAI
// names the Pile's (`<prefix>-00000-of-000NN.bin`, pythia utils/unshard_memmap.py merges them
// back by concatenation) beside a copy of the .idx, so sharded and merged data can be compared.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace shellscope::test {

/// Writes `outPrefix`.idx and the shards of `prefix`.bin, `shardBytes` each (the last: the rest);
/// returns the number of shards.
inline int writeMmidIdxShards(const std::string& prefix, const std::string& outPrefix, std::size_t shardBytes) {
  std::ifstream in(prefix + ".bin", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int shards = static_cast<int>((bytes.size() + shardBytes - 1) / shardBytes);
  for (int i = 0; i < shards; ++i) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.bin", i, shards - 1);
    std::ofstream(outPrefix + suffix, std::ios::binary) << bytes.substr(static_cast<std::size_t>(i) * shardBytes, shardBytes);
  }
  std::filesystem::copy_file(prefix + ".idx", outPrefix + ".idx", std::filesystem::copy_options::overwrite_existing);
  return shards;
}

}  // namespace shellscope::test

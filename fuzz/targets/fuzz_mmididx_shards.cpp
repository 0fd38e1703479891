// Megatron MMIDIDX with its .bin in shards (Pythia's Pile: shards 0..N beside one .idx): shard
// names and counts, sizes against shard 0's, tokens straddling shards, the .idx against them all.
// Input: 1 byte k (1 + k % 6 shards), k bytes of shard lengths, then the .idx.
#include <cstdio>
#include <filesystem>

#include "fuzz_support.h"
#include "shellscope/data/token_data.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t shards = 1 + data[0] % 6;
  if (size < 1 + shards) return 0;
  auto name = [](std::size_t i, std::size_t count) {
    char text[48];
    std::snprintf(text, sizeof text, "/document-%05zu-of-%05zu.bin", i, count - 1);
    return fuzz::scratchDir() + text;
  };
  for (std::size_t count = 1; count <= 6; ++count) {  // an earlier input's shards must not linger
    for (std::size_t i = 0; i < count; ++i) std::filesystem::remove(name(i, count));
  }
  for (std::size_t i = 0; i < shards; ++i) {
    const std::vector<std::uint8_t> bytes(data[1 + i], static_cast<std::uint8_t>(1 + i));
    fuzz::writeScratch(name(i, shards).substr(fuzz::scratchDir().size() + 1), bytes.data(), bytes.size());
  }
  fuzz::writeScratch("document.idx", data + 1 + shards, size - 1 - shards);
  return fuzz::rejectOrAccept([&] {
    fuzz::readTokenStream(*openTokenData(fuzz::scratchDir() + "/document-*.bin"));
  });
}

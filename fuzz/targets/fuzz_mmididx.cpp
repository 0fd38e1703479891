// Megatron MMIDIDX: the .idx (magic, version, dtype, sizes, pointers, doc_idx) against a .bin.
// Input: 2 bytes giving the .bin's length, then the .idx.
#include "fuzz_support.h"
#include "shellscope/data/token_data.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t binBytes = data[0] | (std::size_t{data[1]} << 8);
  const std::vector<std::uint8_t> bin(binBytes, 0x01);
  fuzz::writeScratch("tokens.bin", bin.data(), bin.size());
  fuzz::writeScratch("tokens.idx", data + 2, size - 2);
  return fuzz::rejectOrAccept([&] {
    fuzz::readTokenStream(*openMmidIdx(fuzz::scratchDir() + "/tokens"));
  });
}

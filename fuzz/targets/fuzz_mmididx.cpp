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
    const auto stream = openMmidIdx(fuzz::scratchDir() + "/tokens");
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(std::min<std::int64_t>(stream->size(), 1 << 16)));
    stream->read(0, static_cast<std::int64_t>(tokens.size()), tokens.data());
    for (std::int64_t r = 0; r < std::min<std::int64_t>(stream->rowCount(), 1024); ++r) {
      (void)stream->rowStart(r);
      (void)stream->rowLength(r);
    }
  });
}

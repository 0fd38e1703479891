// .npy token arrays: the header as numpy parses it (magic, version, dict, dtype, order, shape).
#include "fuzz_support.h"
#include "shellscope/data/token_data.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("tokens.npy", data, size);
  return fuzz::rejectOrAccept([&] {
    const auto stream = openNpy(path);
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(std::min<std::int64_t>(stream->size(), 1 << 16)));
    stream->read(0, static_cast<std::int64_t>(tokens.size()), tokens.data());
    for (std::int64_t r = 0; r < std::min<std::int64_t>(stream->rowCount(), 1024); ++r) (void)stream->rowLength(r);
  });
}

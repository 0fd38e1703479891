// Raw token files: the first input byte picks the dtype, the rest is the file.
#include "fuzz_support.h"
#include "shellscope/data/token_data.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const char* dtypes[] = {"u8", "i8", "i16", "u16", "i32", "u32", "i64", "f32"};  // f32: refused
  const std::string dtype = dtypes[data[0] % 8];
  const std::string path = fuzz::writeScratch("tokens.raw", data + 1, size - 1);
  return fuzz::rejectOrAccept([&] {
    const auto stream = openRawTokens(path, parseTokenDType(dtype));
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(std::min<std::int64_t>(stream->size(), 1 << 16)));
    stream->read(0, static_cast<std::int64_t>(tokens.size()), tokens.data());
  });
}

// tokenizer.json: vocabulary, merges, added tokens, normaliser and pre-tokenizer settings; a
// tokenizer that loads must then encode and decode a fixed text.
#include "fuzz_support.h"
#include "shellscope/data/tokenizer.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("tokenizer.json", data, size);
  return fuzz::rejectOrAccept([&] {
    const Tokenizer tokenizer = Tokenizer::load(path);
    const std::vector<std::int64_t> ids = tokenizer.encode("Hello world, caf\xc3\xa9 123<|endoftext|>\n  x");
    (void)tokenizer.decode(ids);
    (void)tokenizer.vocabSize();
  });
}

// The tokenizer on arbitrary text, as `tokenize` runs it: UTF-8 checked first, then encoded. For
// ASCII text (which NFC leaves alone) decoding must give the text back exactly.
#include <cstdlib>
#include <cstdio>

#include "fuzz_support.h"
#include "shellscope/data/tokenizer.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Tokenizer tokenizer = Tokenizer::load(SHELLSCOPE_TEST_DATA "/tokenizer_small.json");
  const std::string text(reinterpret_cast<const char*>(data), size);
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  std::vector<std::int64_t> ids;
  try {
    requireUtf8(text, "input.txt");
    ids = tokenizer.encode(text);
  } catch (const std::exception&) {
    if (firstInvalidUtf8(text) == text.size()) {
      std::fprintf(stderr, "valid UTF-8 rejected by the tokenizer\n");
      std::abort();
    }
    return 0;
  }
  if (ascii && tokenizer.decode(ids) != text) {
    std::fprintf(stderr, "ASCII text does not survive encode and decode\n");
    std::abort();
  }
  return 0;
}

// Both kinds of tokenizer on arbitrary text, as `tokenize` runs it: UTF-8 checked first, then
// encoded. Byte-level: ASCII text (which NFC leaves alone) must decode back exactly.
// SentencePiece-style (byte fallback, so every UTF-8 text encodes): any text without "▁" and
// the specials' spellings must decode back exactly.
#include <cstdlib>
#include <cstdio>

#include "fuzz_support.h"
#include "shellscope/data/tokenizer.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Tokenizer tokenizer = Tokenizer::load(SHELLSCOPE_TEST_DATA "/tokenizer_small.json");
  static const Tokenizer llama = Tokenizer::load(SHELLSCOPE_TEST_DATA "/tokenizer_llama_small.json");
  const std::string text(reinterpret_cast<const char*>(data), size);
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  std::vector<std::int64_t> ids, llamaIds;
  try {
    requireUtf8(text, "input.txt");
    ids = tokenizer.encode(text);
    llamaIds = llama.encode(text, /*addSpecialTokens=*/false);
  } catch (const std::exception&) {
    if (firstInvalidUtf8(text) == std::string::npos) {
      std::fprintf(stderr, "valid UTF-8 rejected by the tokenizer\n");
      std::abort();
    }
    return 0;
  }
  if (ascii && tokenizer.decode(ids) != text) {
    std::fprintf(stderr, "ASCII text does not survive encode and decode\n");
    std::abort();
  }
  bool plain = true;
  for (const char* spelling : {"\xe2\x96\x81", "<s>", "</s>", "<unk>"}) plain = plain && text.find(spelling) == std::string::npos;
  if (plain && llama.decode(llamaIds) != text) {
    std::fprintf(stderr, "text does not survive the SentencePiece-style encode and decode\n");
    std::abort();
  }
  return 0;
}

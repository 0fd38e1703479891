// tokenizer.json of either kind (byte-level; SentencePiece-style: Prepend/Replace normalisers,
// Metaspace, byte fallback, unk, templates, decoders): vocabulary, merges, added tokens and every
// stage's settings; a tokenizer that loads must then encode (with and without its template) and
// decode a fixed text, or refuse it with an error.
#include "fuzz_support.h"
#include "shellscope/data/tokenizer.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("tokenizer.json", data, size);
  return fuzz::rejectOrAccept([&] {
    const Tokenizer tokenizer = Tokenizer::load(path);
    const std::string text = "Hello world, caf\xc3\xa9 123<|endoftext|>\n  x<s>\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80</s>";
    const std::vector<std::int64_t> ids = tokenizer.encode(text);
    (void)tokenizer.encode(text, /*addSpecialTokens=*/false);
    (void)tokenizer.decode(ids);
    (void)tokenizer.vocabSize();
  });
}

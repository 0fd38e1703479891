#pragma once
// Learning a byte-level BPE vocabulary from text and writing it as a Hugging Face tokenizer.json of
// the GPT-NeoX kind, so the built-in experiment's tokenizer goes through the same reader as users'.

#include <string>
#include <utility>
#include <vector>

namespace shellscope {

struct BpeVocabulary {
  std::vector<std::string> tokens;  ///< id -> token (byte-level spelling); ids 0 and 1 are the specials
  std::vector<std::pair<std::string, std::string>> merges;  ///< in rank order
};

/// Ids 0 <|endoftext|>, 1 <|padding|>, 2..257 the 256 byte-level characters, then one token per
/// merge: repeatedly the most frequent adjacent pair over the GPT-2 pre-tokenized words of
/// `texts` (ties broken by the pair's spelling, so the result is deterministic).
BpeVocabulary trainByteLevelBpe(const std::vector<std::string>& texts, int merges);

/// Writes the vocabulary as tokenizer.json (BPE model, NFC normaliser, ByteLevel pre-tokenizer and
/// decoder, the two specials as added tokens).
void writeTokenizerJson(const std::string& path, const BpeVocabulary& vocabulary);

}  // namespace shellscope

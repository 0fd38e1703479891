#pragma once
// A Hugging Face tokenizer.json with a BPE model, of either kind the supported checkpoints ship:
//   byte-level (GPT-NeoX, GPT-2): NFC, the GPT-2 split regex, the byte-to-unicode alphabet;
//   SentencePiece-style (Llama, TinyLlama, Amber): Prepend("▁") + Replace(" " -> "▁") normalisers
//     or a Metaspace pre-tokenizer, byte_fallback to <0xNN> tokens, unk_token, fuse_unk.
//
// encode() does what Hugging Face's encode(text) does: split out added tokens matched on the raw
// text (specials such as <|endoftext|>, <s>), normalise each piece between them, split out added
// tokens matched on normalised text (the GPT-NeoX space runs), pre-tokenize the rest, apply the
// BPE merges by rank to each pre-token (bpe_model.h), and with addSpecialTokens apply the
// post-processor's single template (Llama's <s> $A: a BOS in front; GPT-NeoX's ByteLevel
// post-processor adds nothing). Matching of added tokens is leftmost-longest.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shellscope {

/// The byte offset of the first sequence in `text` that is not well-formed UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or npos.
std::size_t firstInvalidUtf8(const std::string& text);

/// Throws FileFormatError("<path>: not UTF-8: ... at byte N") unless `text` is UTF-8.
void requireUtf8(const std::string& text, const std::string& path);

class Tokenizer {
 public:
  /// Reads and checks a tokenizer.json; throws FileFormatError naming the file and the problem.
  static Tokenizer load(const std::string& path);

  /// The ids of UTF-8 text; addSpecialTokens: with the post-processor's template (BOS for Llama).
  /// Throws FileFormatError naming the file for a character the vocabulary cannot express.
  std::vector<std::int64_t> encode(const std::string& utf8, bool addSpecialTokens = true) const;
  /// The text of ids through the file's decoder (added tokens included, as their content).
  std::string decode(const std::vector<std::int64_t>& ids) const;
  /// The ids the post-processor puts before and after every encoded text (empty for GPT-NeoX).
  const std::vector<std::int64_t>& templatePrefix() const;
  const std::vector<std::int64_t>& templateSuffix() const;
  /// The end-of-document token: <|endoftext|> if the tokenizer has one, else </s>.
  std::optional<std::int64_t> endOfDocumentId() const;
  /// One more than the largest id (vocabulary and added tokens).
  std::int64_t vocabSize() const;
  std::optional<std::int64_t> tokenId(const std::string& token) const;
  const std::string& path() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// The GPT-2 pre-tokenizer split (contractions, letter runs, digit runs, other symbols, spaces).
std::vector<std::string> splitPreTokens(const std::string& utf8);

/// A byte string in the byte-level alphabet (as vocabulary entries spell it).
std::string byteLevelString(const std::string& bytes);

/// The byte-level alphabet: bytes 33-126, 161-172 and 174-255 stand for themselves, the other 68
/// bytes in order for U+0100, U+0101, ... (so space is 'Ġ' U+0120, newline 'Ċ' U+010A).
char32_t byteToUnicode(std::uint8_t byte);

}  // namespace shellscope

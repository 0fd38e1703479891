#pragma once
// The BPE model of a tokenizer.json (Sennrich et al. 2016, as Hugging Face tokenizers'
// models/bpe applies it) on one pre-token:
//   s_0 = the pre-token's characters as vocabulary ids (a character outside the vocabulary: its
//         UTF-8 bytes as <0xNN> tokens when byte_fallback is on and all of them exist, else unk);
//   s_{k+1} = s_k with its adjacent pair (a, b) of lowest merge rank, the leftmost of equal rank,
//         replaced by the id of the string a b; stop when no adjacent pair has a merge.
// Ranks are the merges' order in the file. The loop is the heap-and-linked-list form (each pair
// popped by (rank, position), stale entries skipped), O(n log n) in the pre-token's length: a
// SentencePiece-style tokenizer has no pre-tokenizer split, so a whole line can be one pre-token.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace shellscope {

class BpeModel {
 public:
  struct Options {
    bool byteFallback = false;             ///< characters outside the vocabulary as <0xNN> byte tokens
    std::optional<std::int64_t> unk;       ///< unk_token's id, for characters nothing else covers
    bool fuseUnk = false;                  ///< a run of unknown characters is one unk
    bool ignoreMerges = false;             ///< a pre-token that is a vocabulary entry is that entry
  };

  /// `vocab` maps strings to ids (unique ids, checked by the caller).
  BpeModel(std::unordered_map<std::string, std::int64_t> vocab, Options options);

  /// Appends the merge a b with the next rank (a repeated pair takes the later rank, as Hugging
  /// Face's map of merges does). Throws std::invalid_argument when a, b or their concatenation is
  /// not in the vocabulary (Hugging Face refuses such files too).
  void addMerge(const std::string& a, const std::string& b);

  /// The ids of one pre-token. Throws std::invalid_argument naming a character that is not in the
  /// vocabulary when neither byte fallback nor unk_token covers it.
  std::vector<std::int64_t> encode(const std::string& preToken) const;

  const std::unordered_map<std::string, std::int64_t>& vocab() const { return vocab_; }
  std::size_t mergeCount() const { return merges_.size(); }

  /// "<0xNN>" with upper-case hex digits, the spelling of byte-fallback tokens.
  static std::string byteToken(unsigned char byte);

 private:
  struct Merge {
    int rank;
    std::int64_t merged;
  };
  static std::uint64_t key(std::int64_t a, std::int64_t b) {
    return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b);
  }
  /// Applies the merges to `symbols` in place (the loop in the header comment).
  void mergeAll(std::vector<std::int64_t>& symbols) const;

  std::unordered_map<std::string, std::int64_t> vocab_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  Options options_;
  int nextRank_ = 0;
};

/// Splits UTF-8 text into its characters (each as a UTF-8 string). The text must be UTF-8.
std::vector<std::string> utf8Characters(const std::string& text);

}  // namespace shellscope

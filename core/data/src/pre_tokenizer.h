#pragma once
// The "pre_tokenizer" of a tokenizer.json: one step or a Sequence of steps, each splitting every
// piece the step before it left (Hugging Face tokenizers' pre_tokenizers/):
//   ByteLevel   the GPT-2 split regex (unless use_regex is false), then the bytes mapped to the
//               byte-level alphabet; add_prefix_space puts a space in front (GPT-NeoX, GPT-2, and
//               after a Split in Llama 3 / OLMo 2 style files). Only as the last step.
//   Metaspace   ' ' -> replacement; prepend it (always; first: only the piece at offset 0 of the
//               text; never) unless the piece starts with it; split before every replacement
//   Split       a String or Regex pattern (a Regex is ICU's, with \s and \S read as Unicode
//               White_Space as Oniguruma reads them), behavior Isolated, Removed,
//               MergedWithPrevious, MergedWithNext or Contiguous, invert
//   Digits      every numeric character (categories Nd, Nl, No) its own piece, or with
//               individual_digits false every run of them
// or none (the piece is one pre-token). Anything else is refused naming the file and the field.

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace shellscope {

class PreTokenizer {
 public:
  static PreTokenizer fromJson(const nlohmann::json& preTokenizer, const std::string& path);
  /// The pre-tokens of one piece of normalised text between added tokens; `atStart`: the piece
  /// begins the text. Byte-level pre-tokens come mapped to the byte-level alphabet, as the
  /// vocabulary spells them.
  std::vector<std::string> split(const std::string& piece, bool atStart) const;
  /// Whether a ByteLevel step maps bytes to the byte-level alphabet.
  bool byteLevel() const;

 private:
  enum class Prepend { Always, First, Never };
  enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
  struct Regex;  ///< a compiled ICU pattern (pre_tokenizer.cpp)
  struct Step {
    enum Kind { ByteLevel, Metaspace, Split, Digits } kind;
    explicit Step(Kind k) : kind(k) {}
    bool addPrefixSpace = false, useRegex = true;       ///< ByteLevel
    std::string replacement;                            ///< Metaspace: the meta character as UTF-8
    Prepend prepend = Prepend::Always;                  ///< Metaspace
    bool splitOnReplacement = true;                     ///< Metaspace
    std::string literal;                                ///< Split: a String pattern
    std::shared_ptr<const Regex> regex;                 ///< Split: a Regex pattern
    Behavior behavior = Behavior::Isolated;             ///< Split, Digits
    bool invert = false;                                ///< Split
  };
  static Step stepFromJson(const nlohmann::json& step, const std::string& path);
  /// The pieces of one step on one piece.
  std::vector<std::string> apply(const Step& step, const std::string& piece, bool atStart) const;

  std::vector<Step> steps_;
};

}  // namespace shellscope

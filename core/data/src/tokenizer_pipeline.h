#pragma once
// The stages of a tokenizer.json around its BPE model, each read from its own field and applied
// as Hugging Face tokenizers applies it (tokenizer.h has the order):
//   Normalizer     "normalizer":     NFC, Prepend, Replace (string pattern), Sequence of these
//   PreTokenizer   "pre_tokenizer":  pre_tokenizer.h
//   PostProcessor  "post_processor": ByteLevel (adds nothing), TemplateProcessing's single
//                                    template (<s> $A ...), Sequence of these
//   Decoder        "decoder":        ByteLevel, or a Sequence of Replace, ByteFallback, Fuse, Strip
//                                    and Metaspace (the SentencePiece-style decoders)
// Anything else is refused when the file is read, naming the file and the field; an unsupported
// decoder only when decode() is called, since encoding does not need it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "pre_tokenizer.h"

namespace shellscope {

class Normalizer {
 public:
  static Normalizer fromJson(const nlohmann::json& normalizer, const std::string& path);
  std::string apply(const std::string& text) const;

 private:
  struct Step {
    enum Kind { Nfc, Prepend, Replace } kind;
    std::string pattern, content;  ///< Prepend: content; Replace: pattern -> content
  };
  std::vector<Step> steps_;
};

class PostProcessor {
 public:
  /// `isKnownId` says whether an id names a vocabulary or added token (TemplateProcessing's ids
  /// must).
  static PostProcessor fromJson(const nlohmann::json& postProcessor, const std::string& path,
                                const std::function<bool(std::int64_t)>& isKnownId);
  /// ids -> template prefix + ids + template suffix (the single-sequence template).
  void apply(std::vector<std::int64_t>& ids) const;
  const std::vector<std::int64_t>& prefix() const { return prefix_; }
  const std::vector<std::int64_t>& suffix() const { return suffix_; }

 private:
  std::vector<std::int64_t> prefix_, suffix_;
};

class Decoder {
 public:
  /// `byteLevelWhenAbsent`: a file without a decoder decodes byte-level (GPT-NeoX files without
  /// one), else Hugging Face's default, the tokens joined by spaces.
  static Decoder fromJson(const nlohmann::json& decoder, const std::string& path, bool byteLevelWhenAbsent);
  /// The text of the token strings; `added[i]`: token i is an added token, which the ByteLevel
  /// step leaves as it is (its content is text, not the byte alphabet). Throws FileFormatError
  /// for an unsupported decoder.
  std::string decode(std::vector<std::string> tokens, std::vector<bool> added) const;

 private:
  struct Step {
    enum Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, JoinWithSpaces } kind;
    explicit Step(Kind k) : kind(k) {}
    std::string pattern, content;  ///< Replace: pattern -> content; Strip: content; Metaspace: pattern
    int start = 0, stop = 0;       ///< Strip
    bool prepend = true;           ///< Metaspace: prepend_scheme other than never
  };
  std::string path_;
  std::vector<Step> steps_;
  std::string unsupported_;  ///< why decode() is refused; empty when it is not
};

}  // namespace shellscope

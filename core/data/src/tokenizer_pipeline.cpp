// The normaliser, post-processor and decoder of a tokenizer.json (the pre-tokenizer is
// pre_tokenizer.cpp), as Hugging Face tokenizers defines them (normalizers/{unicode,prepend,
// replace}.rs, processors/template.rs, decoders/{byte_fallback,fuse,strip}.rs, metaspace.rs):
//   Prepend(p):     s -> p s for non-empty s          Replace(a, b): every a -> b, left to right
//   ByteFallback:   a run of <0xNN> tokens -> its bytes as UTF-8, or one U+FFFD per byte if they
//                   are not UTF-8;  Fuse: one token;  Strip(c, a, b): up to a leading, b trailing c
//   Metaspace dec.: r -> ' ', except that the first token's r are dropped (prepend scheme != never)
#include "tokenizer_pipeline.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "bpe_model.h"
#include "tokenizer_json.h"
#include "shellscope/base/file_error.h"
#include "shellscope/data/tokenizer.h"

namespace shellscope {

using json = nlohmann::json;
using namespace tokenizer_json;


// --- Normalizer ------------------------------------------------------------------------------

Normalizer Normalizer::fromJson(const json& normalizer, const std::string& path) {
  Normalizer result;
  if (normalizer.is_null()) return result;
  for (const json& step : stepsOf(normalizer, "normalizers", "normalizer", path)) {
    const std::string type = typeOf(step);
    if (type == "NFC") {
      result.steps_.push_back({Step::Nfc, "", ""});
    } else if (type == "Prepend") {
      result.steps_.push_back({Step::Prepend, "", stringField(step, "prepend", "normalizer Prepend", path)});
    } else if (type == "Replace") {
      result.steps_.push_back(
          {Step::Replace, stringPattern(step, "normalizer", path), stringField(step, "content", "normalizer Replace", path)});
    } else {
      throw FileFormatError(path, "normalizer '" + type + "' is not supported (NFC, Prepend, Replace or a Sequence of them)");
    }
  }
  return result;
}

std::string Normalizer::apply(const std::string& text) const {
  std::string out = text;
  for (const Step& step : steps_) {
    if (step.kind == Step::Prepend) {
      if (!out.empty()) out = step.content + out;
    } else if (step.kind == Step::Replace) {
      out = replaceAll(out, step.pattern, step.content);
    } else if (!out.empty()) {
      UErrorCode status = U_ZERO_ERROR;
      const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
      const icu::UnicodeString result = nfc->normalize(icu::UnicodeString::fromUTF8(out), status);
      if (U_FAILURE(status)) throw std::runtime_error(std::string("NFC normalisation failed: ") + u_errorName(status));
      out.clear();
      result.toUTF8String(out);
    }
  }
  return out;
}

// --- PostProcessor ---------------------------------------------------------------------------

PostProcessor PostProcessor::fromJson(const json& post, const std::string& path,
                                      const std::function<bool(std::int64_t)>& isKnownId) {
  PostProcessor result;
  if (post.is_null()) return result;
  for (const json& step : stepsOf(post, "processors", "post_processor", path)) {
    const std::string type = typeOf(step);
    if (type == "ByteLevel") continue;  // offsets only
    if (type != "TemplateProcessing") {
      throw FileFormatError(path, "post_processor '" + type + "' is not supported (ByteLevel, TemplateProcessing or a Sequence of them)");
    }
    const json single = step.value("single", json());
    const json specials = step.value("special_tokens", json::object());
    if (!single.is_array()) throw FileFormatError(path, "post_processor TemplateProcessing 'single' is not a list");
    bool sequenceSeen = false;
    for (const json& item : single) {
      if (item.is_object() && item.contains("Sequence")) {
        if (item["Sequence"].value("id", std::string()) != "A" || sequenceSeen) {
          throw FileFormatError(path, "post_processor TemplateProcessing 'single' must hold the sequence $A exactly once");
        }
        sequenceSeen = true;
        continue;
      }
      if (!item.is_object() || !item.contains("SpecialToken") || !item["SpecialToken"].is_object()) {
        throw FileFormatError(path, "post_processor TemplateProcessing 'single' has an item that is neither Sequence nor SpecialToken");
      }
      const std::string name = item["SpecialToken"].value("id", std::string());
      if (!specials.is_object() || !specials.contains(name) || !specials[name].contains("ids") || !specials[name]["ids"].is_array()) {
        throw FileFormatError(path, "post_processor TemplateProcessing uses '" + name + "', which its special_tokens do not list with ids");
      }
      for (const json& id : specials[name]["ids"]) {
        if (!id.is_number_integer() || !isKnownId(id.get<std::int64_t>())) {
          throw FileFormatError(path, "post_processor TemplateProcessing special token '" + name + "' has the id " + id.dump() +
                                          ", which is not a token of this tokenizer");
        }
        (sequenceSeen ? result.suffix_ : result.prefix_).push_back(id.get<std::int64_t>());
      }
    }
    if (!sequenceSeen) throw FileFormatError(path, "post_processor TemplateProcessing 'single' must hold the sequence $A exactly once");
  }
  return result;
}

void PostProcessor::apply(std::vector<std::int64_t>& ids) const {
  ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
  ids.insert(ids.end(), suffix_.begin(), suffix_.end());
}

// --- Decoder ---------------------------------------------------------------------------------

Decoder Decoder::fromJson(const json& decoder, const std::string& path, bool byteLevelWhenAbsent) {
  Decoder result;
  result.path_ = path;
  if (decoder.is_null()) {
    result.steps_.emplace_back(byteLevelWhenAbsent ? Step::ByteLevel : Step::JoinWithSpaces);
    return result;
  }
  for (const json& step : stepsOf(decoder, "decoders", "decoder", path)) {
    const std::string type = typeOf(step);
    if (type == "ByteLevel") {
      result.steps_.emplace_back(Step::ByteLevel);
    } else if (type == "Replace") {
      Step s{Step::Replace};
      s.pattern = stringPattern(step, "decoder", path);
      s.content = stringField(step, "content", "decoder Replace", path);
      result.steps_.push_back(s);
    } else if (type == "ByteFallback") {
      result.steps_.emplace_back(Step::ByteFallback);
    } else if (type == "Fuse") {
      result.steps_.emplace_back(Step::Fuse);
    } else if (type == "Strip") {
      Step s{Step::Strip};
      s.content = oneCharacter(step, "content", "decoder Strip", path);
      for (auto [key, field] : {std::pair{"start", &s.start}, std::pair{"stop", &s.stop}}) {
        const json value = step.value(key, json(0));
        if (!value.is_number_unsigned()) throw FileFormatError(path, std::string("decoder Strip '") + key + "' is not a count");
        *field = value.get<int>();
      }
      result.steps_.push_back(s);
    } else if (type == "Metaspace") {
      Step s{Step::Metaspace};
      s.pattern = oneCharacter(step, "replacement", "decoder Metaspace", path);
      s.prepend = step.value("prepend_scheme", std::string("always")) != "never" && step.value("add_prefix_space", true);
      result.steps_.push_back(s);
    } else {
      result.steps_.clear();
      result.unsupported_ = "decoder '" + type + "' is not supported (ByteLevel, or Replace, ByteFallback, Fuse, Strip, Metaspace)";
      break;
    }
  }
  return result;
}

std::string Decoder::decode(std::vector<std::string> tokens, std::vector<bool> added) const {
  if (!unsupported_.empty()) throw FileFormatError(path_, unsupported_);
  static const std::unordered_map<std::string, char> kAlphabet = [] {  // the byte-level alphabet, reversed
    std::unordered_map<std::string, char> alphabet;
    for (int b = 0; b < 256; ++b) alphabet[byteLevelString(std::string(1, static_cast<char>(b)))] = static_cast<char>(b);
    return alphabet;
  }();
  const auto byteOf = [](const std::string& c) -> std::optional<char> {
    const auto found = kAlphabet.find(c);
    return found != kAlphabet.end() ? std::optional<char>(found->second) : std::nullopt;
  };
  for (const Step& step : steps_) {
    std::vector<std::string> out;
    switch (step.kind) {
      case Step::ByteLevel:  // a token of alphabet characters -> its bytes; an added token or any other as it is
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          const std::string& token = tokens[i];
          if (i < added.size() && added[i]) {
            out.push_back(token);
            continue;
          }
          std::string bytes;
          bool all = true;
          for (const std::string& c : utf8Characters(token)) {
            const auto byte = byteOf(c);
            if (!byte) {
              all = false;
              break;
            }
            bytes += *byte;
          }
          out.push_back(all ? bytes : token);
        }
        break;
      case Step::Replace:
        for (const std::string& token : tokens) out.push_back(replaceAll(token, step.pattern, step.content));
        break;
      case Step::ByteFallback: {
        std::string pending;
        const auto flush = [&] {
          if (pending.empty()) return;
          if (firstInvalidUtf8(pending) == std::string::npos) {
            out.push_back(pending);
          } else {
            for (std::size_t i = 0; i < pending.size(); ++i) out.push_back("\xEF\xBF\xBD");  // U+FFFD per byte
          }
          pending.clear();
        };
        for (const std::string& token : tokens) {
          const bool isByte = token.size() == 6 && startsWith(token, "<0x") && token[5] == '>' &&
                              std::isxdigit(static_cast<unsigned char>(token[3])) && std::isxdigit(static_cast<unsigned char>(token[4]));
          if (isByte) {
            pending += static_cast<char>(std::stoi(token.substr(3, 2), nullptr, 16));
          } else {
            flush();
            out.push_back(token);
          }
        }
        flush();
        break;
      }
      case Step::Fuse:
      case Step::JoinWithSpaces: {
        std::string joined;
        for (std::size_t i = 0; i < tokens.size(); ++i) joined += (i && step.kind == Step::JoinWithSpaces ? " " : "") + tokens[i];
        out.push_back(joined);
        break;
      }
      case Step::Strip:
        for (const std::string& token : tokens) {
          const std::vector<std::string> chars = utf8Characters(token);
          std::size_t begin = 0, end = chars.size();
          while (begin < static_cast<std::size_t>(step.start) && begin < end && chars[begin] == step.content) ++begin;
          while (chars.size() - end < static_cast<std::size_t>(step.stop) && end > begin && chars[end - 1] == step.content) --end;
          std::string kept;
          for (std::size_t i = begin; i < end; ++i) kept += chars[i];
          out.push_back(kept);
        }
        break;
      case Step::Metaspace:
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          out.push_back(replaceAll(tokens[i], step.pattern, i == 0 && step.prepend ? "" : " "));
        }
        break;
    }
    if (out.size() != tokens.size()) added.clear();  // the steps that join tokens
    tokens = std::move(out);
  }
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace shellscope

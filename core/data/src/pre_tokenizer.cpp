// Pre-tokenizers of a tokenizer.json (pre_tokenizer.h; Hugging Face tokenizers'
// pre_tokenizers/{byte_level,metaspace,split,digits,sequence}.rs and NormalizedString::split).
// A step finds matches in a piece, which with the gaps between them cover it; the behaviour then
// decides the pieces: Isolated keeps both, Removed the gaps, MergedWithPrevious joins each first
// match of a run to the piece before it, MergedWithNext each last match of a run to the piece
// after it, Contiguous joins adjacent matches; empty pieces are dropped.
#include "pre_tokenizer.h"

#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokenizer_json.h"

namespace shellscope {

using json = nlohmann::json;
using namespace tokenizer_json;

struct PreTokenizer::Regex {
  std::unique_ptr<icu::RegexPattern> pattern;
};

namespace {

struct Span {
  std::size_t begin, end;
  bool match;
};

/// Oniguruma (behind Hugging Face's Split) reads \s and \S as Unicode White_Space; ICU's \s is
/// narrower ([\t\n\f\r\p{Z}]): spell them out.
std::string icuPattern(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      out += next == 's' ? "\\p{White_Space}" : next == 'S' ? "\\P{White_Space}" : std::string{'\\', next};
    } else {
      out += pattern[i];
    }
  }
  return out;
}

/// The code point of the UTF-8 character at `text[i]` and its length.
char32_t codePoint(const std::string& text, std::size_t i, std::size_t& length) {
  const auto lead = static_cast<unsigned char>(text[i]);
  length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t c = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t k = 1; k < length && i + k < text.size(); ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return c;
}

/// Rust's char::is_numeric, which Digits uses: general category Nd, Nl or No.
bool isNumeric(char32_t c) {
  const auto type = u_charType(static_cast<UChar32>(c));
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

/// The pieces of `text` for matches [begin, end) (sorted, not overlapping) under `behavior`.
template <typename Behavior>
std::vector<std::string> piecesOf(const std::string& text, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                                  Behavior behavior, bool invert) {
  std::vector<Span> spans;
  std::size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    if (begin > previous) spans.push_back({previous, begin, invert});
    spans.push_back({begin, end, !invert});
    previous = end;
  }
  if (previous < text.size()) spans.push_back({previous, text.size(), invert});
  std::vector<Span> kept;
  bool previousMatch = false;
  switch (behavior) {
    case Behavior::Removed:
      for (const Span& s : spans) {
        if (!s.match) kept.push_back(s);
      }
      break;
    case Behavior::Isolated:
      kept = spans;
      break;
    case Behavior::MergedWithPrevious:
      for (const Span& s : spans) {
        if (s.match && !previousMatch && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previousMatch = s.match;
      }
      break;
    case Behavior::MergedWithNext:
      for (auto s = spans.rbegin(); s != spans.rend(); ++s) {
        if (s->match && !previousMatch && !kept.empty()) {
          kept.back().begin = s->begin;
        } else {
          kept.push_back(*s);
        }
        previousMatch = s->match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    case Behavior::Contiguous:
      for (const Span& s : spans) {
        if (!kept.empty() && s.match == previousMatch) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previousMatch = s.match;
      }
      break;
  }
  std::vector<std::string> pieces;
  for (const Span& s : kept) {
    if (s.end > s.begin) pieces.push_back(text.substr(s.begin, s.end - s.begin));
  }
  return pieces;
}

std::vector<std::pair<std::size_t, std::size_t>> literalMatches(const std::string& text, const std::string& literal) {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  for (std::size_t at = text.find(literal); at != std::string::npos; at = text.find(literal, at + literal.size())) {
    matches.emplace_back(at, at + literal.size());
  }
  return matches;
}

}  // namespace

PreTokenizer PreTokenizer::fromJson(const json& pre, const std::string& path) {
  PreTokenizer result;
  if (pre.is_null()) return result;
  for (const json& step : stepsOf(pre, "pretokenizers", "pre_tokenizer", path)) result.steps_.push_back(stepFromJson(step, path));
  for (std::size_t i = 0; i + 1 < result.steps_.size(); ++i) {
    if (result.steps_[i].kind == Step::ByteLevel) {
      throw FileFormatError(path, "pre_tokenizer ByteLevel is supported only as the last step of its Sequence");
    }
  }
  return result;
}

PreTokenizer::Step PreTokenizer::stepFromJson(const json& pre, const std::string& path) {
  const std::string type = typeOf(pre);
  const auto flag = [&](const char* key, bool fallback) {
    if (!pre.contains(key) || pre[key].is_null()) return fallback;
    if (!pre[key].is_boolean()) throw FileFormatError(path, "pre_tokenizer " + type + " '" + key + "' is not true or false");
    return pre[key].get<bool>();
  };
  if (type == "ByteLevel") {
    Step step(Step::ByteLevel);
    step.useRegex = flag("use_regex", true);
    step.addPrefixSpace = flag("add_prefix_space", false);
    return step;
  }
  if (type == "Digits") {
    Step step(Step::Digits);
    step.behavior = flag("individual_digits", false) ? Behavior::Isolated : Behavior::Contiguous;
    return step;
  }
  if (type == "Split") {
    Step step(Step::Split);
    const json pattern = pre.value("pattern", json());
    if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
      step.literal = pattern["String"].get<std::string>();
      if (step.literal.empty()) throw FileFormatError(path, "pre_tokenizer Split has an empty pattern");
    } else if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
      auto regex = std::make_shared<Regex>();
      UErrorCode status = U_ZERO_ERROR;
      UParseError where;
      regex->pattern.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(icuPattern(pattern["Regex"].get<std::string>())),
                                                      0, where, status));
      if (U_FAILURE(status)) {
        throw FileFormatError(path, std::string("pre_tokenizer Split regex does not compile (") + u_errorName(status) +
                                        " at offset " + std::to_string(where.offset) + ")");
      }
      step.regex = std::move(regex);
    } else {
      throw FileFormatError(path, "pre_tokenizer Split has no pattern {\"String\": ...} or {\"Regex\": ...}");
    }
    const std::string behavior = stringField(pre, "behavior", "pre_tokenizer Split", path);
    const std::pair<const char*, Behavior> behaviors[] = {{"Removed", Behavior::Removed},
                                                          {"Isolated", Behavior::Isolated},
                                                          {"MergedWithPrevious", Behavior::MergedWithPrevious},
                                                          {"MergedWithNext", Behavior::MergedWithNext},
                                                          {"Contiguous", Behavior::Contiguous}};
    bool known = false;
    for (const auto& [name, value] : behaviors) {
      if (behavior == name) step.behavior = value, known = true;
    }
    if (!known) throw FileFormatError(path, "pre_tokenizer Split 'behavior' '" + behavior + "' is not one Hugging Face defines");
    step.invert = flag("invert", false);
    return step;
  }
  if (type == "Metaspace") {
    Step step(Step::Metaspace);
    step.replacement = oneCharacter(pre, "replacement", "pre_tokenizer Metaspace", path);
    step.splitOnReplacement = flag("split", true);
    // prepend_scheme (always, first, never; default always); the older add_prefix_space: false
    // means never, and contradicts any other declared scheme.
    const bool hasScheme = pre.contains("prepend_scheme") && !pre["prepend_scheme"].is_null();
    if (hasScheme) {
      const std::string scheme = stringField(pre, "prepend_scheme", "pre_tokenizer Metaspace", path);
      if (scheme == "always") {
        step.prepend = Prepend::Always;
      } else if (scheme == "first") {
        step.prepend = Prepend::First;
      } else if (scheme == "never") {
        step.prepend = Prepend::Never;
      } else {
        throw FileFormatError(path, "pre_tokenizer Metaspace 'prepend_scheme' '" + scheme + "' is not always, first or never");
      }
    }
    if (!flag("add_prefix_space", true)) {
      if (hasScheme && step.prepend != Prepend::Never) {
        throw FileFormatError(path, "pre_tokenizer Metaspace 'add_prefix_space' false contradicts its 'prepend_scheme'");
      }
      step.prepend = Prepend::Never;
    }
    return step;
  }
  throw FileFormatError(path, "pre-tokenizer '" + type + "' is not supported (ByteLevel, Metaspace, Split, Digits or a Sequence of them)");
}

bool PreTokenizer::byteLevel() const { return !steps_.empty() && steps_.back().kind == Step::ByteLevel; }

std::vector<std::string> PreTokenizer::split(const std::string& piece, bool atStart) const {
  std::vector<std::string> pieces;
  if (!piece.empty()) pieces.push_back(piece);
  for (const Step& step : steps_) {
    std::vector<std::string> next;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      // Only the first piece of the text can begin it (Metaspace's "first").
      for (std::string& p : apply(step, pieces[i], atStart && i == 0)) next.push_back(std::move(p));
    }
    pieces = std::move(next);
  }
  return pieces;
}

std::vector<std::string> PreTokenizer::apply(const Step& step, const std::string& piece, bool atStart) const {
  switch (step.kind) {
    case Step::ByteLevel: {
      std::string text = piece;
      if (step.addPrefixSpace && text[0] != ' ') text.insert(text.begin(), ' ');
      std::vector<std::string> words = step.useRegex ? splitPreTokens(text) : std::vector<std::string>{text};
      for (std::string& word : words) word = byteLevelString(word);
      return words;
    }
    case Step::Metaspace: {
      std::string text = replaceAll(piece, " ", step.replacement);
      const bool prepend = step.prepend == Prepend::Always || (step.prepend == Prepend::First && atStart);
      if (prepend && !startsWith(text, step.replacement)) text = step.replacement + text;
      if (!step.splitOnReplacement) return {text};
      return piecesOf(text, literalMatches(text, step.replacement), Behavior::MergedWithNext, false);
    }
    case Step::Digits: {
      std::vector<std::pair<std::size_t, std::size_t>> matches;
      for (std::size_t i = 0, length = 0; i < piece.size(); i += length) {
        if (isNumeric(codePoint(piece, i, length))) matches.emplace_back(i, i + length);
      }
      return piecesOf(piece, matches, step.behavior, false);
    }
    case Step::Split: {
      if (!step.regex) return piecesOf(piece, literalMatches(piece, step.literal), step.behavior, step.invert);
      // ICU works in UTF-16: walk the matches, counting UTF-8 bytes of what lies between.
      const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(piece);
      UErrorCode status = U_ZERO_ERROR;
      std::unique_ptr<icu::RegexMatcher> matcher(step.regex->pattern->matcher(unicode, status));
      // A pattern that backtracks without end fails (U_REGEX_TIME_OUT) instead of hanging: the
      // limit is in the engine's steps, about a millisecond each.
      if (U_SUCCESS(status)) matcher->setTimeLimit(5000, status);
      std::vector<std::pair<std::size_t, std::size_t>> matches;
      std::size_t byte = 0;
      int32_t unit = 0;
      const auto bytesBetween = [&](int32_t from, int32_t to) {
        std::string utf8;
        unicode.tempSubStringBetween(from, to).toUTF8String(utf8);
        return utf8.size();
      };
      while (U_SUCCESS(status) && matcher->find(status)) {
        const int32_t start = matcher->start(status), end = matcher->end(status);
        if (end == start) continue;
        byte += bytesBetween(unit, start);
        const std::size_t matchBytes = bytesBetween(start, end);
        matches.emplace_back(byte, byte + matchBytes);
        byte += matchBytes;
        unit = end;
      }
      if (U_FAILURE(status)) throw std::runtime_error(std::string("pre-tokenizer Split regex failed: ") + u_errorName(status));
      return piecesOf(piece, matches, step.behavior, step.invert);
    }
  }
  return {piece};
}

}  // namespace shellscope

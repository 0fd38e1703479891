// Byte-level BPE from a Hugging Face tokenizer.json (shared/docs/formats.md, "GPT-NeoX
// tokenizer.json"). Unicode normalisation and character classes come from ICU.
#include "shellscope/data/tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"

namespace shellscope {

using json = nlohmann::json;

char32_t byteToUnicode(std::uint8_t byte) {
  const bool printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
  if (printable) return byte;
  int index = 0;  // position among the 68 remapped bytes
  for (int b = 0; b < byte; ++b) {
    const bool p = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (!p) ++index;
  }
  return static_cast<char32_t>(0x100 + index);
}

namespace {

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

/// Splits UTF-8 text into its characters (each as a UTF-8 string).
std::vector<std::string> characters(const std::string& text) {
  std::vector<std::string> chars;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    chars.push_back(text.substr(i, length));
    i += length;
  }
  return chars;
}

/// The GPT-2 pre-tokenizer regex with \s spelled as Unicode White_Space, as the Rust regex
/// engine behind Hugging Face tokenizers reads it.
const char* kSplitPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?![^\\p{White_Space}])|\\p{White_Space}+";

struct AddedToken {
  std::int64_t id = 0;
  std::string content;
  bool special = false;
  bool normalized = false;
  bool lstrip = false, rstrip = false, singleWord = false;
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isWordByte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

}  // namespace

std::vector<std::string> splitPreTokens(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  thread_local std::unique_ptr<icu::RegexPattern> pattern;
  if (!pattern) {
    pattern.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(kSplitPattern), 0, status));
    if (U_FAILURE(status)) throw std::runtime_error(std::string("cannot compile the pre-tokenizer regex: ") + u_errorName(status));
  }
  const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(text);
  std::unique_ptr<icu::RegexMatcher> matcher(pattern->matcher(unicode, status));
  std::vector<std::string> words;
  while (matcher->find(status) && U_SUCCESS(status)) {
    const int32_t start = matcher->start(status), end = matcher->end(status);
    std::string word;
    unicode.tempSubStringBetween(start, end).toUTF8String(word);
    words.push_back(std::move(word));
  }
  if (U_FAILURE(status)) throw std::runtime_error(std::string("pre-tokenizer regex failed: ") + u_errorName(status));
  return words;
}

std::string byteLevelString(const std::string& bytes) {
  std::string mapped;
  for (unsigned char byte : bytes) mapped += utf8(byteToUnicode(byte));
  return mapped;
}

struct Tokenizer::Impl {
  std::string path;
  std::unordered_map<std::string, std::int64_t> vocab;
  std::unordered_map<std::int64_t, std::string> idToToken;
  std::map<std::pair<std::string, std::string>, int> mergeRanks;
  std::vector<AddedToken> added;
  bool nfc = false;
  bool addPrefixSpace = false;
  bool ignoreMerges = false;
  std::int64_t vocabSize = 0;
  std::unordered_map<std::string, char> unicodeToByte;  ///< byte-level alphabet, reversed
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<std::int64_t>> wordCache;

  [[noreturn]] void fail(const std::string& problem) const { throw FileFormatError(path, problem); }

  std::string normalize(const std::string& text) const {
    if (!nfc || text.empty()) return text;
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
    const icu::UnicodeString result = normalizer->normalize(icu::UnicodeString::fromUTF8(text), status);
    if (U_FAILURE(status)) fail(std::string("NFC normalisation failed: ") + u_errorName(status));
    std::string out;
    result.toUTF8String(out);
    return out;
  }

  /// Finds the leftmost-longest match of the added tokens of one kind at or after `from`.
  bool findAdded(const std::string& text, std::size_t from, bool normalizedKind, std::size_t& start,
                 std::size_t& end, const AddedToken*& token) const {
    for (std::size_t at = from; at < text.size(); ++at) {
      const AddedToken* best = nullptr;
      for (const AddedToken& t : added) {
        if (t.normalized != normalizedKind || t.content.empty()) continue;
        if (text.compare(at, t.content.size(), t.content) != 0) continue;
        if (t.singleWord) {
          const bool leftOk = at == 0 || !isWordByte(static_cast<unsigned char>(text[at - 1]));
          const std::size_t after = at + t.content.size();
          const bool rightOk = after >= text.size() || !isWordByte(static_cast<unsigned char>(text[after]));
          if (!leftOk || !rightOk) continue;
        }
        if (!best || t.content.size() > best->content.size()) best = &t;
      }
      if (best) {
        start = at;
        end = at + best->content.size();
        if (best->lstrip) while (start > from && isSpace(text[start - 1])) --start;
        if (best->rstrip) while (end < text.size() && isSpace(text[end])) ++end;
        token = best;
        return true;
      }
    }
    return false;
  }

  /// Calls `onText` for the text between added tokens of one kind and `onToken` for each match.
  template <typename OnText, typename OnToken>
  void splitAdded(const std::string& text, bool normalizedKind, OnText onText, OnToken onToken) const {
    std::size_t position = 0, start = 0, end = 0;
    const AddedToken* token = nullptr;
    while (findAdded(text, position, normalizedKind, start, end, token)) {
      if (start > position) onText(text.substr(position, start - position));
      onToken(*token);
      position = end;
    }
    if (position < text.size()) onText(text.substr(position));
  }

  void encodePiece(const std::string& piece, std::vector<std::int64_t>& out) const {
    std::string text = piece;
    if (addPrefixSpace && !text.empty() && text[0] != ' ') text.insert(text.begin(), ' ');
    try {
      for (const std::string& word : splitPreTokens(text)) encodeWord(word, out);
    } catch (const std::runtime_error& e) {
      fail(e.what());
    }
  }

  void encodeWord(const std::string& word, std::vector<std::int64_t>& out) const {
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      const auto cached = wordCache.find(word);
      if (cached != wordCache.end()) {
        out.insert(out.end(), cached->second.begin(), cached->second.end());
        return;
      }
    }
    const std::string mapped = byteLevelString(word);
    std::vector<std::int64_t> ids;
    const auto whole = vocab.find(mapped);
    if (ignoreMerges && whole != vocab.end()) {
      ids.push_back(whole->second);
    } else {
      std::vector<std::string> symbols = characters(mapped);
      // Repeatedly merge the adjacent pair of lowest rank, every occurrence left to right.
      while (symbols.size() > 1) {
        int bestRank = std::numeric_limits<int>::max();
        std::pair<std::string, std::string> bestPair;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
          const auto found = mergeRanks.find({symbols[i], symbols[i + 1]});
          if (found != mergeRanks.end() && found->second < bestRank) {
            bestRank = found->second;
            bestPair = found->first;
          }
        }
        if (bestRank == std::numeric_limits<int>::max()) break;
        std::vector<std::string> merged;
        for (std::size_t i = 0; i < symbols.size(); ++i) {
          if (i + 1 < symbols.size() && symbols[i] == bestPair.first && symbols[i + 1] == bestPair.second) {
            merged.push_back(symbols[i] + symbols[i + 1]);
            ++i;
          } else {
            merged.push_back(symbols[i]);
          }
        }
        symbols = std::move(merged);
      }
      for (const std::string& symbol : symbols) {
        const auto id = vocab.find(symbol);
        if (id == vocab.end()) fail("the BPE vocabulary has no entry for '" + symbol + "'");
        ids.push_back(id->second);
      }
    }
    out.insert(out.end(), ids.begin(), ids.end());
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (wordCache.size() < 200000) wordCache.emplace(word, std::move(ids));
  }
};

std::size_t firstInvalidUtf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length = 0;
    char32_t lowest = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2, lowest = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, lowest = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, lowest = 0x10000;
    } else {
      return i;  // a continuation byte first, or 0xF8..0xFF
    }
    if (i + static_cast<std::size_t>(length) > n) return i;
    char32_t code = c & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      const unsigned char next = p[i + static_cast<std::size_t>(k)];
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += static_cast<std::size_t>(length);
  }
  return std::string::npos;
}

void requireUtf8(const std::string& text, const std::string& path) {
  const std::size_t bad = firstInvalidUtf8(text);
  if (bad == std::string::npos) return;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
  throw FileFormatError(path, std::string("not UTF-8: an invalid byte sequence (starting ") + hex + ") at byte " +
                                  std::to_string(bad));
}

Tokenizer Tokenizer::load(const std::string& path) {
  auto impl = std::make_shared<Impl>();
  impl->path = path;
  requireRegularFile(path);
  std::ifstream in(path);
  if (!in) throw FileFormatError(path, "cannot open");
  json root;
  try {
    root = json::parse(in);
  } catch (const json::exception& e) {
    throw FileFormatError(path, std::string("not valid JSON: ") + e.what());
  }
  // SentencePiece-derived tokenizers (Llama's: metaspace pre-tokenizer, Prepend/Replace normalizers,
  // byte fallback) are not implemented: say so, and what works instead.
  const std::string notByteLevel =
      " (SentencePiece-style tokenizers, as Llama checkpoints ship, are not supported: tokenize the text "
      "elsewhere and pass the token ids as .npy, .bin/.idx or raw token files)";
  try {
    const json& model = root.at("model");
    if (model.value("type", std::string("BPE")) != "BPE") {
      impl->fail("model type '" + model.value("type", std::string()) + "' is not supported (only byte-level BPE)");
    }
    if (model.value("byte_fallback", false)) impl->fail("BPE with byte_fallback is not supported" + notByteLevel);
    impl->ignoreMerges = model.value("ignore_merges", false);
    // Ids are whole numbers in [0, 2^31): a token id indexes the embedding, and our token files
    // store at most 32-bit ids in practice. A duplicate id would make decoding ambiguous.
    constexpr std::int64_t kLargestId = (std::int64_t(1) << 31) - 1;
    const auto checkedId = [&](const json& id, const std::string& what) {
      if (!id.is_number_integer()) impl->fail(what + " has the id " + id.dump() + ", not a whole number");
      const std::int64_t value = id.get<std::int64_t>();
      if (value < 0 || value > kLargestId) impl->fail(what + " has the id " + std::to_string(value) + ", outside [0, 2^31)");
      return value;
    };
    if (!model.at("vocab").is_object()) impl->fail("model.vocab is not an object of token: id");
    for (const auto& [token, id] : model.at("vocab").items()) {
      const std::int64_t value = checkedId(id, "vocabulary token '" + token + "'");
      if (!impl->idToToken.emplace(value, token).second) {
        impl->fail("vocabulary tokens '" + impl->idToToken[value] + "' and '" + token + "' share the id " + std::to_string(value));
      }
      impl->vocab[token] = value;
      impl->vocabSize = std::max(impl->vocabSize, value + 1);
    }
    int rank = 0;
    for (const json& merge : model.at("merges")) {
      std::pair<std::string, std::string> pair;
      if (merge.is_string()) {  // "a b"
        const std::string text = merge.get<std::string>();
        const std::size_t space = text.find(' ', 1);
        if (space == std::string::npos) impl->fail("merge '" + text + "' is not two symbols");
        pair = {text.substr(0, space), text.substr(space + 1)};
      } else if (merge.is_array() && merge.size() == 2) {  // ["a", "b"]
        pair = {merge[0].get<std::string>(), merge[1].get<std::string>()};
      } else {
        impl->fail("merge " + std::to_string(rank) + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
      if (pair.second.find(' ') != std::string::npos && merge.is_string()) {
        impl->fail("merge '" + merge.get<std::string>() + "' has more than two symbols");
      }
      for (const std::string* symbol : {&pair.first, &pair.second}) {
        if (!impl->vocab.count(*symbol)) impl->fail("merge " + std::to_string(rank) + " uses '" + *symbol + "', which is not in the vocabulary");
      }
      impl->mergeRanks.emplace(pair, rank++);
    }
    if (root.contains("added_tokens") && !root["added_tokens"].is_array() && !root["added_tokens"].is_null()) {
      impl->fail("added_tokens is not a list");
    }
    if (root.contains("added_tokens") && root["added_tokens"].is_array()) {
      for (const json& t : root["added_tokens"]) {
        AddedToken token;
        token.id = checkedId(t.at("id"), "added token " + t.value("content", std::string("?")));
        token.content = t.at("content").get<std::string>();
        token.special = t.value("special", false);
        token.normalized = t.value("normalized", !token.special);
        token.lstrip = t.value("lstrip", false);
        token.rstrip = t.value("rstrip", false);
        token.singleWord = t.value("single_word", false);
        impl->idToToken[token.id] = token.content;
        impl->vocabSize = std::max(impl->vocabSize, token.id + 1);
        impl->added.push_back(token);
      }
    }
    const auto describe = [](const json& j) { return j.is_object() ? j.value("type", std::string("?")) : std::string("?"); };
    const json normalizer = root.value("normalizer", json());
    if (!normalizer.is_null()) {
      std::vector<json> parts = describe(normalizer) == "Sequence" ? normalizer.at("normalizers").get<std::vector<json>>()
                                                                  : std::vector<json>{normalizer};
      for (const json& part : parts) {
        if (describe(part) != "NFC") {
          impl->fail("normalizer '" + describe(part) + "' is not supported (only NFC)" + notByteLevel);
        }
        impl->nfc = true;
      }
    }
    const json pre = root.value("pre_tokenizer", json());
    if (describe(pre) != "ByteLevel") {
      impl->fail("pre-tokenizer '" + describe(pre) + "' is not supported (only ByteLevel)" + notByteLevel);
    }
    if (!pre.value("use_regex", true)) impl->fail("a ByteLevel pre-tokenizer without its regex is not supported");
    impl->addPrefixSpace = pre.value("add_prefix_space", false);
  } catch (const json::exception& e) {
    throw FileFormatError(path, std::string("unexpected tokenizer.json structure: ") + e.what());
  }
  for (int b = 0; b < 256; ++b) impl->unicodeToByte[utf8(byteToUnicode(static_cast<std::uint8_t>(b)))] = static_cast<char>(b);
  Tokenizer tokenizer;
  tokenizer.impl_ = impl;
  return tokenizer;
}

std::vector<std::int64_t> Tokenizer::encode(const std::string& text) const {
  const Impl& d = *impl_;
  std::vector<std::int64_t> ids;
  d.splitAdded(
      text, /*normalizedKind=*/false,
      [&](const std::string& raw) {
        d.splitAdded(
            d.normalize(raw), /*normalizedKind=*/true, [&](const std::string& piece) { d.encodePiece(piece, ids); },
            [&](const AddedToken& token) { ids.push_back(token.id); });
      },
      [&](const AddedToken& token) { ids.push_back(token.id); });
  return ids;
}

std::string Tokenizer::decode(const std::vector<std::int64_t>& ids) const {
  const Impl& d = *impl_;
  std::string out;
  for (std::int64_t id : ids) {
    const auto found = d.idToToken.find(id);
    if (found == d.idToToken.end()) throw std::out_of_range("token id " + std::to_string(id) + " is not in " + d.path);
    const bool isAdded = std::any_of(d.added.begin(), d.added.end(), [&](const AddedToken& t) { return t.id == id; });
    if (isAdded) {
      out += found->second;
      continue;
    }
    for (const std::string& c : characters(found->second)) {
      const auto byte = d.unicodeToByte.find(c);
      out += byte != d.unicodeToByte.end() ? std::string(1, byte->second) : c;
    }
  }
  return out;
}

std::int64_t Tokenizer::vocabSize() const { return impl_->vocabSize; }

std::optional<std::int64_t> Tokenizer::tokenId(const std::string& token) const {
  const auto found = impl_->vocab.find(token);
  if (found != impl_->vocab.end()) return found->second;
  for (const AddedToken& t : impl_->added) {
    if (t.content == token) return t.id;
  }
  return std::nullopt;
}

const std::string& Tokenizer::path() const { return impl_->path; }

}  // namespace shellscope

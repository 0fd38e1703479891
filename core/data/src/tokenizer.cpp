// A Hugging Face tokenizer.json read and applied (tokenizer.h has the order of the stages; the
// stages are tokenizer_pipeline.cpp, the BPE model bpe_model.cpp; shared/docs/formats.md,
// "GPT-NeoX tokenizer.json"). Unicode normalisation and character classes come from ICU.
#include "shellscope/data/tokenizer.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "bpe_model.h"
#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"
#include "tokenizer_pipeline.h"

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

/// The GPT-2 pre-tokenizer regex with \s spelled as Unicode White_Space, as the Rust regex
/// engine behind Hugging Face tokenizers reads it.
const char* kSplitPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?![^\\p{White_Space}])|\\p{White_Space}+";

struct AddedToken {
  std::int64_t id = 0;
  std::string content;
  std::string match;  ///< what is matched: the content, normalised for a normalized token
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
  std::optional<BpeModel> model;
  std::vector<AddedToken> added;
  std::array<std::array<bool, 256>, 2> addedFirstBytes{};  ///< [normalized kind][byte]: some match starts so
  Normalizer normalizer;
  PreTokenizer preTokenizer;
  PostProcessor postProcessor;
  std::optional<Decoder> decoder;
  std::int64_t vocabSize = 0;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<std::int64_t>> wordCache;

  [[noreturn]] void fail(const std::string& problem) const { throw FileFormatError(path, problem); }

  /// Finds the leftmost-longest match of the added tokens of one kind at or after `from`.
  bool findAdded(const std::string& text, std::size_t from, bool normalizedKind, std::size_t& start,
                 std::size_t& end, const AddedToken*& token) const {
    const auto& firstBytes = addedFirstBytes[normalizedKind ? 1 : 0];
    for (std::size_t at = from; at < text.size(); ++at) {
      if (!firstBytes[static_cast<unsigned char>(text[at])]) continue;
      const AddedToken* best = nullptr;
      for (const AddedToken& t : added) {
        if (t.normalized != normalizedKind || t.match.empty()) continue;
        if (text.compare(at, t.match.size(), t.match) != 0) continue;
        if (t.singleWord) {
          const bool leftOk = at == 0 || !isWordByte(static_cast<unsigned char>(text[at - 1]));
          const std::size_t after = at + t.match.size();
          const bool rightOk = after >= text.size() || !isWordByte(static_cast<unsigned char>(text[after]));
          if (!leftOk || !rightOk) continue;
        }
        if (!best || t.match.size() > best->match.size()) best = &t;
      }
      if (best) {
        start = at;
        end = at + best->match.size();
        if (best->lstrip) while (start > from && isSpace(text[start - 1])) --start;
        if (best->rstrip) while (end < text.size() && isSpace(text[end])) ++end;
        token = best;
        return true;
      }
    }
    return false;
  }

  /// Calls `onText(piece, offset)` for the text between added tokens of one kind and `onToken`
  /// for each match.
  template <typename OnText, typename OnToken>
  void splitAdded(const std::string& text, bool normalizedKind, OnText onText, OnToken onToken) const {
    std::size_t position = 0, start = 0, end = 0;
    const AddedToken* token = nullptr;
    while (findAdded(text, position, normalizedKind, start, end, token)) {
      if (start > position) onText(text.substr(position, start - position), position);
      onToken(*token);
      position = end;
    }
    if (position < text.size()) onText(text.substr(position), position);
  }

  void encodePiece(const std::string& piece, bool atStart, std::vector<std::int64_t>& out) const {
    try {
      for (const std::string& word : preTokenizer.split(piece, atStart)) encodeWord(word, out);
    } catch (const std::runtime_error& e) {  // the regex
      fail(e.what());
    } catch (const std::invalid_argument& e) {  // a character the vocabulary cannot express
      fail(e.what());
    }
  }

  void encodeWord(const std::string& word, std::vector<std::int64_t>& out) const {
    constexpr std::size_t kCachedLength = 256;  // SentencePiece-style pre-tokens can be whole lines
    if (word.size() < kCachedLength) {
      std::lock_guard<std::mutex> lock(cacheMutex);
      const auto cached = wordCache.find(word);
      if (cached != wordCache.end()) {
        out.insert(out.end(), cached->second.begin(), cached->second.end());
        return;
      }
    }
    std::vector<std::int64_t> ids = model->encode(word);
    out.insert(out.end(), ids.begin(), ids.end());
    if (word.size() >= kCachedLength) return;
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
  try {
    if (!root.is_object()) impl->fail("not a JSON object");
    const json& model = root.at("model");
    if (!model.is_object()) impl->fail("model is not an object");
    if (model.value("type", std::string("BPE")) != "BPE") {
      impl->fail("model type '" + model.value("type", std::string()) + "' is not supported (only BPE)");
    }
    for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (model.contains(affix) && !model[affix].is_null()) impl->fail(std::string("model.") + affix + " is not supported");
    }
    if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"] != 0) {
      impl->fail("model.dropout is not supported (it makes encoding random)");
    }
    const auto modelFlag = [&](const char* key) {
      if (!model.contains(key) || model[key].is_null()) return false;
      if (!model[key].is_boolean()) impl->fail(std::string("model.") + key + " is not true or false");
      return model[key].get<bool>();
    };
    BpeModel::Options options;
    options.byteFallback = modelFlag("byte_fallback");
    options.fuseUnk = modelFlag("fuse_unk");
    options.ignoreMerges = modelFlag("ignore_merges");
    // Ids are whole numbers in [0, 2^31): a token id indexes the embedding, and our token files
    // store at most 32-bit ids in practice. A duplicate id would make decoding ambiguous.
    constexpr std::int64_t kLargestId = (std::int64_t(1) << 31) - 1;
    const auto checkedId = [&](const json& id, const std::string& what) {
      if (!id.is_number_integer()) impl->fail(what + " has the id " + id.dump() + ", not a whole number");
      const std::int64_t value = id.get<std::int64_t>();
      if (value < 0 || value > kLargestId) impl->fail(what + " has the id " + std::to_string(value) + ", outside [0, 2^31)");
      return value;
    };
    if (!model.contains("vocab") || !model["vocab"].is_object()) impl->fail("model.vocab is not an object of token: id");
    for (const auto& [token, id] : model["vocab"].items()) {
      const std::int64_t value = checkedId(id, "vocabulary token '" + token + "'");
      if (!impl->idToToken.emplace(value, token).second) {
        impl->fail("vocabulary tokens '" + impl->idToToken[value] + "' and '" + token + "' share the id " + std::to_string(value));
      }
      impl->vocab[token] = value;
      impl->vocabSize = std::max(impl->vocabSize, value + 1);
    }
    if (model.contains("unk_token") && !model["unk_token"].is_null()) {
      if (!model["unk_token"].is_string()) impl->fail("model.unk_token is not a string");
      const auto unk = impl->vocab.find(model["unk_token"].get<std::string>());
      if (unk == impl->vocab.end()) impl->fail("model.unk_token '" + model["unk_token"].get<std::string>() + "' is not in the vocabulary");
      options.unk = unk->second;
    }
    impl->model.emplace(impl->vocab, options);
    if (!model.contains("merges") || !model["merges"].is_array()) impl->fail("model.merges is not a list");
    int rank = 0;
    for (const json& merge : model["merges"]) {
      std::pair<std::string, std::string> pair;
      if (merge.is_string()) {  // "a b"
        const std::string text = merge.get<std::string>();
        const std::size_t space = text.find(' ', 1);
        if (space == std::string::npos) impl->fail("merge '" + text + "' is not two symbols");
        pair = {text.substr(0, space), text.substr(space + 1)};
        if (pair.second.find(' ') != std::string::npos) impl->fail("merge '" + text + "' has more than two symbols");
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {  // ["a", "b"]
        pair = {merge[0].get<std::string>(), merge[1].get<std::string>()};
      } else {
        impl->fail("merge " + std::to_string(rank) + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
      try {
        impl->model->addMerge(pair.first, pair.second);
      } catch (const std::invalid_argument& e) {
        impl->fail(e.what());
      }
      ++rank;
    }
    impl->normalizer = Normalizer::fromJson(root.value("normalizer", json()), path);
    impl->preTokenizer = PreTokenizer::fromJson(root.value("pre_tokenizer", json()), path);
    if (root.contains("added_tokens") && !root["added_tokens"].is_array() && !root["added_tokens"].is_null()) {
      impl->fail("added_tokens is not a list");
    }
    if (root.contains("added_tokens") && root["added_tokens"].is_array()) {
      for (const json& t : root["added_tokens"]) {
        if (!t.is_object() || !t.contains("content") || !t["content"].is_string()) impl->fail("an added token has no string content");
        AddedToken token;
        token.id = checkedId(t.value("id", json()), "added token " + t["content"].get<std::string>());
        token.content = t["content"].get<std::string>();
        token.special = t.value("special", false);
        token.normalized = t.value("normalized", !token.special);
        token.lstrip = t.value("lstrip", false);
        token.rstrip = t.value("rstrip", false);
        token.singleWord = t.value("single_word", false);
        // A normalized token is matched in normalised text, so by its normalised content.
        token.match = token.normalized ? impl->normalizer.apply(token.content) : token.content;
        impl->idToToken[token.id] = token.content;
        impl->vocabSize = std::max(impl->vocabSize, token.id + 1);
        if (!token.match.empty()) impl->addedFirstBytes[token.normalized ? 1 : 0][static_cast<unsigned char>(token.match[0])] = true;
        impl->added.push_back(token);
      }
    }
    const Impl& known = *impl;
    impl->postProcessor = PostProcessor::fromJson(root.value("post_processor", json()), path,
                                                  [&known](std::int64_t id) { return known.idToToken.count(id) > 0; });
    impl->decoder = Decoder::fromJson(root.value("decoder", json()), path, impl->preTokenizer.byteLevel());
  } catch (const json::exception& e) {
    throw FileFormatError(path, std::string("unexpected tokenizer.json structure: ") + e.what());
  } catch (const std::runtime_error& e) {  // NFC of an added token
    if (dynamic_cast<const FileFormatError*>(&e)) throw;
    throw FileFormatError(path, e.what());
  }
  Tokenizer tokenizer;
  tokenizer.impl_ = impl;
  return tokenizer;
}

std::vector<std::int64_t> Tokenizer::encode(const std::string& text, bool addSpecialTokens) const {
  const Impl& d = *impl_;
  std::vector<std::int64_t> ids;
  const auto addToken = [&](const AddedToken& token) { ids.push_back(token.id); };
  d.splitAdded(
      text, /*normalizedKind=*/false,
      [&](const std::string& raw, std::size_t rawOffset) {
        std::string normalized;
        try {
          normalized = d.normalizer.apply(raw);
        } catch (const std::runtime_error& e) {
          d.fail(e.what());
        }
        d.splitAdded(
            normalized, /*normalizedKind=*/true,
            [&](const std::string& piece, std::size_t offset) { d.encodePiece(piece, rawOffset == 0 && offset == 0, ids); },
            addToken);
      },
      addToken);
  if (addSpecialTokens) d.postProcessor.apply(ids);
  return ids;
}

std::string Tokenizer::decode(const std::vector<std::int64_t>& ids) const {
  const Impl& d = *impl_;
  std::vector<std::string> tokens;
  std::vector<bool> added;
  tokens.reserve(ids.size());
  for (std::int64_t id : ids) {
    const auto found = d.idToToken.find(id);
    if (found == d.idToToken.end()) throw std::out_of_range("token id " + std::to_string(id) + " is not in " + d.path);
    tokens.push_back(found->second);
    added.push_back(std::any_of(d.added.begin(), d.added.end(), [&](const AddedToken& t) { return t.id == id; }));
  }
  return d.decoder->decode(std::move(tokens), std::move(added));
}

const std::vector<std::int64_t>& Tokenizer::templatePrefix() const { return impl_->postProcessor.prefix(); }
const std::vector<std::int64_t>& Tokenizer::templateSuffix() const { return impl_->postProcessor.suffix(); }

std::optional<std::int64_t> Tokenizer::endOfDocumentId() const {
  if (const auto id = tokenId("<|endoftext|>")) return id;
  return tokenId("</s>");
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

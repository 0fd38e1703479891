#include "shellscope/experiment/bpe_trainer.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "shellscope/base/file_error.h"
#include "shellscope/data/tokenizer.h"

namespace shellscope {

namespace {
const char* kSpecials[] = {"<|endoftext|>", "<|padding|>"};
}

BpeVocabulary trainByteLevelBpe(const std::vector<std::string>& texts, int merges) {
  BpeVocabulary vocabulary;
  for (const char* special : kSpecials) vocabulary.tokens.push_back(special);
  std::unordered_map<std::string, int> symbolId;
  for (int b = 0; b < 256; ++b) {
    const std::string symbol = byteLevelString(std::string(1, static_cast<char>(b)));
    symbolId[symbol] = static_cast<int>(vocabulary.tokens.size());
    vocabulary.tokens.push_back(symbol);
  }
  // Unique pre-tokenized words with their counts, as sequences of symbol ids.
  std::unordered_map<std::string, long> counts;
  for (const std::string& text : texts) {
    for (const std::string& word : splitPreTokens(text)) ++counts[word];
  }
  std::vector<std::pair<std::vector<int>, long>> words;
  for (const auto& [word, count] : counts) {
    std::vector<int> symbols;
    for (unsigned char byte : word) symbols.push_back(2 + byte);
    words.emplace_back(std::move(symbols), count);
  }
  for (int m = 0; m < merges; ++m) {
    std::map<std::pair<int, int>, long> pairs;
    for (const auto& [symbols, count] : words) {
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) pairs[{symbols[i], symbols[i + 1]}] += count;
    }
    if (pairs.empty()) break;
    // Most frequent pair; ties go to the pair whose spelling sorts first.
    const std::pair<int, int>* best = nullptr;
    long bestCount = 0;
    for (const auto& [pair, count] : pairs) {
      if (!best || count > bestCount ||
          (count == bestCount &&
           std::make_pair(vocabulary.tokens[pair.first], vocabulary.tokens[pair.second]) <
               std::make_pair(vocabulary.tokens[best->first], vocabulary.tokens[best->second]))) {
        best = &pair;
        bestCount = count;
      }
    }
    if (bestCount < 2) break;
    const auto [left, right] = *best;
    const int merged = static_cast<int>(vocabulary.tokens.size());
    vocabulary.merges.emplace_back(vocabulary.tokens[left], vocabulary.tokens[right]);
    vocabulary.tokens.push_back(vocabulary.tokens[left] + vocabulary.tokens[right]);
    for (auto& [symbols, count] : words) {
      std::vector<int> next;
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(symbols[i]);
        }
      }
      symbols = std::move(next);
    }
  }
  return vocabulary;
}

void writeTokenizerJson(const std::string& path, const BpeVocabulary& vocabulary) {
  using json = nlohmann::ordered_json;
  json vocab = json::object();
  for (std::size_t id = 2; id < vocabulary.tokens.size(); ++id) vocab[vocabulary.tokens[id]] = id;
  json merges = json::array();
  for (const auto& [a, b] : vocabulary.merges) merges.push_back(a + " " + b);
  json added = json::array();
  for (int id = 0; id < 2; ++id) {
    added.push_back({{"id", id}, {"content", kSpecials[id]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  const json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  const json root = {{"version", "1.0"},
                     {"truncation", nullptr},
                     {"padding", nullptr},
                     {"added_tokens", added},
                     {"normalizer", {{"type", "NFC"}}},
                     {"pre_tokenizer", byteLevel},
                     {"post_processor", byteLevel},
                     {"decoder", byteLevel},
                     {"model",
                      {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                       {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"vocab", vocab}, {"merges", merges}}}};
  std::ofstream out(path);
  if (!out) throw FileFormatError(path, "cannot create the file");
  out << root.dump(1) << "\n";
  if (!out) throw FileFormatError(path, "write failed");
}

}  // namespace shellscope

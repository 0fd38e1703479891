// BPE merges by rank over one pre-token (bpe_model.h; Hugging Face tokenizers, models/bpe:
// merge_word and Word::merge_all). Verified against a brute-force "merge the lowest-rank
// leftmost pair, repeat" reference in tests/core/data/test_tokenizer.cpp.
#include "bpe_model.h"

#include <cstdio>
#include <queue>
#include <stdexcept>

namespace shellscope {

std::vector<std::string> utf8Characters(const std::string& text) {
  std::vector<std::string> chars;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    chars.push_back(text.substr(i, length));
    i += length;
  }
  return chars;
}

std::string BpeModel::byteToken(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "<0x%02X>", byte);
  return text;
}

BpeModel::BpeModel(std::unordered_map<std::string, std::int64_t> vocab, Options options)
    : vocab_(std::move(vocab)), options_(options) {}

void BpeModel::addMerge(const std::string& a, const std::string& b) {
  const auto left = vocab_.find(a), right = vocab_.find(b), merged = vocab_.find(a + b);
  for (const auto* symbol : {&a, &b}) {
    if (!vocab_.count(*symbol)) {
      throw std::invalid_argument("merge " + std::to_string(nextRank_) + " uses '" + *symbol + "', which is not in the vocabulary");
    }
  }
  if (merged == vocab_.end()) {
    throw std::invalid_argument("merge " + std::to_string(nextRank_) + " '" + a + " " + b + "' makes '" + a + b +
                                "', which is not in the vocabulary");
  }
  merges_[key(left->second, right->second)] = Merge{nextRank_++, merged->second};
}

std::vector<std::int64_t> BpeModel::encode(const std::string& preToken) const {
  std::vector<std::int64_t> symbols;
  if (preToken.empty()) return symbols;
  if (options_.ignoreMerges) {
    const auto whole = vocab_.find(preToken);
    if (whole != vocab_.end()) return {whole->second};
  }
  // Characters to ids. A pending unk is emitted before the next known character or at the end;
  // byte-fallback tokens go straight in (so a pending unk can follow them: Hugging Face's order,
  // which only matters when some <0xNN> tokens are missing).
  std::optional<std::int64_t> pendingUnk;
  for (const std::string& c : utf8Characters(preToken)) {
    const auto found = vocab_.find(c);
    if (found != vocab_.end()) {
      if (pendingUnk) symbols.push_back(*pendingUnk), pendingUnk.reset();
      symbols.push_back(found->second);
      continue;
    }
    if (options_.byteFallback) {
      std::vector<std::int64_t> bytes;
      for (unsigned char byte : c) {
        const auto token = vocab_.find(byteToken(byte));
        if (token == vocab_.end()) break;
        bytes.push_back(token->second);
      }
      if (bytes.size() == c.size()) {
        symbols.insert(symbols.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    if (!options_.unk) {
      throw std::invalid_argument("the BPE vocabulary has no entry for '" + c + "'" +
                                  (options_.byteFallback ? " nor for all of its <0xNN> bytes" : "") +
                                  ", and there is no unk_token");
    }
    if (pendingUnk && !options_.fuseUnk) symbols.push_back(*pendingUnk);
    pendingUnk = options_.unk;
  }
  if (pendingUnk) symbols.push_back(*pendingUnk);
  mergeAll(symbols);
  return symbols;
}

void BpeModel::mergeAll(std::vector<std::int64_t>& symbols) const {
  const int n = static_cast<int>(symbols.size());
  if (n < 2 || merges_.empty()) return;
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  struct Entry {
    int rank, position;
    std::int64_t merged;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : position > o.position; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;  // lowest (rank, position) first
  const auto push = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    const auto found = merges_.find(key(symbols[left], symbols[next[left]]));
    if (found != merges_.end()) queue.push(Entry{found->second.rank, left, found->second.merged});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!queue.empty()) {
    const Entry top = queue.top();
    queue.pop();
    const int left = top.position;
    if (!alive[left] || next[left] < 0) continue;
    const int right = next[left];
    // A stale entry: the pair at this position has changed since it was pushed.
    const auto current = merges_.find(key(symbols[left], symbols[right]));
    if (current == merges_.end() || current->second.rank != top.rank || current->second.merged != top.merged) continue;
    symbols[left] = top.merged;
    alive[right] = false;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    push(prev[left]);
    push(left);
  }
  std::vector<std::int64_t> kept;
  for (int i = 0; i >= 0; i = next[i]) kept.push_back(symbols[i]);
  symbols = std::move(kept);
}

}  // namespace shellscope

// A probabilistic grammar over generated lexicons (see synthetic_language.h).
#include "shellscope/experiment/synthetic_language.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace shellscope {

namespace {

/// SplitMix64 (same generator as the engine's synthetic data: fully specified, portable).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// Words of one part of speech with Zipf weights 1/(rank+1)^s, sampled by inverse CDF.
class Lexicon {
 public:
  Lexicon() = default;
  Lexicon(std::vector<std::string> words, double exponent) : words_(std::move(words)) {
    double total = 0;
    for (std::size_t r = 0; r < words_.size(); ++r) cumulative_.push_back(total += 1.0 / std::pow(r + 1.0, exponent));
    for (double& c : cumulative_) c /= total;
  }
  const std::string& sample(Random& rng) const {
    const double u = rng.uniform();
    const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
    return words_[std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()), words_.size() - 1)];
  }
  const std::vector<std::string>& words() const { return words_; }

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;
};

/// The SplitMix64 finaliser: a bijection with full avalanche.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

const char* kOnsets[] = {"", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
                         "br", "cr", "dr", "fl", "gr", "pl", "pr", "st", "tr", "sh", "ch", "th", "sk", "sl"};
const char* kVowels[] = {"a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "io", "ee"};
const char* kCodas[] = {"", "", "", "n", "r", "s", "l", "m", "t", "nd", "rk", "ng", "st"};

/// `count` distinct pseudo-words of one to three syllables.
std::vector<std::string> makeWords(Random& rng, std::size_t count, std::set<std::string>& used) {
  std::vector<std::string> words;
  while (words.size() < count) {
    const bool second = rng.chance(0.55);  // drawn in this order (operands of + are unsequenced)
    const bool third = rng.chance(0.25);
    const std::size_t syllables = 1 + (second ? 1 : 0) + (third ? 1 : 0);
    std::string word;
    for (std::size_t s = 0; s < syllables; ++s) {
      word += kOnsets[rng.below(std::size(kOnsets))];
      word += kVowels[rng.below(std::size(kVowels))];
      if (s + 1 == syllables || rng.chance(0.3)) word += kCodas[rng.below(std::size(kCodas))];
    }
    if (word.size() >= 2 && used.insert(word).second) words.push_back(word);
  }
  return words;
}

std::string sibilantSuffix(const std::string& word) {
  const auto ends = [&](const char* s) {
    const std::size_t n = std::char_traits<char>::length(s);
    return word.size() >= n && word.compare(word.size() - n, n, s) == 0;
  };
  return ends("s") || ends("sh") || ends("ch") || ends("z") ? "es" : "s";
}

struct Topic {
  Lexicon nouns, verbs, adjectives;
};

class Grammar {
 public:
  explicit Grammar(std::uint64_t seed) {
    Random rng(seed ^ 0x6C657869636F6Eull);  // "lexicon"
    std::set<std::string> used{"the", "a", "and", "that", "when", "because", "in", "on", "of"};
    nouns_ = Lexicon(makeWords(rng, 900, used), 1.1);
    verbs_ = Lexicon(makeWords(rng, 400, used), 1.1);
    adjectives_ = Lexicon(makeWords(rng, 300, used), 1.1);
    adverbs_ = Lexicon(makeWords(rng, 60, used), 1.2);
    std::vector<std::string> names = makeWords(rng, 150, used);
    for (auto& n : names) n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
    names_ = Lexicon(names, 1.0);
    for (int t = 0; t < 24; ++t) {
      Topic topic;
      topic.nouns = Lexicon(subset(rng, nouns_.words(), 60), 1.0);
      topic.verbs = Lexicon(subset(rng, verbs_.words(), 30), 1.0);
      topic.adjectives = Lexicon(subset(rng, adjectives_.words(), 30), 1.0);
      topics_.push_back(std::move(topic));
    }
  }

  std::string document(std::uint64_t seed, std::size_t index) const {
    // Mixed, not offset: SplitMix64 states that differ by multiples of its increment would give
    // the same stream shifted, and documents would share their sentences.
    Random rng(mix(seed ^ 0x646F63756D656E74ull) ^ mix(index + 1));
    const Topic& topic = topics_[rng.below(topics_.size())];
    std::string text = capitalised(nounPhrase(rng, topic, rng.chance(0.3), 1)) + "\n\n";
    const std::size_t paragraphs = 2 + rng.below(4);
    for (std::size_t p = 0; p < paragraphs; ++p) {
      const std::size_t sentences = 3 + rng.below(5);
      for (std::size_t s = 0; s < sentences; ++s) text += (s ? " " : "") + sentence(rng, topic);
      text += p + 1 < paragraphs ? "\n\n" : "\n";
    }
    return text;
  }

 private:
  static std::vector<std::string> subset(Random& rng, const std::vector<std::string>& all, std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(all[rng.below(all.size())]);
    return out;
  }
  static std::string capitalised(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }

  const std::string& pick(Random& rng, const Lexicon& topical, const Lexicon& general) const {
    return rng.chance(0.7) ? topical.sample(rng) : general.sample(rng);
  }

  std::string noun(Random& rng, const Topic& t, bool plural) const {
    const std::string& n = pick(rng, t.nouns, nouns_);
    return plural ? n + sibilantSuffix(n) : n;
  }

  std::string nounPhrase(Random& rng, const Topic& t, bool plural, int depth) const {
    if (!plural && rng.chance(0.12)) return names_.sample(rng);
    static const char* kSingular[] = {"the", "the", "the", "a", "a", "every", "this", "no"};
    static const char* kPlural[] = {"the", "the", "some", "these", "many", "no"};
    std::string np = plural ? kPlural[rng.below(std::size(kPlural))] : kSingular[rng.below(std::size(kSingular))];
    const double r = rng.uniform();
    const int adjectives = r < 0.55 ? 0 : r < 0.85 ? 1 : 2;
    for (int a = 0; a < adjectives; ++a) np += " " + pick(rng, t.adjectives, adjectives_);
    np += " " + noun(rng, t, plural);
    if (depth < 3 && rng.chance(0.18)) np += " " + prepositionalPhrase(rng, t, depth + 1);
    if (depth < 2 && rng.chance(0.1)) np += " that " + verbPhrase(rng, t, plural, depth + 1);
    return np;
  }

  std::string prepositionalPhrase(Random& rng, const Topic& t, int depth) const {
    static const char* kPrepositions[] = {"in", "on", "with", "under", "near", "from", "over", "behind", "of"};
    if (rng.chance(0.06)) return "in " + std::to_string(1800 + static_cast<int>(std::pow(rng.uniform(), 2.0) * 225));
    // Every phrase draws its parts in a fixed order: the operands of + are unsequenced, and GCC
    // and clang evaluate them in opposite orders. This is GCC's (right to left), which made the
    // golden sessions (tests/app/golden_sessions.sh).
    const bool plural = rng.chance(0.3);
    const std::string object = nounPhrase(rng, t, plural, depth);
    const std::string preposition = kPrepositions[rng.below(std::size(kPrepositions))];
    return preposition + " " + object;
  }

  std::string verbPhrase(Random& rng, const Topic& t, bool pluralSubject, int depth) const {
    const std::string& v = pick(rng, t.verbs, verbs_);
    std::string vp = pluralSubject ? v : v + sibilantSuffix(v);
    const double r = rng.uniform();
    if (r < 0.55) {
      vp += " " + nounPhrase(rng, t, rng.chance(0.3), depth + 1);
    } else if (r < 0.7) {
      vp += " " + adverbs_.sample(rng);
    } else if (r < 0.85 || depth >= 2) {
      vp += " " + prepositionalPhrase(rng, t, depth + 1);
    } else {
      vp += " that " + clause(rng, t, depth + 1);
    }
    return vp;
  }

  std::string clause(Random& rng, const Topic& t, int depth) const {
    const bool plural = rng.chance(0.35);
    const std::string predicate = verbPhrase(rng, t, plural, depth);  // drawn first (see prepositionalPhrase)
    const std::string subject = nounPhrase(rng, t, plural, depth);
    return subject + " " + predicate;
  }

  std::string sentence(Random& rng, const Topic& t) const {
    const double r = rng.uniform();
    std::string s;
    // Two clauses: the second is drawn first (see prepositionalPhrase).
    auto twoClauses = [&](const char* before, const char* between) {
      const std::string second = clause(rng, t, 1);
      const std::string first = clause(rng, t, 1);
      return before + first + between + second;
    };
    if (r < 0.12) {
      s = twoClauses("when ", ", ");
    } else if (r < 0.22) {
      s = twoClauses("", " because ");
    } else if (r < 0.3) {
      s = twoClauses("", " and ");
    } else {
      s = clause(rng, t, 0);
    }
    return capitalised(s) + ".";
  }

  Lexicon nouns_, verbs_, adjectives_, adverbs_, names_;
  std::vector<Topic> topics_;
};

}  // namespace

SyntheticCorpus generateSyntheticLanguage(const SyntheticLanguageOptions& options) {
  const Grammar grammar(options.seed);
  SyntheticCorpus corpus;
  std::size_t bytes = 0;
  for (std::size_t i = 0; bytes < options.targetBytes; ++i) {
    corpus.documents.push_back(grammar.document(options.seed, i));
    bytes += corpus.documents.back().size();
  }
  const auto held = static_cast<std::size_t>(std::ceil(options.heldOutFraction * static_cast<double>(corpus.documents.size())));
  corpus.heldOutStart = corpus.documents.size() - std::min(held, corpus.documents.size());
  corpus.description = "synthetic language (seed " + std::to_string(options.seed) + ", " +
                       std::to_string(corpus.documents.size()) + " documents, " + std::to_string(bytes) + " bytes)";
  return corpus;
}

}  // namespace shellscope

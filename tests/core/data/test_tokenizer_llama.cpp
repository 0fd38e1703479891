// SentencePiece-style BPE (Llama's tokenizer.json) on a small hand-made file
// (data/tokenizer_llama_small.json: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF> at ids
// 3..258, 17 characters from 259 and the tokens its 23 merges make, merges written as pairs).
// The expected ids below were worked out by hand from that vocabulary and merge list; a brute-force
// reference written here from the file's JSON (prepend "▁", spaces to "▁", characters or their
// <0xNN> bytes, then "merge the leftmost adjacent pair of lowest rank" until none is left) checks
// 600 random texts against the tokenizer's heap-based merges; and the ids and decoded texts Hugging
// Face tokenizers 0.23.2 itself gave for 200 random texts under eight variants of the two test
// tokenizers (data/tokenizer_hf_golden.json, written by tests/tools/make_tokenizer_golden.js).
#include <QFile>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

#include "shellscope/base/file_error.h"
#include "shellscope/data/tokenizer.h"
#include "test_support.h"

using namespace shellscope;
using Ids = std::vector<std::int64_t>;
using json = nlohmann::json;

namespace {

const char* kFixture = SHELLSCOPE_TEST_DATA "/tokenizer_llama_small.json";
const std::string kMeta = "\xE2\x96\x81";  // ▁ U+2581

json fixture() {
  std::ifstream in(kFixture);
  return json::parse(in);
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  return text;
}

/// The reference: Llama's normaliser by hand, then the textbook BPE loop (quadratic, by string).
Ids referenceEncode(const json& file, const std::string& text) {
  if (text.empty()) return {};
  const json& vocab = file["model"]["vocab"];
  std::vector<std::pair<std::string, std::string>> merges;
  for (const json& m : file["model"]["merges"]) merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
  const std::string normalised = kMeta + replaceAll(text, " ", kMeta);
  std::vector<std::string> symbols;
  for (std::size_t i = 0; i < normalised.size();) {
    const auto lead = static_cast<unsigned char>(normalised[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    const std::string c = normalised.substr(i, length);
    if (vocab.contains(c)) {
      symbols.push_back(c);
    } else {
      for (unsigned char byte : c) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        symbols.push_back(name);
      }
    }
    i += length;
  }
  for (;;) {
    std::size_t best = symbols.size(), bestRank = merges.size();
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      for (std::size_t r = 0; r < bestRank; ++r) {
        if (merges[r].first == symbols[i] && merges[r].second == symbols[i + 1]) {
          best = i, bestRank = r;
          break;
        }
      }
    }
    if (best == symbols.size()) break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  Ids ids;
  for (const std::string& s : symbols) ids.push_back(vocab.at(s).get<std::int64_t>());
  return ids;
}

QList<qint64> listOf(const Ids& ids) { return QList<qint64>(ids.begin(), ids.end()); }

}  // namespace

class TestLlamaTokenizer : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;

  std::string write(const json& j, const std::string& name) {
    const std::string path = dir_.filePath(QString::fromStdString(name)).toStdString();
    std::ofstream(path) << j.dump();
    return path;
  }

 private Q_SLOTS:
  void encodesAsWorkedOutByHand_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<qint64>>("ids");
    // ▁ 259, ▁the 278, ▁world 287, ▁▁ 288, ab 289, ▁a 291, caf 293, ▁café 295, ▁Hello 297, dd 298
    QTest::newRow("words, a prefix ▁ and spaces as ▁") << "Hello world" << QList<qint64>{297, 287};
    QTest::newRow("merges nest") << "the" << QList<qint64>{278};
    QTest::newRow("lowest rank first, not left to right") << "abc" << QList<qint64>{259, 289, 262};
    QTest::newRow("equal ranks: leftmost first") << "ddd" << QList<qint64>{259, 298, 263};
    QTest::newRow("two spaces") << "a  b" << QList<qint64>{291, 288, 261};
    QTest::newRow("a leading space") << " the" << QList<qint64>{259, 278};
    QTest::newRow("a trailing space") << "the " << QList<qint64>{278, 259};
    QTest::newRow("non-ASCII in the vocabulary") << QString::fromUtf8("caf\u00e9") << QList<qint64>{295};
    QTest::newRow("no NFC: a combining accent falls back to bytes")
        << QString::fromUtf8("cafe\u0301") << QList<qint64>{259, 293, 264, 3 + 0xCC, 3 + 0x81};
    QTest::newRow("CJK: one known, one by bytes") << QString::fromUtf8("\u65e5\u672c")
                                                  << QList<qint64>{259, 274, 3 + 0xE6, 3 + 0x9C, 3 + 0xAC};
    QTest::newRow("outside the BMP") << QString::fromUtf8("\U0001F600") << QList<qint64>{259, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80};
    QTest::newRow("newline by byte fallback") << "a\nb" << QList<qint64>{291, 3 + 0x0A, 261};
    QTest::newRow("punctuation") << "Hello!" << QList<qint64>{297, 275};
    QTest::newRow("specials, each piece gets its ▁") << "Hello<s>world" << QList<qint64>{297, 1, 287};
    QTest::newRow("specials around") << "<s>the</s>" << QList<qint64>{1, 278, 2};
    QTest::newRow("empty") << "" << QList<qint64>{};
  }
  void encodesAsWorkedOutByHand() {
    QFETCH(QString, text);
    QFETCH(QList<qint64>, ids);
    const Tokenizer tokenizer = Tokenizer::load(kFixture);
    const Ids encoded = tokenizer.encode(text.toStdString(), /*addSpecialTokens=*/false);
    QCOMPARE(listOf(encoded), ids);
    // The template puts <s> (id 1) in front, as Hugging Face's encode(text) does.
    QCOMPARE(listOf(tokenizer.encode(text.toStdString())), QList<qint64>{1} + ids);
    if (!text.contains("<s>")) QCOMPARE(QString::fromStdString(tokenizer.decode(encoded)), text);
  }

  void agreesWithTheBruteForceReferenceOnRandomText() {
    const json file = fixture();
    const Tokenizer tokenizer = Tokenizer::load(kFixture);
    const std::vector<std::string> alphabet = {"a", "b", "c", "d", "e", "f", "h", "l", "o", "r", "t", "w", "H", "!", " ",
                                               " ", "\n", "\xC3\xA9", "\xE6\x97\xA5", "\xE6\x9C\xAC", "\xF0\x9F\x98\x80", "x"};
    std::mt19937 rng(16);
    std::uniform_int_distribution<std::size_t> length(0, 14), pick(0, alphabet.size() - 1);
    std::size_t tokens = 0;
    for (int trial = 0; trial < 600; ++trial) {
      std::string text;
      for (std::size_t i = length(rng); i > 0; --i) text += alphabet[pick(rng)];
      const Ids ids = tokenizer.encode(text, false);
      QVERIFY2(ids == referenceEncode(file, text), text.c_str());
      QCOMPARE(tokenizer.decode(ids), text);
      tokens += ids.size();
    }
    QVERIFY(tokens > 3000);  // the texts are not trivially short
  }

  void agreesWithHuggingFaceTokenizers_data() {
    QTest::addColumn<int>("variant");
    std::ifstream in(SHELLSCOPE_TEST_DATA "/tokenizer_hf_golden.json");
    const json golden = json::parse(in);
    for (std::size_t i = 0; i < golden["variants"].size(); ++i) {
      QTest::newRow(golden["variants"][i]["name"].get<std::string>().c_str()) << int(i);
    }
  }
  void agreesWithHuggingFaceTokenizers() {
    QFETCH(int, variant);
    std::ifstream in(SHELLSCOPE_TEST_DATA "/tokenizer_hf_golden.json");
    const json golden = json::parse(in);
    const json& v = golden["variants"][static_cast<std::size_t>(variant)];
    std::ifstream baseFile(std::string(SHELLSCOPE_TEST_DATA "/") + v["base"].get<std::string>());
    json file = json::parse(baseFile);
    file.merge_patch(v["patch"]);
    const Tokenizer tokenizer = Tokenizer::load(write(file, v["name"].get<std::string>() + ".json"));
    const Ids prefix = v["prefix"].get<Ids>(), suffix = v["suffix"].get<Ids>();
    QCOMPARE(tokenizer.templatePrefix(), prefix);
    QCOMPARE(tokenizer.templateSuffix(), suffix);
    const json& texts = golden["texts"];
    QCOMPARE(texts.size(), std::size_t(200));
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const std::string text = texts[i].get<std::string>();
      const Ids expected = v["plain"][i].get<Ids>();
      QVERIFY2(tokenizer.encode(text, false) == expected, text.c_str());
      Ids withSpecials = prefix;
      withSpecials.insert(withSpecials.end(), expected.begin(), expected.end());
      withSpecials.insert(withSpecials.end(), suffix.begin(), suffix.end());
      const Ids encoded = tokenizer.encode(text);
      QVERIFY2(encoded == withSpecials, text.c_str());
      QCOMPARE(tokenizer.decode(encoded), v["decoded"][i].get<std::string>());
    }
  }

  void templateAndEndOfDocument() {
    const Tokenizer tokenizer = Tokenizer::load(kFixture);
    QCOMPARE(tokenizer.templatePrefix(), Ids{1});
    QCOMPARE(tokenizer.templateSuffix(), Ids{});
    QCOMPARE(*tokenizer.endOfDocumentId(), std::int64_t(2));
    QCOMPARE(tokenizer.vocabSize(), std::int64_t(299));
    QCOMPARE(*tokenizer.tokenId("<0x0A>"), std::int64_t(13));
    // Decoding keeps specials as their text; Strip takes one leading space only.
    QCOMPARE(tokenizer.decode({1, 297, 287}), std::string("<s> Hello world"));
    QCOMPARE(tokenizer.decode({259, 259, 278}), std::string("  the"));
    QCOMPARE(tokenizer.decode({3 + 0xE6}), std::string("\xEF\xBF\xBD"));  // a lone lead byte: U+FFFD
    QCOMPARE(tokenizer.decode({3 + 0xE6, 3 + 0x97, 3 + 0xA5}), std::string("\xE6\x97\xA5"));
    // A suffix in the template too: $A </s>.
    json file = fixture();
    file["post_processor"]["single"].push_back({{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}});
    file["post_processor"]["special_tokens"]["</s>"] = {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}};
    const Tokenizer both = Tokenizer::load(write(file, "eos.json"));
    QCOMPARE(both.encode("the"), (Ids{1, 278, 2}));
  }

  void metaspacePreTokenizerForms() {
    json file = fixture();
    file["normalizer"] = nullptr;
    // Newer files: Metaspace, prepend_scheme first, no split: the same ids, except that a piece
    // after a special gets no ▁.
    file["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "first"}, {"split", false}};
    const Tokenizer first = Tokenizer::load(write(file, "first.json"));
    QCOMPARE(first.encode("Hello world", false), (Ids{297, 287}));
    QCOMPARE(first.encode("a  b", false), (Ids{291, 288, 261}));
    QCOMPARE(first.encode("Hello<s>world", false), (Ids{297, 1, 271, 284, 286}));
    QCOMPARE(first.encode("<s>world", false), (Ids{1, 271, 284, 286}));
    // Older files: add_prefix_space true, split on ▁ (the ▁ joins the next word, so no ▁▁).
    file["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"add_prefix_space", true}};
    const Tokenizer split = Tokenizer::load(write(file, "split.json"));
    QCOMPARE(split.encode("a  b", false), (Ids{291, 259, 259, 261}));
    QCOMPARE(split.encode("Hello<s>world", false), (Ids{297, 1, 287}));
    // never: no ▁ in front.
    file["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "never"}, {"split", false}};
    QCOMPARE(Tokenizer::load(write(file, "never.json")).encode("the", false), (Ids{270, 277}));
    // The Metaspace decoder drops the first token's ▁.
    file["decoder"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "always"}};
    QCOMPARE(Tokenizer::load(write(file, "decoder.json")).decode({297, 287}), std::string("Hello world"));
  }

  void unknownCharacters() {
    json file = fixture();
    file["model"]["byte_fallback"] = false;
    const std::string text = "a\xE6\x9C\xAC\xE6\x9C\xAC" "b";  // a本本b; 本 is not in the vocabulary
    QCOMPARE(Tokenizer::load(write(file, "fused.json")).encode(text, false), (Ids{291, 0, 261}));
    file["model"]["fuse_unk"] = false;
    QCOMPARE(Tokenizer::load(write(file, "unfused.json")).encode(text, false), (Ids{291, 0, 0, 261}));
    // Neither byte fallback nor unk: refused, naming the file and the character (Hugging Face
    // would drop it silently).
    file["model"]["unk_token"] = nullptr;
    const std::string path = write(file, "none.json");
    const QString message = shellscope::test::messageOf([&] { Tokenizer::load(path).encode(text); });
    QVERIFY2(message.startsWith(QString::fromStdString(path) + ": the BPE vocabulary has no entry for '\u672c'"), qPrintable(message));
    // Byte fallback that misses a byte (<0xAC> of 本): unk; a pending unk is emitted before the next
    // vocabulary character but after byte-fallback tokens (Hugging Face's order): 本ü.
    file = fixture();
    file["model"]["vocab"].erase("<0xAC>");
    const Tokenizer partial = Tokenizer::load(write(file, "partial.json"));
    QCOMPARE(partial.encode("\xE6\x9C\xAC", false), (Ids{259, 0}));
    QCOMPARE(partial.encode("\xE6\x9C\xAC\xC3\xBC", false), (Ids{259, 3 + 0xC3, 3 + 0xBC, 0}));
    QCOMPARE(partial.encode("\xE6\x9C\xAC" "a", false), (Ids{259, 0, 260}));
  }

  void unsupportedDecoderFailsOnlyOnDecode() {
    json file = fixture();
    file["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}};
    const std::string path = write(file, "wordpiece.json");
    const Tokenizer tokenizer = Tokenizer::load(path);
    QCOMPARE(tokenizer.encode("the", false), (Ids{278}));
    const QString message = shellscope::test::messageOf([&] { tokenizer.decode({278}); });
    QVERIFY2(message == QString::fromStdString(path) + ": decoder 'WordPiece' is not supported (ByteLevel, or Replace, "
                                                       "ByteFallback, Fuse, Strip, Metaspace)",
             qPrintable(message));
  }

  void malformedFilesAreRejected_data() {
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unk not in vocab") << "unk" << "model.unk_token '<nope>' is not in the vocabulary";
    QTest::newRow("merge makes an unknown token") << "merge-out" << "merge 23 'a d' makes 'ad', which is not in the vocabulary";
    QTest::newRow("merge of one symbol") << "merge-one" << "merge 0 is neither \"a b\" nor [\"a\", \"b\"]";
    QTest::newRow("byte_fallback not a flag") << "fallback-string" << "model.byte_fallback is not true or false";
    QTest::newRow("dropout") << "dropout" << "model.dropout is not supported";
    QTest::newRow("subword prefix") << "prefix" << "model.continuing_subword_prefix is not supported";
    QTest::newRow("regex replace") << "regex" << "normalizer Replace with a Regex pattern is not supported";
    QTest::newRow("prepend without text") << "prepend-missing" << "normalizer Prepend has no string 'prepend'";
    QTest::newRow("other normalizer in the sequence") << "lowercase" << "normalizer 'Lowercase' is not supported";
    QTest::newRow("metaspace scheme") << "scheme" << "pre_tokenizer Metaspace 'prepend_scheme' 'sometimes' is not always, first or never";
    QTest::newRow("metaspace contradiction") << "contradiction" << "'add_prefix_space' false contradicts its 'prepend_scheme'";
    QTest::newRow("metaspace replacement") << "replacement" << "pre_tokenizer Metaspace 'replacement' is not one character";
    QTest::newRow("pre-tokenizer in a sequence") << "pre-sequence" << "pre-tokenizer 'WhitespaceSplit' is not supported (ByteLevel, Metaspace, Split, Digits or a Sequence of them)";
    QTest::newRow("template id") << "template-id" << "special token '<s>' has the id 9999, which is not a token of this tokenizer";
    QTest::newRow("template token") << "template-name" << "uses '<bos>', which its special_tokens do not list with ids";
    QTest::newRow("template without $A") << "template-no-a" << "'single' must hold the sequence $A exactly once";
    QTest::newRow("other post-processor") << "bert" << "post_processor 'BertProcessing' is not supported";
    QTest::newRow("added token without content") << "added-content" << "an added token has no string content";
  }
  void malformedFilesAreRejected() {
    QFETCH(QString, change);
    QFETCH(QString, expected);
    json j = fixture();
    if (change == "unk") j["model"]["unk_token"] = "<nope>";
    if (change == "merge-out") j["model"]["merges"].push_back({"a", "d"});
    if (change == "merge-one") j["model"]["merges"][0] = {"a"};
    if (change == "fallback-string") j["model"]["byte_fallback"] = "yes";
    if (change == "dropout") j["model"]["dropout"] = 0.1;
    if (change == "prefix") j["model"]["continuing_subword_prefix"] = "##";
    if (change == "regex") j["normalizer"]["normalizers"][1]["pattern"] = {{"Regex", " +"}};
    if (change == "prepend-missing") j["normalizer"]["normalizers"][0].erase("prepend");
    if (change == "lowercase") j["normalizer"]["normalizers"].push_back({{"type", "Lowercase"}});
    if (change == "scheme") j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "sometimes"}};
    if (change == "contradiction") {
      j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "always"}, {"add_prefix_space", false}};
    }
    if (change == "replacement") j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "__"}};
    if (change == "pre-sequence") {
      j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Metaspace"}, {"replacement", kMeta}}}}};
    }
    if (change == "template-id") j["post_processor"]["special_tokens"]["<s>"]["ids"] = {9999};
    if (change == "template-name") j["post_processor"]["single"][0]["SpecialToken"]["id"] = "<bos>";
    if (change == "template-no-a") j["post_processor"]["single"].erase(1);
    if (change == "bert") j["post_processor"] = {{"type", "BertProcessing"}};
    if (change == "added-content") j["added_tokens"][0].erase("content");
    const std::string path = write(j, change.toStdString() + ".json");
    const QString message = shellscope::test::messageOf([&] { Tokenizer::load(path); });
    QVERIFY2(message.startsWith(QString::fromStdString(path) + ": ") && message.contains(expected), qPrintable(message));
  }
};

QTEST_APPLESS_MAIN(TestLlamaTokenizer)
#include "test_tokenizer_llama.moc"

// Byte-level BPE on a small hand-made tokenizer.json (data/tokenizer_small.json): the expected ids
// below were worked out by hand from its vocabulary (ids 0-255 are the byte-level characters of
// bytes 0-255), merges and added tokens.
#include <QFile>
#include <nlohmann/json.hpp>

#include <fstream>

#include "shellscope/base/file_error.h"
#include "pre_tokenizer.h"
#include "shellscope/data/tokenizer.h"
#include "test_support.h"

using namespace shellscope;
using Ids = std::vector<std::int64_t>;

namespace {
const char* kFixture = SHELLSCOPE_TEST_DATA "/tokenizer_small.json";
/// The cl100k-style split regex of Llama 3 / OLMo 2 tokenizer.json files.
const char* kCl100k = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
                      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
}

class TestTokenizer : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;

 private Q_SLOTS:
  void byteLevelAlphabet() {
    QCOMPARE(int(byteToUnicode('!')), int('!'));
    QCOMPARE(int(byteToUnicode(' ')), 0x120);  // 'Ġ'
    QCOMPARE(int(byteToUnicode('\n')), 0x10A);  // 'Ċ'
    QCOMPARE(int(byteToUnicode(0)), 0x100);
    QCOMPARE(int(byteToUnicode(0xAD)), 0x143);  // the 68th remapped byte
    QCOMPARE(int(byteToUnicode(0xFF)), 0xFF);
  }

  void encodesAsWorkedOutByHand_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<qint64>>("ids");
    QTest::newRow("merges by rank") << "the" << QList<qint64>{257};
    QTest::newRow("leading space joins the word") << "the the" << QList<qint64>{257, 258};
    QTest::newRow("one space before a letter") << "a b" << QList<qint64>{97, 269};
    QTest::newRow("non-ASCII letters") << QString::fromUtf8("caf\u00e9") << QList<qint64>{263};
    QTest::newRow("NFC first") << QString::fromUtf8("cafe\u0301") << QList<qint64>{263};
    QTest::newRow("contraction") << "don't" << QList<qint64>{266, 264};
    QTest::newRow("numbers") << "x123" << QList<qint64>{120, 268};
    QTest::newRow("special inside text") << "x<|endoftext|>y" << QList<qint64>{120, 270, 121};
    QTest::newRow("specials back to back") << "<|padding|><|endoftext|>" << QList<qint64>{271, 270};
    QTest::newRow("space run, longest") << "a    b" << QList<qint64>{97, 272, 98};
    QTest::newRow("space runs, leftmost first") << "a     b" << QList<qint64>{97, 272, 269};
    QTest::newRow("three spaces") << "a   b" << QList<qint64>{97, 273, 98};
    QTest::newRow("newlines split before a word") << "a\n\nb" << QList<qint64>{97, 10, 10, 98};
    QTest::newRow("outside the BMP") << QString::fromUtf8("\U0001F600") << QList<qint64>{240, 159, 152, 128};
    QTest::newRow("empty") << "" << QList<qint64>{};
  }
  void encodesAsWorkedOutByHand() {
    QFETCH(QString, text);
    QFETCH(QList<qint64>, ids);
    const Tokenizer tokenizer = Tokenizer::load(kFixture);
    const Ids encoded = tokenizer.encode(text.toStdString());
    QCOMPARE(QList<qint64>(encoded.begin(), encoded.end()), ids);
    // Decoding gives back the (NFC-normalised) text.
    QCOMPARE(QString::fromStdString(tokenizer.decode(encoded)), text.normalized(QString::NormalizationForm_C));
  }

  void mergesAsPairsReadTheSame() {
    std::ifstream in(kFixture);
    nlohmann::json j = nlohmann::json::parse(in);
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& m : j["model"]["merges"]) {
      const std::string text = m.get<std::string>();
      const auto space = text.find(' ');
      pairs.push_back({text.substr(0, space), text.substr(space + 1)});
    }
    j["model"]["merges"] = pairs;
    const std::string path = dir_.filePath("pairs.json").toStdString();
    std::ofstream(path) << j.dump();
    const Tokenizer a = Tokenizer::load(kFixture), b = Tokenizer::load(path);
    const std::string text = "the cafe\u0301 don't  123 <|endoftext|>";
    QCOMPARE(b.encode(text), a.encode(text));
    QCOMPARE(b.vocabSize(), std::int64_t(275));
    QCOMPARE(*b.tokenId("<|endoftext|>"), std::int64_t(270));
  }

  void addedTokensDecodeAsTheirText() {
    // Content in the byte-level alphabet's range (é is the alphabet's byte 0xE9) is text, not bytes.
    std::ifstream in(kFixture);
    nlohmann::json j = nlohmann::json::parse(in);
    j["added_tokens"].push_back({{"id", 275}, {"content", "<\u00e9>"}, {"special", true}, {"normalized", false}});
    const std::string path = dir_.filePath("latin-added.json").toStdString();
    std::ofstream(path) << j.dump();
    const Tokenizer tokenizer = Tokenizer::load(path);
    const std::string text = "x<\xc3\xa9>y";
    QCOMPARE(tokenizer.encode(text), (Ids{120, 275, 121}));
    QCOMPARE(tokenizer.decode(tokenizer.encode(text)), text);
  }

  // Split behaviours on Hugging Face's own documented example (SplitDelimiterBehavior).
  void splitBehaviours_data() {
    QTest::addColumn<QString>("behavior");
    QTest::addColumn<QStringList>("pieces");
    QTest::newRow("Removed") << "Removed" << QStringList{"the", "final", "countdown"};
    QTest::newRow("Isolated") << "Isolated" << QStringList{"the", "-", "final", "-", "-", "countdown"};
    QTest::newRow("MergedWithPrevious") << "MergedWithPrevious" << QStringList{"the-", "final-", "-", "countdown"};
    QTest::newRow("MergedWithNext") << "MergedWithNext" << QStringList{"the", "-final", "-", "-countdown"};
    QTest::newRow("Contiguous") << "Contiguous" << QStringList{"the", "-", "final", "--", "countdown"};
  }
  void splitBehaviours() {
    QFETCH(QString, behavior);
    QFETCH(QStringList, pieces);
    for (const char* pattern : {R"({"String": "-"})", R"({"Regex": "-"})"}) {
      const nlohmann::json pre = {{"type", "Split"}, {"pattern", nlohmann::json::parse(pattern)}, {"behavior", behavior.toStdString()}};
      QStringList got;
      for (const std::string& p : PreTokenizer::fromJson(pre, "t.json").split("the-final--countdown", true)) got << QString::fromStdString(p);
      QCOMPARE(got, pieces);
    }
  }

  void digitsAndRegexSplits() {
    const auto pieces = [](const nlohmann::json& pre, const std::string& text) {
      QStringList got;
      for (const std::string& p : PreTokenizer::fromJson(pre, "t.json").split(text, true)) got << QString::fromStdString(p);
      return got;
    };
    // Digits: Nd, Nl and No (the superscript three is No).
    QCOMPARE(pieces({{"type", "Digits"}, {"individual_digits", true}}, "a 12b\u00b3"),
             (QStringList{"a ", "1", "2", "b", QString::fromUtf8("\u00b3")}));
    QCOMPARE(pieces({{"type", "Digits"}, {"individual_digits", false}}, "a 12b\u00b3"),
             (QStringList{"a ", "12", "b", QString::fromUtf8("\u00b3")}));
    // The cl100k-style regex of Llama 3 / OLMo 2 files, worked through by hand: letters with one
    // leading non-letter, numbers in threes, a space run's last space left for the next word.
    const nlohmann::json split = {{"type", "Split"}, {"pattern", {{"Regex", kCl100k}}}, {"behavior", "Isolated"}, {"invert", false}};
    QCOMPARE(pieces(split, "Hello world  1234\n\n x"),
             (QStringList{"Hello", " world", " ", " ", "123", "4", "\n\n", " x"}));
    QCOMPARE(pieces(split, "DON'T"), (QStringList{"DON", "'T"}));
    // \s is White_Space as Oniguruma reads it: \v (U+000B) is a space (ICU's own \s says no).
    QCOMPARE(pieces(split, "a\v\vb"), (QStringList{"a", "\v", "\vb"}));
  }

  void sequencePreTokenizersGiveTheirIds() {
    std::ifstream in(kFixture);
    const nlohmann::json original = nlohmann::json::parse(in);
    const auto load = [&](const nlohmann::json& pre, const std::string& name) {
      nlohmann::json j = original;
      j["pre_tokenizer"] = pre;
      const std::string path = dir_.filePath(QString::fromStdString(name)).toStdString();
      std::ofstream(path) << j.dump();
      return Tokenizer::load(path);
    };
    const nlohmann::json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
    // StarCoder / SmolLM2 style: every digit its own piece (no "123" merge), then ByteLevel.
    const nlohmann::json digits = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byteLevel}}};
    const Tokenizer starcoder = load(digits, "digits.json");
    QCOMPARE(starcoder.encode("x123"), (Ids{120, 49, 50, 51}));
    QCOMPARE(starcoder.encode("a 12b"), (Ids{97, 32, 49, 50, 98}));
    QCOMPARE(starcoder.decode(starcoder.encode("a 12b")), std::string("a 12b"));
    // Llama 3 / OLMo 2 style: a Split regex, then ByteLevel without its own regex.
    const nlohmann::json split = {{"type", "Sequence"},
                                  {"pretokenizers",
                                   {{{"type", "Split"}, {"pattern", {{"Regex", kCl100k}}}, {"behavior", "Isolated"}, {"invert", false}},
                                    {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
    const Tokenizer llama3 = load(split, "split.json");
    QCOMPARE(llama3.encode("x1234"), (Ids{120, 268, 52}));
    QCOMPARE(llama3.encode("don't"), (Ids{266, 264}));
    QCOMPARE(llama3.encode("the the"), (Ids{257, 258}));
    // Refused: ByteLevel before another step, a regex that does not compile, an unknown behaviour.
    const auto refused = [&](const nlohmann::json& pre, const std::string& name) {
      return shellscope::test::messageOf([&] { load(pre, name); });
    };
    QVERIFY(refused({{"type", "Sequence"}, {"pretokenizers", {byteLevel, {{"type", "Digits"}}}}}, "order.json")
                .contains("pre_tokenizer ByteLevel is supported only as the last step of its Sequence"));
    QVERIFY(refused({{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}}, "regex.json")
                .contains("pre_tokenizer Split regex does not compile"));
    QVERIFY(refused({{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Sideways"}}, "behavior.json")
                .contains("pre_tokenizer Split 'behavior' 'Sideways' is not one Hugging Face defines"));
  }

  void utf8IsCheckedWithTheOffsetOfTheFirstBadSequence() {
    using std::string;
    QCOMPARE(firstInvalidUtf8("plain ascii"), string::npos);
    QCOMPARE(firstInvalidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac"), string::npos);  // é, 😀, €
    QCOMPARE(firstInvalidUtf8("ab\xff"), std::size_t(2));             // never in UTF-8
    QCOMPARE(firstInvalidUtf8("a\x80"), std::size_t(1));              // a lone continuation byte
    QCOMPARE(firstInvalidUtf8("ab\xc3"), std::size_t(2));             // truncated
    QCOMPARE(firstInvalidUtf8("\xc0\xaf"), std::size_t(0));           // overlong '/'
    QCOMPARE(firstInvalidUtf8("x\xed\xa0\x80"), std::size_t(1));      // a surrogate, U+D800
    QCOMPARE(firstInvalidUtf8("xy\xf4\x90\x80\x80"), std::size_t(2));  // above U+10FFFF
    const QString message = shellscope::test::messageOf([] { requireUtf8("ok\xfe", "input.txt"); });
    QVERIFY2(message == "input.txt: not UTF-8: an invalid byte sequence (starting 0xFE) at byte 2", qPrintable(message));
  }

  void malformedFilesAreRejected_data() {
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not JSON") << "garbage" << "not valid JSON";
    QTest::newRow("unigram model") << "unigram" << "model type 'Unigram' is not supported";
    QTest::newRow("other normalizer") << "nfkc" << "normalizer 'NFKC' is not supported";
    QTest::newRow("other pre-tokenizer") << "whitespace" << "pre-tokenizer 'Whitespace' is not supported";
    QTest::newRow("merge of a token not in the vocabulary") << "merge-out" << "makes 'qz', which is not in the vocabulary";
    QTest::newRow("bad merge") << "merge" << "is not two symbols";
    QTest::newRow("negative id") << "id-negative" << "has the id -1, outside [0, 2^31)";
    QTest::newRow("fractional id") << "id-fraction" << "has the id 1.5, not a whole number";
    QTest::newRow("huge id") << "id-huge" << "has the id 1099511627776, outside [0, 2^31)";
    QTest::newRow("duplicate id") << "id-duplicate" << "share the id 97";
    QTest::newRow("merge of unknown tokens") << "merge-unknown" << "which is not in the vocabulary";
    QTest::newRow("merge of three symbols") << "merge-three" << "has more than two symbols";
    QTest::newRow("added tokens not a list") << "added-object" << "added_tokens is not a list";
    QTest::newRow("added token id -7") << "added-negative" << "added token <|endoftext|> has the id -7";
  }
  void malformedFilesAreRejected() {
    QFETCH(QString, change);
    QFETCH(QString, expected);
    std::ifstream in(kFixture);
    nlohmann::json j = nlohmann::json::parse(in);
    std::string text;
    if (change == "garbage") text = "{ not json";
    if (change == "unigram") j["model"]["type"] = "Unigram";
    if (change == "nfkc") j["normalizer"]["type"] = "NFKC";
    if (change == "whitespace") j["pre_tokenizer"] = {{"type", "Whitespace"}};
    if (change == "merge-out") j["model"]["merges"].push_back("q z");
    if (change == "merge") j["model"]["merges"][0] = "nospace";
    if (change == "id-negative") j["model"]["vocab"]["zz-new"] = -1;
    if (change == "id-fraction") j["model"]["vocab"]["zz-new"] = 1.5;
    if (change == "id-huge") j["model"]["vocab"]["zz-new"] = 1LL << 40;
    if (change == "id-duplicate") j["model"]["vocab"]["zz-new"] = 97;
    if (change == "merge-unknown") j["model"]["merges"][0] = "qqq zzz";
    if (change == "merge-three") j["model"]["merges"][0] = "a b c";
    if (change == "added-object") j["added_tokens"] = {{"id", 3}};
    if (change == "added-negative") {
      for (auto& t : j["added_tokens"]) {
        if (t["content"] == "<|endoftext|>") t["id"] = -7;
      }
    }
    if (text.empty()) text = j.dump();
    const std::string path = dir_.filePath(change + ".json").toStdString();
    std::ofstream(path) << text;
    const QString message = shellscope::test::messageOf([&] { Tokenizer::load(path); });
    QVERIFY2(message.startsWith(QString::fromStdString(path)) && message.contains(expected), qPrintable(message));
  }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"

// Token files: MMIDIDX, .npy and raw tokens round-trip through our writers and readers; every
// corruption gives a clear error naming the file.
#include <QTemporaryDir>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "mmididx_shards.h"
#include "shellscope/data/token_data.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::messageOf;
namespace fs = std::filesystem;

namespace {

std::vector<std::int64_t> readAll(const TokenStream& s) {
  std::vector<std::int64_t> out(static_cast<size_t>(s.size()));
  s.read(0, s.size(), out.data());
  return out;
}

void patch(const std::string& path, std::size_t offset, const void* bytes, std::size_t size) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
}

}  // namespace

class TestTokenData : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }
  const std::vector<std::vector<std::int64_t>> documents_{{5, 6, 7}, {}, {8, 9}, {10, 11, 12, 13}};

 private Q_SLOTS:
  void mmidIdxRoundTripByAnyName_data() {
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<QString>("suffix");
    for (const char* dtype : {"u16", "i32", "i64", "u8"}) {
      for (const char* suffix : {"", ".bin", ".idx"}) {
        QTest::newRow((std::string(dtype) + " '" + suffix + "'").c_str()) << dtype << suffix;
      }
    }
  }
  void mmidIdxRoundTripByAnyName() {
    QFETCH(QString, dtype);
    QFETCH(QString, suffix);
    const std::string prefix = path(("data-" + dtype).toStdString().c_str());
    writeMmidIdx(prefix, documents_, parseTokenDType(dtype.toStdString()));
    const auto stream = openTokenData(prefix + suffix.toStdString());
    QCOMPARE(readAll(*stream), (std::vector<std::int64_t>{5, 6, 7, 8, 9, 10, 11, 12, 13}));
    QCOMPARE(stream->rowCount(), std::int64_t(4));
    QCOMPARE(stream->rowStart(2), std::int64_t(3));
    QCOMPARE(stream->rowLength(1), std::int64_t(0));
    QCOMPARE(stream->rowLength(3), std::int64_t(4));
    std::int64_t across[4];
    stream->read(1, 4, across);  // crosses two document boundaries and an empty document
    QCOMPARE(std::vector<std::int64_t>(across, across + 4), (std::vector<std::int64_t>{6, 7, 8, 9}));
    QVERIFY(QString::fromStdString(stream->description()).contains("MMIDIDX " + dtype));
  }

  // Pythia's Pile ships as byte shards of the .bin plus one .idx: read in place, they give the
  // merged file's tokens and rows, by the prefix, one shard's name or a glob; 7-byte shards of
  // u16 tokens split tokens across shards, 1-byte shards split every token.
  void shardedMmidIdxReadsAsTheMergedFile_data() {
    QTest::addColumn<int>("shardBytes");
    QTest::addColumn<QString>("named");
    for (int bytes : {1, 7, 8}) {
      for (const char* named : {"prefix", "shard", "glob"}) {
        QTest::newRow((std::to_string(bytes) + "-byte shards, by " + named).c_str()) << bytes << named;
      }
    }
  }
  void shardedMmidIdxReadsAsTheMergedFile() {
    QFETCH(int, shardBytes);
    QFETCH(QString, named);
    const std::string merged = path("merged"), folder = path(("sharded-" + std::to_string(shardBytes)).c_str());
    std::vector<std::vector<std::int64_t>> documents = documents_;
    documents.push_back({});
    for (int i = 0; i < 40; ++i) documents.back().push_back(1000 + 257 * i);  // both bytes differ
    writeMmidIdx(merged, documents, TokenDType::U16);
    fs::create_directories(folder);
    const int shards = test::writeMmidIdxShards(merged, folder + "/document", static_cast<std::size_t>(shardBytes));
    QVERIFY(shards > 2);
    const std::string name = named == "prefix" ? folder + "/document"
                             : named == "shard" ? folder + "/document-00001-of-" + QString::number(shards - 1).rightJustified(5, '0').toStdString() + ".bin"
                                                : folder + "/document-*.bin";
    const auto whole = openTokenData(merged), split = openTokenData(name);
    QCOMPARE(readAll(*split), readAll(*whole));
    QCOMPARE(split->rowCount(), whole->rowCount());
    for (std::int64_t r = 0; r < whole->rowCount(); ++r) {
      QCOMPARE(split->rowStart(r), whole->rowStart(r));
      QCOMPARE(split->rowLength(r), whole->rowLength(r));
    }
    for (std::int64_t offset = 0; offset + 5 <= whole->size(); offset += 3) {  // reads starting anywhere
      std::int64_t a[5], b[5];
      whole->read(offset, 5, a);
      split->read(offset, 5, b);
      QCOMPARE(std::vector<std::int64_t>(b, b + 5), std::vector<std::int64_t>(a, a + 5));
    }
    QCOMPARE(split->source().files.size(), static_cast<std::size_t>(shards + 1));
    QVERIFY(QString::fromStdString(split->source().format).contains(QString::number(shards) + " shards"));
  }

  void missingOrShortShardIsNamed_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing middle shard") << 0 << "document-00002-of-00005.bin" << "missing: shard 2 of the 6 shards";
    QTest::newRow("missing last shard") << 1 << "document-00005-of-00005.bin" << "missing: shard 5 of the 6 shards";
    QTest::newRow("short middle shard") << 2 << "document-00003-of-00005.bin" << "holds 7 bytes, shard 0 holds 8";
    QTest::newRow("short last shard") << 3 << "document-00005-of-00005.bin" << "reaches past it: a shard is short";
    QTest::newRow("long last shard") << 4 << "document-00005-of-00005.bin" << "the last no more";
    QTest::newRow("shards of two counts") << 5 << "document-00000-of-00006.bin" << "disagree on their count";
    QTest::newRow("glob matching nothing") << 6 << "nothing-*.bin" << "matches no shards";
    QTest::newRow("no .bin and no shards") << 7 << "document.bin" << "missing (an MMIDIDX dataset is a .bin and .idx pair";
  }
  void missingOrShortShardIsNamed() {
    QFETCH(int, kind);
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const std::string merged = path("for-shards"), folder = path(("bad-shards-" + std::to_string(kind)).c_str());
    std::vector<std::vector<std::int64_t>> documents = documents_;
    documents.push_back({20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34});  // 24 tokens, 48 bytes
    writeMmidIdx(merged, documents, TokenDType::U16);
    fs::create_directories(folder);
    const std::string prefix = folder + "/document";
    QCOMPARE(test::writeMmidIdxShards(merged, prefix, 8), 6);
    auto shard = [&](int i) { return prefix + "-0000" + std::to_string(i) + "-of-00005.bin"; };
    std::string given = prefix;
    switch (kind) {
      case 0: fs::remove(shard(2)); break;
      case 1: fs::remove(shard(5)); break;
      case 2: fs::resize_file(shard(3), 7); break;
      case 3: fs::resize_file(shard(5), 6); break;
      case 4: fs::resize_file(shard(5), 10); break;
      case 5: fs::copy_file(shard(0), prefix + "-00000-of-00006.bin"); break;
      case 6: given = folder + "/nothing-*.bin"; std::ofstream(folder + "/nothing.idx") << "x"; break;
      case 7: for (int i = 0; i < 6; ++i) fs::remove(shard(i)); break;
    }
    const QString message = messageOf([&] { openTokenData(given); });
    QVERIFY2(message.startsWith(QString::fromStdString(folder + "/") + file) && message.contains(expected), qPrintable(message));
  }

  void corruptMmidIdxIsRejected_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad magic") << 0 << "not an MMIDIDX index (bad magic)";
    QTest::newRow("version") << 1 << "MMIDIDX version 2 is not supported";
    QTest::newRow("float dtype") << 2 << "dtype code 6 is a float type";
    QTest::newRow("unknown dtype") << 3 << "unknown dtype code 9";
    QTest::newRow("truncated index") << 4 << "does not match its header";
    QTest::newRow("pointer past the .bin") << 5 << "lies outside";
    QTest::newRow(".bin not whole tokens") << 6 << "not a multiple of the token size";
    QTest::newRow("missing .bin") << 7 << "missing (an MMIDIDX dataset is a .bin and .idx pair)";
    QTest::newRow("negative document index") << 8 << "document index 1 is -1, before the one preceding it";
    QTest::newRow("document index past the end") << 9 << "document index 2 is 1000, past the 4 sequences";
    QTest::newRow("decreasing document index") << 10 << "document index 3 is 1, before the one preceding it";
  }
  void corruptMmidIdxIsRejected() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    const std::string prefix = path(("bad-" + std::to_string(kind)).c_str());
    writeMmidIdx(prefix, documents_, TokenDType::U16);
    const std::string idx = prefix + ".idx";
    const std::uint8_t byte9 = 9, byte6 = 6;
    const std::uint64_t two = 2;
    const std::int64_t far = 1000;
    switch (kind) {
      case 0: patch(idx, 0, "XXIDIDX", 7); break;
      case 1: patch(idx, 9, &two, 8); break;
      case 2: patch(idx, 17, &byte6, 1); break;
      case 3: patch(idx, 17, &byte9, 1); break;
      case 4: fs::resize_file(idx, fs::file_size(idx) - 8); break;
      case 5: patch(idx, 34 + 4 * 4 + 8 * 2, &far, 8); break;  // pointer of the third sequence
      case 6: {
        std::ofstream(prefix + ".bin", std::ios::app | std::ios::binary) << 'x';
        break;
      }
      case 7: fs::remove(prefix + ".bin"); break;
      // doc_idx (0, 1, 2, 3, 4 for the 4 documents) follows 4 sizes and 4 pointers.
      case 8: {
        const std::int64_t negative = -1;
        patch(idx, 34 + 4 * 4 + 8 * 4 + 8 * 1, &negative, 8);
        break;
      }
      case 9: patch(idx, 34 + 4 * 4 + 8 * 4 + 8 * 2, &far, 8); break;
      case 10: {
        const std::int64_t back = 1;
        patch(idx, 34 + 4 * 4 + 8 * 4 + 8 * 3, &back, 8);
        break;
      }
    }
    const QString message = messageOf([&] { openMmidIdx(prefix); });
    QVERIFY2(message.contains(expected) && message.contains(QString::fromStdString(prefix)), qPrintable(message));
  }

  void npyHeadersAreReadAsNumpyReadsThem_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<QString>("expected");  // empty: accepted
    QTest::newRow("as numpy writes it") << "{'descr': '<i4', 'fortran_order': False, 'shape': (8,), }" << "";
    QTest::newRow("double quotes, no trailing comma") << "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (8,)}" << "";
    QTest::newRow("garbage separator") << "{'descr'; '<i4', 'fortran_order': False, 'shape': (8,), }" << "expected ':'";
    QTest::newRow("extra key") << "{'descr': '<i4', 'fortran_order': False, 'shape': (8,), 'x': 1}" << "key 'x' is not one numpy writes";
    QTest::newRow("repeated key") << "{'descr': '<i4', 'descr': '<i8', 'fortran_order': False, 'shape': (8,)}" << "key 'descr' is repeated";
    QTest::newRow("missing key") << "{'descr': '<i4', 'shape': (8,)}" << "no 'fortran_order'";
    QTest::newRow("shape not whole") << "{'descr': '<i4', 'fortran_order': False, 'shape': (8.0,)}" << "expected ',' or ')' in the shape";
    QTest::newRow("negative shape") << "{'descr': '<i4', 'fortran_order': False, 'shape': (-8,)}" << "not a whole number";
    QTest::newRow("text after the dict") << "{'descr': '<i4', 'fortran_order': False, 'shape': (8,)} x" << "text after the closing";
    QTest::newRow("order not a bool") << "{'descr': '<i4', 'fortran_order': 0, 'shape': (8,)}" << "neither True nor False";
  }
  void npyHeadersAreReadAsNumpyReadsThem() {
    QFETCH(QString, header);
    QFETCH(QString, expected);
    const std::string file = path(("h-" + std::to_string(qHash(header)) + ".npy").c_str());
    writeNpy(file, {3, 1, 4, 1, 5, 9, 2, 6}, TokenDType::I32);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::string padded = header.toStdString();
    QVERIFY(padded.size() < 117);
    padded.resize(117, ' ');
    padded += '\n';
    f.seekp(10);
    f.write(padded.data(), 118);
    f.close();
    const QString message = messageOf([&] { openNpy(file); });
    if (expected.isEmpty()) {
      QVERIFY2(message.isEmpty(), qPrintable(message));
    } else {
      QVERIFY2(message.startsWith(QString::fromStdString(file)) && message.contains(expected), qPrintable(message));
    }
  }

  void npyRoundTripAndRows() {
    const std::vector<std::int64_t> tokens{3, 1, 4, 1, 5, 9, 2, 6};
    for (TokenDType dtype : {TokenDType::I32, TokenDType::I64, TokenDType::U16}) {
      const std::string file = path(("t-" + toString(dtype) + ".npy").c_str());
      writeNpy(file, tokens, dtype);
      QCOMPARE(readAll(*openTokenData(file)), tokens);
      QCOMPARE(fs::file_size(file) % 64, (8 * byteWidth(dtype)) % 64);  // header padded to 64 bytes
    }
    // A 2-D array as numpy writes it: rows are samples.
    const std::string file = path("rows.npy");
    writeNpy(file, tokens, TokenDType::I32);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::string header(118, ' ');
    f.seekg(10);
    f.read(header.data(), 118);
    const std::string shaped = std::string("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 4), }");
    header.replace(0, shaped.size(), shaped);
    std::fill(header.begin() + static_cast<long>(shaped.size()), header.end() - 1, ' ');
    f.seekp(10);
    f.write(header.data(), 118);
    f.close();
    const auto rows = openNpy(file);
    QCOMPARE(rows->rowCount(), std::int64_t(2));
    QCOMPARE(rows->rowStart(1), std::int64_t(4));
  }

  void badNpyIsRejected() {
    const std::string file = path("float.npy");
    writeNpy(file, {1, 2, 3}, TokenDType::I32);
    patch(file, 21, "<f4", 3);  // 'descr': '<i4' -> '<f4'
    QVERIFY(messageOf([&] { openNpy(file); }).contains("not '<f4'"));
    const std::string truncated = path("short.npy");
    writeNpy(truncated, {1, 2, 3}, TokenDType::I64);
    fs::resize_file(truncated, fs::file_size(truncated) - 3);
    QVERIFY(messageOf([&] { openNpy(truncated); }).contains("truncated or corrupt"));
    const std::string text = path("text.npy");
    std::ofstream(text) << "hello";
    QVERIFY(messageOf([&] { openNpy(text); }).contains("not a .npy file"));
  }

  void rawTokensWithAStatedDtype() {
    const std::string file = path("t.u16");
    writeRawTokens(file, {1, 65535, 7}, TokenDType::U16);
    QCOMPARE(readAll(*openTokenData(file)), (std::vector<std::int64_t>{1, 65535, 7}));
    const std::string plain = path("tokens.dat");
    writeRawTokens(plain, {1, 2, 3}, TokenDType::I32);
    TokenDataOptions options;
    options.rawDtype = "i32";
    QCOMPARE(readAll(*openTokenData(plain, options)), (std::vector<std::int64_t>{1, 2, 3}));
    QVERIFY(messageOf([&] { openTokenData(plain); }).contains("data_dtype is needed for"));
    options.rawDtype = "i64";
    QVERIFY(messageOf([&] { openTokenData(plain, options); }).contains("not a multiple of 8"));
    QVERIFY(messageOf([&] { writeRawTokens(plain, {70000}, TokenDType::U16); }).contains("does not fit in u16"));
  }

  void readsPastTheEndAreErrors() {
    InMemoryTokenStream s({1, 2, 3}, "mem");
    std::int64_t out[4];
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, s.read(1, 3, out));
  }

  void textNeedsATokenizer() {
    const std::string file = path("t.txt");
    std::ofstream(file) << "the the";
    QVERIFY(messageOf([&] { openTokenData(file); }).contains("tokenizer is needed for the text file"));
    TokenDataOptions options;
    options.tokenizerPath = SHELLSCOPE_TEST_DATA "/tokenizer_small.json";
    QCOMPARE(readAll(*openTokenData(file, options)), (std::vector<std::int64_t>{257, 258}));
  }
};

QTEST_APPLESS_MAIN(TestTokenData)
#include "test_token_data.moc"

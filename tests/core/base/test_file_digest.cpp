// SHA-256 against the FIPS 180-4 examples, files hashed in blocks equal strings hashed at once, and
// the digest cache: reused while size and mtime match, refreshed when the file changes.
#include <QTemporaryDir>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "shellscope/base/file_digest.h"
#include "test_support.h"

using namespace shellscope;

class TestFileDigest : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void initTestCase() { ::setenv("XDG_CACHE_HOME", dir_.filePath("cache").toUtf8().constData(), 1); }

  void fipsExamples() {
    QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    QCOMPARE(sha256Hex(std::string(1000000, 'a')),
             std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  }

  void filesHashedInBlocksEqualStrings() {
    std::string content;
    for (int i = 0; i < 3000000; ++i) content += static_cast<char>((i * 131) % 251);  // > one 1 MiB block
    std::ofstream(path("big.bin"), std::ios::binary) << content;
    QCOMPARE(sha256File(path("big.bin")), sha256Hex(content));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, sha256File(path("missing.bin")));
  }

  void theCacheFollowsTheFile() {
    std::ofstream(path("w.bin"), std::ios::binary) << "first";
    QCOMPARE(cachedFileDigest(path("w.bin")), sha256Hex("first"));
    QVERIFY(std::filesystem::exists(dir_.filePath("cache/shellscope/digests.tsv").toStdString()));
    QCOMPARE(cachedFileDigest(path("w.bin")), sha256Hex("first"));  // from the cache
    std::ofstream(path("w.bin"), std::ios::binary) << "second, longer";
    QCOMPARE(cachedFileDigest(path("w.bin")), sha256Hex("second, longer"));
  }

  void severalFilesDigestByNameNotFolder() {
    std::filesystem::create_directories(path("a"));
    std::filesystem::create_directories(path("b"));
    for (const char* folder : {"a", "b"}) {
      std::ofstream(path(folder) + "/x.json") << "{}";
      std::ofstream(path(folder) + "/y.bin") << "weights";
    }
    const std::string a = filesDigest({path("a") + "/x.json", path("a") + "/y.bin"});
    QCOMPARE(filesDigest({path("b") + "/y.bin", path("b") + "/x.json"}), a);
    std::ofstream(path("b") + "/y.bin") << "changed";
    QVERIFY(filesDigest({path("b") + "/x.json", path("b") + "/y.bin"}) != a);
  }
};

QTEST_APPLESS_MAIN(TestFileDigest)
#include "test_file_digest.moc"

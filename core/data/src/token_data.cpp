// Token data readers and writers; formats in shared/docs/formats.md ("Token data").
#include "shellscope/data/token_data.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"
#include "shellscope/base/mapped_file.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/data/tokenizer.h"
#include "mmididx_bin.h"

namespace shellscope {

namespace fs = std::filesystem;

TokenDType parseTokenDType(const std::string& text) {
  if (text == "u8" || text == "uint8") return TokenDType::U8;
  if (text == "i8" || text == "int8") return TokenDType::I8;
  if (text == "i16" || text == "int16") return TokenDType::I16;
  if (text == "u16" || text == "uint16") return TokenDType::U16;
  if (text == "i32" || text == "int32") return TokenDType::I32;
  if (text == "u32" || text == "uint32") return TokenDType::U32;
  if (text == "i64" || text == "int64") return TokenDType::I64;
  throw std::invalid_argument("unknown token dtype '" + text + "' (expected u8, i8, i16, u16, i32, u32 or i64)");
}

std::string toString(TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8: return "u8";
    case TokenDType::I8: return "i8";
    case TokenDType::I16: return "i16";
    case TokenDType::U16: return "u16";
    case TokenDType::I32: return "i32";
    case TokenDType::U32: return "u32";
    case TokenDType::I64: return "i64";
  }
  return "unknown";
}

std::size_t byteWidth(TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8:
    case TokenDType::I8: return 1;
    case TokenDType::I16:
    case TokenDType::U16: return 2;
    case TokenDType::I32:
    case TokenDType::U32: return 4;
    case TokenDType::I64: return 8;
  }
  return 0;
}

std::int64_t TokenStream::rowStart(std::int64_t) const { throw std::logic_error(description() + " has no rows"); }
std::int64_t TokenStream::rowLength(std::int64_t) const { throw std::logic_error(description() + " has no rows"); }

namespace {

/// Little-endian integer of `dtype` at `p` (all supported machines are little-endian).
std::int64_t decode(const std::uint8_t* p, TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8: return p[0];
    case TokenDType::I8: return static_cast<std::int8_t>(p[0]);
    case TokenDType::I16: { std::int16_t v; std::memcpy(&v, p, 2); return v; }
    case TokenDType::U16: { std::uint16_t v; std::memcpy(&v, p, 2); return v; }
    case TokenDType::I32: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
    case TokenDType::U32: { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
    case TokenDType::I64: { std::int64_t v; std::memcpy(&v, p, 8); return v; }
  }
  return 0;
}

void encode(std::int64_t value, TokenDType dtype, std::uint8_t* p) {
  switch (dtype) {
    case TokenDType::U8: p[0] = static_cast<std::uint8_t>(value); break;
    case TokenDType::I8: p[0] = static_cast<std::uint8_t>(static_cast<std::int8_t>(value)); break;
    case TokenDType::I16: { const auto v = static_cast<std::int16_t>(value); std::memcpy(p, &v, 2); break; }
    case TokenDType::U16: { const auto v = static_cast<std::uint16_t>(value); std::memcpy(p, &v, 2); break; }
    case TokenDType::I32: { const auto v = static_cast<std::int32_t>(value); std::memcpy(p, &v, 4); break; }
    case TokenDType::U32: { const auto v = static_cast<std::uint32_t>(value); std::memcpy(p, &v, 4); break; }
    case TokenDType::I64: std::memcpy(p, &value, 8); break;
  }
}

bool fitsIn(std::int64_t value, TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8: return value >= 0 && value <= 0xFF;
    case TokenDType::I8: return value >= -128 && value <= 127;
    case TokenDType::I16: return value >= -32768 && value <= 32767;
    case TokenDType::U16: return value >= 0 && value <= 0xFFFF;
    case TokenDType::I32: return value >= std::numeric_limits<std::int32_t>::min() && value <= std::numeric_limits<std::int32_t>::max();
    case TokenDType::U32: return value >= 0 && value <= 0xFFFFFFFFll;
    case TokenDType::I64: return true;
  }
  return false;
}

void checkRead(const TokenStream& stream, std::int64_t offset, std::int64_t count) {
  if (offset < 0 || count < 0 || offset > stream.size() - count) {
    throw std::out_of_range(stream.description() + ": read of " + std::to_string(count) + " tokens at " +
                            std::to_string(offset) + " past its end (" + std::to_string(stream.size()) + " tokens)");
  }
}

/// Tokens of one dtype stored contiguously in a mapped file, optionally split into rows.
class MappedTokens final : public TokenStream {
 public:
  MappedTokens(std::shared_ptr<const MappedFile> file, std::size_t dataOffset, std::int64_t count, TokenDType dtype,
               std::string description, std::vector<std::int64_t> rowStarts)
      : file_(std::move(file)), base_(file_->data() + dataOffset), count_(count), dtype_(dtype),
        description_(std::move(description)), rowStarts_(std::move(rowStarts)) {}
  std::int64_t size() const override { return count_; }
  void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const override {
    checkRead(*this, offset, count);
    const std::size_t width = byteWidth(dtype_);
    for (std::int64_t i = 0; i < count; ++i) out[i] = decode(base_ + static_cast<std::size_t>(offset + i) * width, dtype_);
  }
  std::string description() const override { return description_; }
  std::int64_t rowCount() const override { return static_cast<std::int64_t>(rowStarts_.size()); }
  std::int64_t rowStart(std::int64_t row) const override { return rowStarts_.at(static_cast<size_t>(row)); }
  std::int64_t rowLength(std::int64_t row) const override {
    const size_t r = static_cast<size_t>(row);
    return (r + 1 < rowStarts_.size() ? rowStarts_[r + 1] : count_) - rowStarts_.at(r);
  }

 private:
  std::shared_ptr<const MappedFile> file_;
  const std::uint8_t* base_;
  std::int64_t count_;
  TokenDType dtype_;
  std::string description_;
  std::vector<std::int64_t> rowStarts_;
};

// ---------------------------------------------------------------------------------------------
// MMIDIDX

constexpr char kMmidIdxMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};

TokenDType mmidIdxDType(std::uint8_t code, const std::string& path) {
  switch (code) {
    case 1: return TokenDType::U8;
    case 2: return TokenDType::I8;
    case 3: return TokenDType::I16;
    case 4: return TokenDType::I32;
    case 5: return TokenDType::I64;
    case 8: return TokenDType::U16;
    case 6:
    case 7: throw FileFormatError(path, "dtype code " + std::to_string(code) + " is a float type, not token ids");
    default: throw FileFormatError(path, "unknown dtype code " + std::to_string(code) + " in the header");
  }
}

std::uint8_t mmidIdxCode(TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8: return 1;
    case TokenDType::I8: return 2;
    case TokenDType::I16: return 3;
    case TokenDType::I32: return 4;
    case TokenDType::I64: return 5;
    case TokenDType::U16: return 8;
    case TokenDType::U32: break;
  }
  throw std::invalid_argument("MMIDIDX has no code for u32 tokens");
}

template <typename T>
T readLittle(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

/// Sequences of an MMIDIDX .bin (whole or in shards, mmididx_bin.h), concatenated in index order.
class MmidIdxStream final : public TokenStream {
 public:
  MmidIdxStream(MmidIdxBin bin, TokenDType dtype, std::vector<std::int64_t> pointers,
                std::vector<std::int64_t> rowStarts, std::string description)
      : bin_(std::move(bin)), dtype_(dtype), pointers_(std::move(pointers)), rowStarts_(std::move(rowStarts)),
        description_(std::move(description)) {}
  std::int64_t size() const override { return rowStarts_.empty() ? 0 : rowStarts_.back(); }
  std::int64_t rowCount() const override { return static_cast<std::int64_t>(pointers_.size()); }
  std::int64_t rowStart(std::int64_t row) const override { return rowStarts_.at(static_cast<size_t>(row)); }
  std::int64_t rowLength(std::int64_t row) const override {
    return rowStarts_.at(static_cast<size_t>(row) + 1) - rowStarts_[static_cast<size_t>(row)];
  }
  std::string description() const override { return description_; }

  void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const override {
    checkRead(*this, offset, count);
    const std::size_t width = byteWidth(dtype_);
    // The row holding `offset`: the last start <= offset.
    auto it = std::upper_bound(rowStarts_.begin(), rowStarts_.end(), offset);
    std::size_t row = static_cast<std::size_t>(it - rowStarts_.begin()) - 1;
    std::vector<std::uint8_t> scratch;
    while (count > 0) {
      while (rowStarts_[row + 1] <= offset) ++row;  // skip empty rows
      const std::int64_t within = offset - rowStarts_[row];
      const std::int64_t take = std::min(count, rowStarts_[row + 1] - offset);
      const std::uint8_t* p = bin_.bytes(static_cast<std::uint64_t>(pointers_[row]) + static_cast<std::uint64_t>(within) * width,
                                         static_cast<std::size_t>(take) * width, scratch);
      for (std::int64_t i = 0; i < take; ++i) out[i] = decode(p + static_cast<std::size_t>(i) * width, dtype_);
      out += take;
      offset += take;
      count -= take;
    }
  }

 private:
  MmidIdxBin bin_;
  TokenDType dtype_;
  std::vector<std::int64_t> pointers_;   ///< byte offset of each sequence in the .bin
  std::vector<std::int64_t> rowStarts_;  ///< prefix sums of the sizes, rowCount() + 1 entries
  std::string description_;
};

std::string stripSuffix(const std::string& path, const std::string& suffix) {
  return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0
             ? path.substr(0, path.size() - suffix.size())
             : path;
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---------------------------------------------------------------------------------------------
// .npy

struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<std::int64_t> shape;
  std::size_t dataOffset = 0;
};

/// The header dict parsed as numpy reads it (numpy.lib.format: a Python literal, exactly the keys
/// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of whole numbers), then
/// only spaces and the newline); anything else is refused with what was found.
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& path) : text_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader header;
    bool descr = false, order = false, shape = false;
    expect('{');
    skipSpace();
    while (peek() != '}') {
      const std::string key = quoted();
      expect(':');
      skipSpace();
      if (key == "descr" && !descr) {
        header.descr = quoted();
        descr = true;
      } else if (key == "fortran_order" && !order) {
        header.fortranOrder = boolean();
        order = true;
      } else if (key == "shape" && !shape) {
        header.shape = tuple();
        shape = true;
      } else {
        fail("key '" + key + "' is " + (key == "descr" || key == "fortran_order" || key == "shape" ? "repeated" : "not one numpy writes"));
      }
      skipSeparatorBefore('}', "expected ',' or '}'");
    }
    ++at_;
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n')) ++at_;
    if (at_ != text_.size()) fail("text after the closing '}'");
    if (!descr || !order || !shape) {
      fail(std::string("no '") + (!descr ? "descr" : !order ? "fortran_order" : "shape") + "'");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw FileFormatError(path_, "malformed .npy header (" + problem + " at byte " + std::to_string(at_) + ")");
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  /// After an item of a dict or tuple: a ',' (and the spaces after it), or else the closing bracket.
  void skipSeparatorBefore(char closing, const char* complaint) {
    skipSpace();
    if (peek() == ',') {
      ++at_;
      skipSpace();
    } else if (peek() != closing) {
      fail(complaint);
    }
  }
  void skipSpace() {
    while (at_ < text_.size() && text_[at_] == ' ') ++at_;
  }
  void expect(char c) {
    skipSpace();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  std::string quoted() {
    skipSpace();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, at_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(at_ + 1, end - at_ - 1);
    if (value.find('\\') != std::string::npos) fail("escapes in a string");
    at_ = end + 1;
    return value;
  }
  bool boolean() {
    for (const char* word : {"True", "False"}) {
      if (text_.compare(at_, std::strlen(word), word) == 0) {
        at_ += std::strlen(word);
        return word[0] == 'T';
      }
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> values;
    skipSpace();
    while (peek() != ')') {
      const std::size_t start = at_;
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++at_;
      if (at_ == start || at_ - start > 18) fail("a shape entry is not a whole number");
      values.push_back(std::stoll(text_.substr(start, at_ - start)));
      skipSeparatorBefore(')', "expected ',' or ')' in the shape");
    }
    ++at_;
    return values;
  }

  const std::string& text_;
  const std::string& path_;
  std::size_t at_ = 0;
};

NpyHeader parseNpyHeader(const MappedFile& file) {
  const std::string& path = file.path();
  const std::uint8_t* p = file.data();
  if (file.size() < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) throw FileFormatError(path, "not a .npy file (bad magic)");
  const int major = p[6];
  std::size_t headerLength = 0, headerStart = 0;
  if (major == 1) {
    headerLength = readLittle<std::uint16_t>(p + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (file.size() < 12) throw FileFormatError(path, "truncated .npy header");
    headerLength = readLittle<std::uint32_t>(p + 8);
    headerStart = 12;
  } else {
    throw FileFormatError(path, "unsupported .npy version " + std::to_string(major));
  }
  if (headerStart + headerLength > file.size()) throw FileFormatError(path, "truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(p + headerStart), headerLength);
  NpyHeader result = NpyHeaderParser(header, path).parse();
  result.dataOffset = headerStart + headerLength;
  return result;
}

TokenDType npyDType(const std::string& descr, const std::string& path) {
  if (descr == "<i4") return TokenDType::I32;
  if (descr == "<i8") return TokenDType::I64;
  if (descr == "<u2") return TokenDType::U16;
  if (descr == "<u4") return TokenDType::U32;
  if (descr == "|u1" || descr == "<u1") return TokenDType::U8;
  if (descr == "<i2") return TokenDType::I16;
  throw FileFormatError(path, "token arrays must be int32, int64, uint16, uint32 or uint8 (little-endian), not '" +
                                  descr + "'");
}

std::string npyDescr(TokenDType dtype) {
  switch (dtype) {
    case TokenDType::U8: return "|u1";
    case TokenDType::I8: return "|i1";
    case TokenDType::I16: return "<i2";
    case TokenDType::U16: return "<u2";
    case TokenDType::I32: return "<i4";
    case TokenDType::U32: return "<u4";
    case TokenDType::I64: return "<i8";
  }
  return "";
}

std::vector<std::uint8_t> encodeAll(const std::vector<std::int64_t>& tokens, TokenDType dtype, const std::string& path) {
  std::vector<std::uint8_t> bytes(tokens.size() * byteWidth(dtype));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!fitsIn(tokens[i], dtype)) {
      throw FileFormatError(path, "token id " + std::to_string(tokens[i]) + " does not fit in " + toString(dtype));
    }
    encode(tokens[i], dtype, bytes.data() + i * byteWidth(dtype));
  }
  return bytes;
}

void writeBytes(std::ofstream& out, const void* data, std::size_t size) {
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

std::ofstream createFile(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FileFormatError(path, "cannot create the file");
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

InMemoryTokenStream::InMemoryTokenStream(std::vector<std::int64_t> tokens, std::string description,
                                         std::vector<std::int64_t> rowStarts)
    : tokens_(std::move(tokens)), description_(std::move(description)), rowStarts_(std::move(rowStarts)) {}

void InMemoryTokenStream::read(std::int64_t offset, std::int64_t count, std::int64_t* out) const {
  checkRead(*this, offset, count);
  std::copy(tokens_.begin() + offset, tokens_.begin() + offset + count, out);
}

std::int64_t InMemoryTokenStream::rowStart(std::int64_t row) const { return rowStarts_.at(static_cast<size_t>(row)); }

std::int64_t InMemoryTokenStream::rowLength(std::int64_t row) const {
  const size_t r = static_cast<size_t>(row);
  return (r + 1 < rowStarts_.size() ? rowStarts_[r + 1] : size()) - rowStarts_.at(r);
}

std::shared_ptr<const TokenStream> openMmidIdx(const std::string& path) {
  // A prefix, either file of a pair, one shard's name or a glob over the shards (mmididx_bin.h).
  const std::string shardPrefix = MmidIdxBin::shardPrefix(path);
  const std::string prefix = shardPrefix.empty() ? stripSuffix(stripSuffix(path, ".bin"), ".idx") : shardPrefix;
  const std::string idxPath = prefix + ".idx";
  if (!fs::exists(idxPath)) throw FileFormatError(idxPath, "missing (an MMIDIDX dataset is a .bin and .idx pair)");
  const auto idx = MappedFile::open(idxPath);
  const MmidIdxBin bin = MmidIdxBin::open(prefix, path);
  const std::string binPath = bin.sharded() ? "the " + std::to_string(bin.files().size()) + " shards of " + prefix : bin.lastFile();
  const std::uint8_t* p = idx->data();
  if (idx->size() < 34 || std::memcmp(p, kMmidIdxMagic, 9) != 0) {
    throw FileFormatError(idxPath, "not an MMIDIDX index (bad magic)");
  }
  const auto version = readLittle<std::uint64_t>(p + 9);
  if (version != 1) throw FileFormatError(idxPath, "MMIDIDX version " + std::to_string(version) + " is not supported");
  const TokenDType dtype = mmidIdxDType(p[17], idxPath);
  const auto count = readLittle<std::uint64_t>(p + 18);
  const auto docCount = readLittle<std::uint64_t>(p + 26);
  // 34 header bytes, then int32 sizes, int64 pointers and int64 document indices.
  const unsigned __int128 expected = 34 + static_cast<unsigned __int128>(count) * 12 + static_cast<unsigned __int128>(docCount) * 8;
  if (expected != idx->size()) {
    throw FileFormatError(idxPath, "index size " + std::to_string(idx->size()) + " bytes does not match its header (" +
                                       std::to_string(count) + " sequences, " + std::to_string(docCount) +
                                       " documents): truncated or corrupt");
  }
  const std::size_t width = byteWidth(dtype);
  if (bin.size() % width != 0) {
    throw FileFormatError(bin.lastFile(), (bin.sharded() ? "ends the shards at " : "size ") + std::to_string(bin.size()) +
                                              " bytes, not a multiple of the token size (" + std::to_string(width) + " bytes)");
  }
  std::vector<std::int64_t> pointers(count), rowStarts(count + 1, 0);
  const std::uint8_t* sizes = p + 34;
  const std::uint8_t* pointerTable = sizes + 4 * count;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto size = readLittle<std::int32_t>(sizes + 4 * i);
    const auto pointer = readLittle<std::int64_t>(pointerTable + 8 * i);
    if (size < 0 || pointer < 0 || static_cast<std::uint64_t>(pointer) % width != 0 ||
        static_cast<unsigned __int128>(pointer) + static_cast<unsigned __int128>(size) * width > bin.size()) {
      if (bin.sharded() && size >= 0 && pointer >= 0) {  // the index is whole, the shards end early
        throw FileFormatError(bin.lastFile(), "ends the shards at byte " + std::to_string(bin.size()) + ", but sequence " +
                                                  std::to_string(i) + " of " + idxPath + " (" + std::to_string(size) +
                                                  " tokens at byte " + std::to_string(pointer) +
                                                  ") reaches past it: a shard is short (truncated)");
      }
      throw FileFormatError(idxPath, "sequence " + std::to_string(i) + " (" + std::to_string(size) +
                                         " tokens at byte " + std::to_string(pointer) + ") lies outside " + binPath +
                                         " (" + std::to_string(bin.size()) + " bytes): corrupt index");
    }
    pointers[i] = pointer;
    rowStarts[i + 1] = rowStarts[i] + size;
  }
  // Document boundaries (sequence indices): unused for sampling, but a damaged table says the
  // index is corrupt. Megatron writes 0, ..., count, never decreasing.
  const std::uint8_t* documents = pointerTable + 8 * count;
  std::int64_t previous = 0;
  for (std::uint64_t d = 0; d < docCount; ++d) {
    const auto boundary = readLittle<std::int64_t>(documents + 8 * d);
    if (boundary < previous || boundary > static_cast<std::int64_t>(count) || (d == 0 && boundary != 0)) {
      throw FileFormatError(idxPath, "document index " + std::to_string(d) + " is " + std::to_string(boundary) +
                                         (boundary < previous ? ", before the one preceding it"
                                          : d == 0 && boundary != 0
                                              ? ", the first must be 0"
                                              : ", past the " + std::to_string(count) + " sequences") +
                                         ": corrupt index");
    }
    previous = boundary;
  }
  const std::string format = "MMIDIDX " + toString(dtype) + (bin.sharded() ? ", " + std::to_string(bin.files().size()) + " shards" : "");
  std::vector<std::string> files = bin.files();
  files.push_back(idxPath);
  auto stream = std::make_shared<MmidIdxStream>(bin, dtype, std::move(pointers), std::move(rowStarts),
                                                prefix + " (" + format + ")");
  stream->setSource({prefix, format, std::move(files)});
  return stream;
}

std::shared_ptr<const TokenStream> openNpy(const std::string& path) {
  const auto file = MappedFile::open(path);
  const NpyHeader header = parseNpyHeader(*file);
  const TokenDType dtype = npyDType(header.descr, path);
  if (header.shape.empty() || header.shape.size() > 2) {
    throw FileFormatError(path, "token arrays must be 1-D or 2-D (rows), this one has " +
                                    std::to_string(header.shape.size()) + " dimensions");
  }
  if (header.fortranOrder && header.shape.size() == 2) throw FileFormatError(path, "Fortran-ordered arrays are not supported");
  std::int64_t count = 1;
  for (std::int64_t d : header.shape) {
    if (d < 0) throw FileFormatError(path, "negative dimension in the .npy header");
    count *= d;
  }
  const std::size_t bytes = static_cast<std::size_t>(count) * byteWidth(dtype);
  if (header.dataOffset + bytes != file->size()) {
    throw FileFormatError(path, "holds " + std::to_string(file->size() - header.dataOffset) + " data bytes, its shape needs " +
                                    std::to_string(bytes) + ": truncated or corrupt");
  }
  std::vector<std::int64_t> rowStarts;
  if (header.shape.size() == 2) {
    for (std::int64_t r = 0; r < header.shape[0]; ++r) rowStarts.push_back(r * header.shape[1]);
  }
  auto stream = std::make_shared<MappedTokens>(file, header.dataOffset, count, dtype,
                                               path + " (npy " + toString(dtype) + ")", std::move(rowStarts));
  stream->setSource({path, "npy " + toString(dtype), {path}});
  return stream;
}

std::shared_ptr<const TokenStream> openRawTokens(const std::string& path, TokenDType dtype) {
  const auto file = MappedFile::open(path);
  if (file->size() % byteWidth(dtype) != 0) {
    throw FileFormatError(path, "size " + std::to_string(file->size()) + " bytes is not a multiple of " +
                                    std::to_string(byteWidth(dtype)) + " (" + toString(dtype) + " tokens)");
  }
  auto stream = std::make_shared<MappedTokens>(file, 0, static_cast<std::int64_t>(file->size() / byteWidth(dtype)),
                                               dtype, path + " (raw " + toString(dtype) + ")", std::vector<std::int64_t>{});
  stream->setSource({path, "raw " + toString(dtype), {path}});
  return stream;
}

std::shared_ptr<const TokenStream> openTokenData(const std::string& path, const TokenDataOptions& options) {
  const std::string prefix = stripSuffix(stripSuffix(path, ".bin"), ".idx");
  if (fs::exists(prefix + ".idx") && (path == prefix || endsWith(path, ".bin") || endsWith(path, ".idx"))) {
    return openMmidIdx(path);
  }
  const std::string shardPrefix = MmidIdxBin::shardPrefix(path);  // one shard's name, or a glob over them
  if (!shardPrefix.empty() && fs::exists(shardPrefix + ".idx")) return openMmidIdx(path);
  if (!fs::exists(path)) throw FileFormatError(path, "no such file");
  if (endsWith(path, ".npy")) return openNpy(path);
  if (endsWith(path, ".txt") || endsWith(path, ".text")) {
    if (options.tokenizerPath.empty()) {
      throw SettingError("tokenizer", "is needed for the text file " + path + " (or a tokenizer.json in the checkpoint folder)");
    }
    const Tokenizer tokenizer = Tokenizer::load(options.tokenizerPath);
    requireRegularFile(path);
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    requireUtf8(text, path);
    auto stream =
        std::make_shared<InMemoryTokenStream>(tokenizer.encode(text), path + " (tokenized by " + options.tokenizerPath + ")");
    stream->setSource({path, "text, tokenized by " + options.tokenizerPath, {path}});
    return stream;
  }
  std::string dtype = options.rawDtype;
  for (const char* extension : {"u8", "u16", "u32", "i32", "i64"}) {
    if (dtype.empty() && endsWith(path, std::string(".") + extension)) dtype = extension;
  }
  if (dtype.empty()) {
    throw SettingError("data_dtype", "is needed for " + path + ", which is not .npy, an MMIDIDX .bin/.idx pair or .txt: "
                                     "the dtype of its raw tokens (u16, u32, i32 or i64)");
  }
  return openRawTokens(path, parseTokenDType(dtype));
}

void writeMmidIdx(const std::string& prefix, const std::vector<std::vector<std::int64_t>>& documents, TokenDType dtype) {
  const std::string binPath = prefix + ".bin", idxPath = prefix + ".idx";
  std::ofstream bin = createFile(binPath);
  std::vector<std::int32_t> sizes;
  std::vector<std::int64_t> pointers, documentIndex{0};
  std::int64_t offset = 0;
  for (const auto& document : documents) {
    const std::vector<std::uint8_t> bytes = encodeAll(document, dtype, binPath);
    writeBytes(bin, bytes.data(), bytes.size());
    sizes.push_back(static_cast<std::int32_t>(document.size()));
    pointers.push_back(offset);
    offset += static_cast<std::int64_t>(bytes.size());
    documentIndex.push_back(static_cast<std::int64_t>(sizes.size()));
  }
  if (!bin) throw FileFormatError(binPath, "write failed");
  std::ofstream idx = createFile(idxPath);
  const std::uint64_t version = 1, count = sizes.size(), docCount = documentIndex.size();
  const std::uint8_t code = mmidIdxCode(dtype);
  writeBytes(idx, kMmidIdxMagic, 9);
  writeBytes(idx, &version, 8);
  writeBytes(idx, &code, 1);
  writeBytes(idx, &count, 8);
  writeBytes(idx, &docCount, 8);
  writeBytes(idx, sizes.data(), sizes.size() * 4);
  writeBytes(idx, pointers.data(), pointers.size() * 8);
  writeBytes(idx, documentIndex.data(), documentIndex.size() * 8);
  if (!idx) throw FileFormatError(idxPath, "write failed");
}

void writeNpy(const std::string& path, const std::vector<std::int64_t>& tokens, TokenDType dtype) {
  std::string header = "{'descr': '" + npyDescr(dtype) + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(tokens.size()) + ",), }";
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out = createFile(path);
  const std::uint8_t version[2] = {1, 0};
  const auto length = static_cast<std::uint16_t>(header.size());
  writeBytes(out, "\x93NUMPY", 6);
  writeBytes(out, version, 2);
  writeBytes(out, &length, 2);
  writeBytes(out, header.data(), header.size());
  const std::vector<std::uint8_t> bytes = encodeAll(tokens, dtype, path);
  writeBytes(out, bytes.data(), bytes.size());
  if (!out) throw FileFormatError(path, "write failed");
}

void writeRawTokens(const std::string& path, const std::vector<std::int64_t>& tokens, TokenDType dtype) {
  std::ofstream out = createFile(path);
  const std::vector<std::uint8_t> bytes = encodeAll(tokens, dtype, path);
  writeBytes(out, bytes.data(), bytes.size());
  if (!out) throw FileFormatError(path, "write failed");
}

}  // namespace shellscope

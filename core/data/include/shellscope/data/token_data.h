#pragma once
// Token data: a flat stream of token ids with random access, read in place from
//   Megatron MMIDIDX pairs (name.bin + name.idx; Pythia's pre-tokenized Pile), or name.idx with
//   the .bin in shards name-00000-of-000NN.bin ... (as EleutherAI ships the Pile),
//   .npy arrays (int32, int64, uint16, uint32, uint8; 1-D, or 2-D rows),
//   raw little-endian token files with a stated dtype,
//   plain text through a tokenizer.json (tokenizer.h).
// Corrupt or inconsistent files give a FileFormatError naming the file and the problem.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shellscope {

enum class TokenDType { U8, I8, I16, U16, I32, U32, I64 };

/// "u16", "i32", ... ; throws std::invalid_argument for unknown names.
TokenDType parseTokenDType(const std::string& text);
std::string toString(TokenDType dtype);
std::size_t byteWidth(TokenDType dtype);

/// Where a stream's tokens come from, for a run's provenance.
struct TokenSource {
  std::string path;                ///< as given: an MMIDIDX prefix or the file
  std::string format;              ///< "MMIDIDX u16", "npy i32", "raw u16", "text, tokenized by <tokenizer.json>"
  std::vector<std::string> files;  ///< the files of the tokens (both of an MMIDIDX pair; a text file without its tokenizer)
};

class TokenStream {
 public:
  virtual ~TokenStream() = default;
  virtual std::int64_t size() const = 0;
  /// Copies tokens [offset, offset + count) as int64.
  virtual void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const = 0;
  /// Names the source in messages and in a run's data_source.
  virtual std::string description() const = 0;
  /// The files behind the stream (empty for streams made in memory); set by the readers.
  const TokenSource& source() const { return source_; }
  void setSource(TokenSource source) { source_ = std::move(source); }

  /// Rows (MMIDIDX sequences, rows of a 2-D array, documents); 0 when the data has none.
  virtual std::int64_t rowCount() const { return 0; }
  /// Offset in the stream where row r starts, and its length.
  virtual std::int64_t rowStart(std::int64_t row) const;
  virtual std::int64_t rowLength(std::int64_t row) const;

 private:
  TokenSource source_;
};

class InMemoryTokenStream final : public TokenStream {
 public:
  InMemoryTokenStream(std::vector<std::int64_t> tokens, std::string description,
                      std::vector<std::int64_t> rowStarts = {});
  std::int64_t size() const override { return static_cast<std::int64_t>(tokens_.size()); }
  void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const override;
  std::string description() const override { return description_; }
  std::int64_t rowCount() const override { return static_cast<std::int64_t>(rowStarts_.size()); }
  std::int64_t rowStart(std::int64_t row) const override;
  std::int64_t rowLength(std::int64_t row) const override;

 private:
  std::vector<std::int64_t> tokens_;
  std::string description_;
  std::vector<std::int64_t> rowStarts_;
};

struct TokenDataOptions {
  std::string rawDtype;       ///< dtype of a raw token file ("u16", ...); required for raw files
  std::string tokenizerPath;  ///< tokenizer.json for text files
};

/// Opens `path` by its kind: an MMIDIDX dataset named by its prefix, .bin or .idx (its .bin whole
/// or in shards), one shard's name or a glob over the shards ("pile/document-*.bin"); .npy; .txt
/// (tokenized); anything else as raw tokens of options.rawDtype (or the dtype its extension names:
/// .u16, .u32, .i32, .i64).
std::shared_ptr<const TokenStream> openTokenData(const std::string& path, const TokenDataOptions& options = {});

/// Opens a Megatron MMIDIDX dataset; `path` is its prefix, either file of the pair, one shard's
/// name or a glob over its shards. Shards are read in place as one .bin; a missing or short shard
/// is an error naming it.
std::shared_ptr<const TokenStream> openMmidIdx(const std::string& path);
std::shared_ptr<const TokenStream> openNpy(const std::string& path);
std::shared_ptr<const TokenStream> openRawTokens(const std::string& path, TokenDType dtype);

/// Writes prefix.bin and prefix.idx, one sequence per document.
void writeMmidIdx(const std::string& prefix, const std::vector<std::vector<std::int64_t>>& documents, TokenDType dtype);
/// Writes a 1-D .npy array.
void writeNpy(const std::string& path, const std::vector<std::int64_t>& tokens, TokenDType dtype);
void writeRawTokens(const std::string& path, const std::vector<std::int64_t>& tokens, TokenDType dtype);

}  // namespace shellscope

#pragma once
// Where batches come from: windows cut from a token stream (science.md §1) or regression points.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model_function.h"

namespace shellscope::engine {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::int64_t batchCount() const = 0;
  /// Batch `index` on the CPU; inputs in `dtype` where they are real-valued.
  virtual Batch batch(std::int64_t index, at::ScalarType dtype) const = 0;
  /// Stored as the run's data_source.
  virtual std::string description() const = 0;
};

/// A flat token stream with random access (in memory now; memory-mapped files later).
class TokenStream {
 public:
  virtual ~TokenStream() = default;
  virtual std::int64_t size() const = 0;
  virtual void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const = 0;
  virtual std::string description() const = 0;
};

class InMemoryTokenStream final : public TokenStream {
 public:
  InMemoryTokenStream(std::vector<std::int64_t> tokens, std::string description)
      : tokens_(std::move(tokens)), description_(std::move(description)) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(tokens_.size()); }
  void read(std::int64_t offset, std::int64_t count, std::int64_t* out) const override;
  std::string description() const override { return description_; }

 private:
  std::vector<std::int64_t> tokens_;
  std::string description_;
};

/// Non-overlapping windows in order: window k is tokens[k(L+1) .. k(L+1)+L] (L inputs, the last L
/// as targets); batch b holds windows bB .. bB+B-1. Checks up front that the stream is long enough
/// and every token id used lies in [0, vocabSize).
class TokenWindowSource final : public BatchSource {
 public:
  TokenWindowSource(std::shared_ptr<const TokenStream> stream, std::int64_t batches, std::int64_t batchSize,
                    std::int64_t seqLen, std::int64_t vocabSize);
  std::int64_t batchCount() const override { return batches_; }
  Batch batch(std::int64_t index, at::ScalarType dtype) const override;
  std::string description() const override { return stream_->description(); }

 private:
  std::shared_ptr<const TokenStream> stream_;
  std::int64_t batches_, batchSize_, seqLen_;
};

/// Synthetic regression batches for the MLP (synthetic_data.h), B*L points per batch.
class RegressionSource final : public BatchSource {
 public:
  RegressionSource(int inputDim, std::int64_t batches, std::int64_t pointsPerBatch, std::uint64_t seed);
  std::int64_t batchCount() const override { return batches_; }
  Batch batch(std::int64_t index, at::ScalarType dtype) const override;
  std::string description() const override;

 private:
  int inputDim_;
  std::int64_t batches_, points_;
  std::uint64_t seed_;
};

}  // namespace shellscope::engine

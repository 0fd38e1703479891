#pragma once
// Where batches come from: windows cut from a token stream (science.md §1) or regression points.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/model_function.h"
#include "shellscope/data/token_data.h"

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

/// Non-overlapping windows in order: window k is tokens[k(L+1) .. k(L+1)+L] (L inputs, the last L
/// as targets); batch b holds windows bB .. bB+B-1. Checks up front that the stream is long enough
/// and every token id used lies in [0, vocabSize).
class TokenWindowSource final : public BatchSource {
 public:
  TokenWindowSource(std::shared_ptr<const shellscope::TokenStream> stream, std::int64_t batches, std::int64_t batchSize,
                    std::int64_t seqLen, std::int64_t vocabSize);
  std::int64_t batchCount() const override { return batches_; }
  Batch batch(std::int64_t index, at::ScalarType dtype) const override;
  std::string description() const override { return stream_->description(); }

 private:
  std::shared_ptr<const shellscope::TokenStream> stream_;
  std::int64_t batches_, batchSize_, seqLen_;
};

/// Pythia's training order: step s trained on rows s*1024 .. s*1024+1023 of its 2049-token
/// samples. Window w of the run is the first L+1 tokens of row firstRow + w, so a checkpoint can be
/// measured on exactly the batch it was trained on (or on rows it has not seen yet).
class RowWindowSource final : public BatchSource {
 public:
  RowWindowSource(std::shared_ptr<const shellscope::TokenStream> stream, std::int64_t firstRow, std::int64_t batches,
                  std::int64_t batchSize, std::int64_t seqLen, std::int64_t vocabSize);
  std::int64_t batchCount() const override { return batches_; }
  Batch batch(std::int64_t index, at::ScalarType dtype) const override;
  std::string description() const override;

 private:
  std::shared_ptr<const shellscope::TokenStream> stream_;
  std::int64_t firstRow_, batches_, batchSize_, seqLen_;
};

/// Throws std::invalid_argument naming the source, position and id of the first token outside
/// [0, vocabSize) among `count` tokens at `offset`.
void checkVocabulary(const shellscope::TokenStream& stream, std::int64_t offset, std::int64_t count,
                     std::int64_t vocabSize);

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

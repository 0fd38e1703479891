#include "compute/batch_source.h"

#include <algorithm>
#include <stdexcept>

#include "models/synthetic_data.h"

namespace shellscope::engine {

void checkVocabulary(const shellscope::TokenStream& stream, std::int64_t offset, std::int64_t count,
                     std::int64_t vocabSize) {
  std::vector<std::int64_t> chunk(static_cast<size_t>(std::min<std::int64_t>(std::max<std::int64_t>(count, 1), 1 << 20)));
  for (std::int64_t done = 0; done < count; done += static_cast<std::int64_t>(chunk.size())) {
    const std::int64_t take = std::min<std::int64_t>(static_cast<std::int64_t>(chunk.size()), count - done);
    stream.read(offset + done, take, chunk.data());
    for (std::int64_t i = 0; i < take; ++i) {
      const std::int64_t token = chunk[static_cast<size_t>(i)];
      if (token < 0 || token >= vocabSize) {
        throw std::invalid_argument(stream.description() + ": token id " + std::to_string(token) + " at position " +
                                    std::to_string(offset + done + i) + " is outside the model's vocabulary [0, " +
                                    std::to_string(vocabSize) + ")");
      }
    }
  }
}

TokenWindowSource::TokenWindowSource(std::shared_ptr<const TokenStream> stream, std::int64_t batches,
                                     std::int64_t batchSize, std::int64_t seqLen, std::int64_t vocabSize)
    : stream_(std::move(stream)), batches_(batches), batchSize_(batchSize), seqLen_(seqLen) {
  const std::int64_t needed = batches * batchSize * (seqLen + 1);
  if (needed > stream_->size()) {
    throw std::invalid_argument(stream_->description() + ": " + std::to_string(batches) + " batches of " +
                                std::to_string(batchSize) + " windows of " + std::to_string(seqLen) +
                                "+1 tokens need " + std::to_string(needed) + " tokens, the data has " +
                                std::to_string(stream_->size()));
  }
  // Check every id the run will use before any compute starts.
  checkVocabulary(*stream_, 0, needed, vocabSize);
}

Batch TokenWindowSource::batch(std::int64_t index, at::ScalarType) const {
  if (index < 0 || index >= batches_) throw std::out_of_range("batch index out of range");
  const std::int64_t window = seqLen_ + 1;
  at::Tensor windows = at::empty({batchSize_, window}, at::kLong);
  stream_->read(index * batchSize_ * window, batchSize_ * window, windows.data_ptr<std::int64_t>());
  Batch batch;
  batch.index = index;
  batch.inputs = windows.narrow(1, 0, seqLen_).contiguous();
  batch.targets = windows.narrow(1, 1, seqLen_).contiguous();
  return batch;
}

RowWindowSource::RowWindowSource(std::shared_ptr<const shellscope::TokenStream> stream, std::int64_t firstRow,
                                 std::int64_t batches, std::int64_t batchSize, std::int64_t seqLen,
                                 std::int64_t vocabSize)
    : stream_(std::move(stream)), firstRow_(firstRow), batches_(batches), batchSize_(batchSize), seqLen_(seqLen) {
  const std::int64_t rows = batches * batchSize;
  if (stream_->rowCount() == 0) {
    throw std::invalid_argument(stream_->description() + ": selecting rows needs data with rows (an MMIDIDX "
                                "dataset or a 2-D .npy array)");
  }
  if (firstRow < 0 || firstRow + rows > stream_->rowCount()) {
    throw std::invalid_argument(stream_->description() + ": rows " + std::to_string(firstRow) + " .. " +
                                std::to_string(firstRow + rows - 1) + " are needed, the data has " +
                                std::to_string(stream_->rowCount()) + " rows");
  }
  for (std::int64_t r = firstRow; r < firstRow + rows; ++r) {
    if (stream_->rowLength(r) < seqLen + 1) {
      throw std::invalid_argument(stream_->description() + ": row " + std::to_string(r) + " has " +
                                  std::to_string(stream_->rowLength(r)) + " tokens, a window needs " +
                                  std::to_string(seqLen + 1));
    }
    checkVocabulary(*stream_, stream_->rowStart(r), seqLen + 1, vocabSize);
  }
}

Batch RowWindowSource::batch(std::int64_t index, at::ScalarType) const {
  if (index < 0 || index >= batches_) throw std::out_of_range("batch index out of range");
  const std::int64_t window = seqLen_ + 1;
  at::Tensor windows = at::empty({batchSize_, window}, at::kLong);
  for (std::int64_t w = 0; w < batchSize_; ++w) {
    const std::int64_t row = firstRow_ + index * batchSize_ + w;
    stream_->read(stream_->rowStart(row), window, windows.data_ptr<std::int64_t>() + w * window);
  }
  Batch batch;
  batch.index = index;
  batch.inputs = windows.narrow(1, 0, seqLen_).contiguous();
  batch.targets = windows.narrow(1, 1, seqLen_).contiguous();
  return batch;
}

std::string RowWindowSource::description() const {
  return stream_->description() + ", rows " + std::to_string(firstRow_) + ".." +
         std::to_string(firstRow_ + batches_ * batchSize_ - 1);
}

RegressionSource::RegressionSource(int inputDim, std::int64_t batches, std::int64_t pointsPerBatch, std::uint64_t seed)
    : inputDim_(inputDim), batches_(batches), points_(pointsPerBatch), seed_(seed) {}

Batch RegressionSource::batch(std::int64_t index, at::ScalarType dtype) const {
  RegressionPoints points = regressionBatch(inputDim_, points_, seed_, index);
  Batch batch;
  batch.index = index;
  batch.inputs = at::from_blob(points.inputs.data(), {points_, inputDim_}, at::kDouble).to(dtype);
  batch.targets = at::from_blob(points.targets.data(), {points_}, at::kDouble).to(dtype);
  if (dtype == at::kDouble) {  // from_blob does not own the memory: copy before `points` dies
    batch.inputs = batch.inputs.clone();
    batch.targets = batch.targets.clone();
  }
  return batch;
}

std::string RegressionSource::description() const {
  return "builtin:sines(d=" + std::to_string(inputDim_) + ",seed=" + std::to_string(seed_) + ")";
}

}  // namespace shellscope::engine

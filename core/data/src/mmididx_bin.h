#pragma once
// The token bytes of a Megatron MMIDIDX dataset as one byte range: `prefix.bin`, or the shards
// EleutherAI ships Pythia's pre-tokenized Pile in (pile-{standard,deduped}-pythia-preshuffled):
// `prefix-00000-of-00020.bin` ... `prefix-00020-of-00020.bin` beside one `prefix.idx`. The
// shards are byte chunks of the merged .bin (pythia utils/unshard_memmap.py concatenates them):
// every shard but the last has the size of shard 0, the last at most that, so a token may
// straddle two shards. All shards are memory-mapped and read in place, never merged.
// Rules checked: every shard 0..N present (a missing one is named), all of one count N, every
// shard but the last exactly shard 0's size (a short one is named), the last not larger;
// sequences past the end of the last shard are reported against it by the index reader.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shellscope/base/mapped_file.h"

namespace shellscope {

class MmidIdxBin {
 public:
  /// The .bin of `prefix`: prefix.bin when it exists, else its shards. `given` is what the user
  /// named (the prefix, a .bin/.idx, one shard's name or a glob over the shards), for choosing
  /// shards and for messages. Throws FileFormatError naming the missing or short file.
  static MmidIdxBin open(const std::string& prefix, const std::string& given);

  /// The dataset prefix a path names when it is one shard's name or a glob over shards
  /// ("dir/document-00003-of-00020.bin", "dir/document-*.bin" -> "dir/document"); "" otherwise.
  static std::string shardPrefix(const std::string& path);

  std::uint64_t size() const { return total_; }
  bool sharded() const { return files_.size() > 1 || shardedNames_; }
  /// The files in order (one .bin, or the shards).
  std::vector<std::string> files() const;
  /// The last file (where a short dataset ends).
  const std::string& lastFile() const { return files_.back()->path(); }
  /// `bytes` bytes from `offset` (inside size()): a pointer into the map, or into `scratch` when
  /// the range crosses from one shard into the next.
  const std::uint8_t* bytes(std::uint64_t offset, std::size_t bytes, std::vector<std::uint8_t>& scratch) const;

 private:
  std::vector<std::shared_ptr<const MappedFile>> files_;
  std::vector<std::uint64_t> starts_;  ///< byte offset of each file in the dataset
  std::uint64_t total_ = 0;
  bool shardedNames_ = false;
};

}  // namespace shellscope

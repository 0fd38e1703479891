#include "checkpoints/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "shellscope/base/file_error.h"

namespace shellscope::engine {

using json = nlohmann::json;

namespace {

struct DtypeInfo {
  const char* name;
  std::size_t size;
  at::ScalarType type;
};

const DtypeInfo kDtypes[] = {
    {"BOOL", 1, at::kBool},         {"U8", 1, at::kByte},         {"I8", 1, at::kChar},
    {"I16", 2, at::kShort},         {"U16", 2, at::ScalarType::Undefined},
    {"F16", 2, at::kHalf},          {"BF16", 2, at::kBFloat16},   {"I32", 4, at::kInt},
    {"U32", 4, at::ScalarType::Undefined},                        {"F32", 4, at::kFloat},
    {"F64", 8, at::kDouble},        {"I64", 8, at::kLong},        {"U64", 8, at::ScalarType::Undefined},
    {"F8_E4M3", 1, at::ScalarType::Undefined},                    {"F8_E5M2", 1, at::ScalarType::Undefined},
};

constexpr std::uint64_t kMaxHeader = 100000000;

}  // namespace

at::ScalarType scalarTypeOf(const std::string& dtype) {
  for (const auto& d : kDtypes) {
    if (dtype == d.name) return d.type;
  }
  return at::ScalarType::Undefined;
}

std::size_t safetensorsItemSize(const std::string& dtype) {
  for (const auto& d : kDtypes) {
    if (dtype == d.name) return d.size;
  }
  return 0;
}

std::string safetensorsDtype(at::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type && d.type != at::ScalarType::Undefined) return d.name;
  }
  throw std::invalid_argument(std::string("no safetensors dtype for ") + c10::toString(type));
}

std::vector<StoredTensor> readSafetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  const auto file = MappedFile::open(path);
  auto fail = [&](const std::string& problem) -> void { throw FileFormatError(path, problem); };
  if (file->size() < 8) fail("too short for a safetensors header (" + std::to_string(file->size()) + " bytes)");
  std::uint64_t headerLength = 0;
  std::memcpy(&headerLength, file->data(), 8);
  if (headerLength > kMaxHeader) fail("header length " + std::to_string(headerLength) + " exceeds the 100 MB limit");
  if (8 + headerLength > file->size()) {
    fail("header length " + std::to_string(headerLength) + " runs past the end of the file (" +
         std::to_string(file->size()) + " bytes): truncated");
  }
  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(file->data()) + 8,
                         reinterpret_cast<const char*>(file->data()) + 8 + headerLength);
  } catch (const json::exception& e) {
    fail(std::string("bad header JSON: ") + e.what());
  }
  if (!header.is_object()) fail("bad header: not a JSON object");
  const std::size_t dataStart = 8 + headerLength;
  const std::size_t dataSize = file->size() - dataStart;

  std::vector<StoredTensor> tensors;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("__metadata__ is not a string map");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) fail("__metadata__ value of '" + key + "' is not a string");
        if (metadata) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets")) {
      fail(where + "needs dtype, shape and data_offsets");
    }
    StoredTensor t;
    t.name = name;
    t.file = path;
    if (!entry["dtype"].is_string()) fail(where + "dtype is not a string");
    t.dtype = entry["dtype"].get<std::string>();
    const std::size_t itemSize = safetensorsItemSize(t.dtype);
    if (itemSize == 0) fail(where + "unknown dtype '" + t.dtype + "'");
    unsigned __int128 elements = 1;
    if (!entry["shape"].is_array()) fail(where + "shape is not a list");
    for (const json& d : entry["shape"]) {
      if (!d.is_number_unsigned()) fail(where + "shape entries must be non-negative integers");
      const std::uint64_t dim = d.get<std::uint64_t>();
      elements *= dim;
      if (elements > (static_cast<unsigned __int128>(1) << 62)) fail(where + "shape overflows");
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      fail(where + "data_offsets must be [begin, end]");
    }
    const std::uint64_t begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
    if (end < begin) fail(where + "data_offsets end before they begin");
    if (static_cast<unsigned __int128>(end - begin) != elements * itemSize) {
      fail(where + "holds " + std::to_string(end - begin) + " bytes, its shape and dtype need " +
           std::to_string(static_cast<std::uint64_t>(elements * itemSize)));
    }
    if (end > dataSize) fail(where + "data runs past the end of the file: truncated");
    ranges.emplace_back(begin, end);
    const std::uint8_t* data = file->data() + dataStart + begin;
    const at::ScalarType type = scalarTypeOf(t.dtype);
    const std::vector<std::int64_t> shape = t.shape;
    const std::string dtypeName = t.dtype;
    // (A copy of the name: C++17 does not capture structured bindings, clang refuses it.)
    t.load = [file, data, type, shape, dtypeName, path, tensorName = t.name]() {
      if (type == at::ScalarType::Undefined) {
        throw FileFormatError(path, "tensor '" + tensorName + "' has dtype " + dtypeName + ", which cannot be converted");
      }
      // The map outlives the tensor through the deleter's copy of `file`.
      return at::from_blob(const_cast<std::uint8_t*>(data), shape, [file](void*) {}, at::TensorOptions().dtype(type));
    };
    tensors.push_back(std::move(t));
  }
  // The buffer must be exactly the tensors, back to back from 0.
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expected) fail("tensor data is not contiguous (a gap or overlap at byte " + std::to_string(begin) + ")");
    expected = end;
  }
  if (expected != dataSize) {
    fail("the data buffer has " + std::to_string(dataSize) + " bytes, the tensors use " + std::to_string(expected));
  }
  return tensors;
}

void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> contiguous;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", safetensorsDtype(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // writers pad the header to a multiple of 8
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FileFormatError(path, "cannot create the file");
  const std::uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const at::Tensor& t : contiguous) {
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  }
  if (!out) throw FileFormatError(path, "write failed");
}

}  // namespace shellscope::engine

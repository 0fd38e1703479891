// A restricted unpickler for torch.save state dicts, and a writer producing the same bytes
// torch.save's pickler does for an OrderedDict of tensors (protocol 2).
#include "checkpoints/torch_state_dict.h"

#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

#include "checkpoints/torch_zip_archive.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

namespace {

// ---------------------------------------------------------------------------------------------
// Values the unpickler can build.

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor, Mark };
  Kind kind = Kind::None;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;                                   // String; Global: "module.name"; Storage: key
  std::vector<ValuePtr> items;                        // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries; // Dict, in insertion order
  at::ScalarType storageType = at::kFloat;            // Storage
  std::int64_t storageNumel = 0;
  ValuePtr storage;                                   // Tensor
  std::int64_t offset = 0;
  std::vector<std::int64_t> size, stride;

  static ValuePtr make(Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
  }
};

const std::map<std::string, at::ScalarType> kStorageTypes{
    {"torch.FloatStorage", at::kFloat},   {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
    {"torch.DoubleStorage", at::kDouble}, {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
    {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},   {"torch.ByteStorage", at::kByte},
    {"torch.BoolStorage", at::kBool},
};

const char* kAllowedCallables[] = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                   "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"};

bool allowedGlobal(const std::string& name) {
  if (kStorageTypes.count(name)) return true;
  for (const char* allowed : kAllowedCallables) {
    if (name == allowed) return true;
  }
  return false;
}

std::vector<std::int64_t> integers(const ValuePtr& tuple, const char* what) {
  if (tuple->kind != Value::Kind::Tuple) throw std::runtime_error(std::string(what) + " is not a tuple");
  std::vector<std::int64_t> out;
  for (const auto& v : tuple->items) {
    if (v->kind != Value::Kind::Int) throw std::runtime_error(std::string(what) + " holds a non-integer");
    out.push_back(v->integer);
  }
  return out;
}

/// A pickle machine that builds values and never calls anything.
class RestrictedUnpickler {
 public:
  explicit RestrictedUnpickler(const std::string& bytes) : data_(bytes) {}

  ValuePtr run() {
    while (true) {
      const std::size_t at = pos_;
      const std::uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;            // PROTO
        case 0x95: take(8); break;           // FRAME
        case '(': push(Value::make(Value::Kind::Mark)); break;
        case '.': return pop();              // STOP
        case 'N': push(Value::make(Value::Kind::None)); break;
        case 0x88: push(boolean(true)); break;
        case 0x89: push(boolean(false)); break;
        case 'K': push(integer(byte())); break;
        case 'M': push(integer(little<std::uint16_t>())); break;
        case 'J': push(integer(little<std::int32_t>())); break;
        case 0x8a: push(integer(longInteger(byte()))); break;
        case 0x8b: push(integer(longInteger(little<std::uint32_t>()))); break;
        case 'G': push(real()); break;
        case 'X': push(string(little<std::uint32_t>())); break;
        case 0x8c: push(string(byte())); break;
        case 0x8d: push(string(static_cast<std::size_t>(little<std::uint64_t>()))); break;
        case 'T': push(string(little<std::uint32_t>())); break;
        case 'U': push(string(byte())); break;
        case '}': push(Value::make(Value::Kind::Dict)); break;
        case ']': push(Value::make(Value::Kind::List)); break;
        case ')': push(Value::make(Value::Kind::Tuple)); break;
        case 't': push(tuple(popToMark())); break;
        case 0x85: push(tuple(popN(1))); break;
        case 0x86: push(tuple(popN(2))); break;
        case 0x87: push(tuple(popN(3))); break;
        case 'q': memo_[byte()] = top(); break;
        case 'r': memo_[little<std::uint32_t>()] = top(); break;
        case 0x94: memo_[static_cast<std::uint32_t>(memo_.size())] = top(); break;
        case 'h': push(memo(byte())); break;
        case 'j': push(memo(little<std::uint32_t>())); break;
        case 'c': {
          const std::string module = line(), name = line();
          push(global(module + "." + name));
          break;
        }
        case 0x93: {
          const ValuePtr name = pop(), module = pop();
          if (name->kind != Value::Kind::String || module->kind != Value::Kind::String) fail("STACK_GLOBAL needs strings");
          push(global(module->text + "." + name->text));
          break;
        }
        case 'Q': push(persistent(pop())); break;
        case 'R': {
          const ValuePtr args = pop(), callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 's': {
          const ValuePtr value = pop(), key = pop();
          dict(top()).entries.emplace_back(key, value);
          break;
        }
        case 'u': {
          std::vector<ValuePtr> items = popToMark();
          if (items.size() % 2) fail("SETITEMS with an odd number of items");
          Value& d = dict(top());
          for (std::size_t i = 0; i < items.size(); i += 2) d.entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'a': {
          const ValuePtr value = pop();
          list(top()).items.push_back(value);
          break;
        }
        case 'e': {
          std::vector<ValuePtr> items = popToMark();
          Value& l = list(top());
          l.items.insert(l.items.end(), items.begin(), items.end());
          break;
        }
        case 'b': {  // BUILD: a state dict's _metadata attribute; kept out
          pop();
          if (top()->kind != Value::Kind::Dict) fail("BUILD on something other than an OrderedDict");
          break;
        }
        default: {
          char buffer[96];
          std::snprintf(buffer, sizeof buffer, "unsupported pickle opcode 0x%02x at byte %zu", op, at);
          fail(buffer);
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw std::runtime_error(problem); }

  std::uint8_t byte() {
    if (pos_ >= data_.size()) fail("the pickle ends early (truncated data.pkl)");
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  const char* take(std::size_t n) {
    if (n > data_.size() - pos_) fail("the pickle ends early (truncated data.pkl)");
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T little() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  std::int64_t longInteger(std::size_t n) {
    if (n > 8) fail("integer too large for a tensor shape");
    const char* p = take(n);
    std::int64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) value |= static_cast<std::int64_t>(static_cast<std::uint8_t>(p[i])) << (8 * i);
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) value -= static_cast<std::int64_t>(1) << (8 * n);  // sign
    return value;
  }
  std::string line() {
    const std::size_t end = data_.find('\n', pos_);
    if (end == std::string::npos) fail("the pickle ends inside a GLOBAL");
    std::string text = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return text;
  }

  static ValuePtr boolean(bool b) {
    auto v = Value::make(Value::Kind::Bool);
    v->integer = b;
    return v;
  }
  static ValuePtr integer(std::int64_t i) {
    auto v = Value::make(Value::Kind::Int);
    v->integer = i;
    return v;
  }
  ValuePtr real() {
    const char* p = take(8);
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<std::uint8_t>(p[i]);  // big-endian
    auto v = Value::make(Value::Kind::Float);
    std::memcpy(&v->real, &bits, 8);
    return v;
  }
  ValuePtr string(std::size_t n) {
    auto v = Value::make(Value::Kind::String);
    v->text.assign(take(n), n);
    return v;
  }
  static ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = Value::make(Value::Kind::Tuple);
    v->items = std::move(items);
    return v;
  }
  ValuePtr global(const std::string& name) {
    if (!allowedGlobal(name)) {
      fail("the pickle refers to " + name + ", which a state dict does not need; refused (only tensors are loaded, "
           "no code is run)");
    }
    auto v = Value::make(Value::Kind::Global);
    v->text = name;
    return v;
  }
  ValuePtr persistent(const ValuePtr& id) {
    // ('storage', torch.<Type>Storage, key, location, numel)
    if (id->kind != Value::Kind::Tuple || id->items.size() < 5 || id->items[0]->text != "storage" ||
        id->items[1]->kind != Value::Kind::Global || id->items[2]->kind != Value::Kind::String ||
        id->items[4]->kind != Value::Kind::Int) {
      fail("unexpected persistent id (not a torch storage)");
    }
    auto v = Value::make(Value::Kind::Storage);
    v->storageType = kStorageTypes.at(id->items[1]->text);
    v->text = id->items[2]->text;
    v->storageNumel = id->items[4]->integer;
    return v;
  }
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Value::Kind::Global || args->kind != Value::Kind::Tuple) fail("REDUCE on a non-callable");
    const std::string& name = callable->text;
    if (name == "collections.OrderedDict") {
      if (!args->items.empty()) fail("OrderedDict built with arguments");
      return Value::make(Value::Kind::Dict);
    }
    if (name == "torch._utils._rebuild_tensor_v2") {
      if (args->items.size() < 6 || args->items[0]->kind != Value::Kind::Storage || args->items[1]->kind != Value::Kind::Int) {
        fail("_rebuild_tensor_v2 with unexpected arguments");
      }
      auto t = Value::make(Value::Kind::Tensor);
      t->storage = args->items[0];
      t->offset = args->items[1]->integer;
      t->size = integers(args->items[2], "tensor size");
      t->stride = integers(args->items[3], "tensor stride");
      if (t->size.size() != t->stride.size()) fail("tensor size and stride differ in length");
      return t;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Value::Kind::Tensor) fail("_rebuild_parameter without a tensor");
      return args->items[0];
    }
    fail(name + " cannot be called");
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.empty() || stack_.back()->kind == Value::Kind::Mark) fail("pickle stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  const ValuePtr& top() const {
    if (stack_.empty()) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> popN(std::size_t n) {
    std::vector<ValuePtr> items(n);
    for (std::size_t i = n; i-- > 0;) items[i] = pop();
    return items;
  }
  std::vector<ValuePtr> popToMark() {
    std::vector<ValuePtr> items;
    while (!stack_.empty() && stack_.back()->kind != Value::Kind::Mark) {
      items.push_back(stack_.back());
      stack_.pop_back();
    }
    if (stack_.empty()) fail("pickle MARK missing");
    stack_.pop_back();
    std::reverse(items.begin(), items.end());
    return items;
  }
  ValuePtr memo(std::uint32_t index) const {
    const auto found = memo_.find(index);
    if (found == memo_.end()) fail("pickle memo entry " + std::to_string(index) + " missing");
    return found->second;
  }
  Value& dict(const ValuePtr& v) const {
    if (v->kind != Value::Kind::Dict) fail("SETITEM on a non-dict");
    return *v;
  }
  Value& list(const ValuePtr& v) const {
    if (v->kind != Value::Kind::List) fail("APPEND on a non-list");
    return *v;
  }

  const std::string& data_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<std::uint32_t, ValuePtr> memo_;
};

/// name -> tensor entries of the unpickled state dict.
std::vector<std::pair<std::string, ValuePtr>> stateDictEntries(const ValuePtr& root) {
  if (root->kind != Value::Kind::Dict) throw std::runtime_error("data.pkl holds no dict: not a state dict");
  std::vector<std::pair<std::string, ValuePtr>> out;
  for (const auto& [key, value] : root->entries) {
    if (key->kind != Value::Kind::String) throw std::runtime_error("a state dict key is not a string");
    if (value->kind != Value::Kind::Tensor) throw std::runtime_error("entry '" + key->text + "' is not a tensor");
    out.emplace_back(key->text, value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing: the opcodes torch.save's pickler emits for an OrderedDict of tensors.

class PickleWriter {
 public:
  void proto() { out_ += "\x80\x02"; }
  void global(const std::string& module, const std::string& name) {
    const std::string key = module + "\n" + name + "\n";
    const auto found = memo_.find(key);
    if (found != memo_.end()) return get(found->second);
    out_ += 'c' + key;
    memo_[key] = put();
  }
  void text(const std::string& s) {
    const auto found = memo_.find("s:" + s);
    if (found != memo_.end()) return get(found->second);
    out_ += 'X';
    const auto n = static_cast<std::uint32_t>(s.size());
    out_.append(reinterpret_cast<const char*>(&n), 4);
    out_ += s;
    memo_["s:" + s] = put();
  }
  void integer(std::int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      out_ += static_cast<char>(v);
    } else if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) {
      out_ += 'J';
      const auto i = static_cast<std::int32_t>(v);
      out_.append(reinterpret_cast<const char*>(&i), 4);
    } else {
      out_ += '\x8a';
      out_ += '\x08';
      out_.append(reinterpret_cast<const char*>(&v), 8);
    }
  }
  void tupleOf(const std::vector<std::int64_t>& values) {
    if (values.empty()) {
      out_ += ')';
      return;
    }
    if (values.size() > 3) out_ += '(';
    for (std::int64_t v : values) integer(v);
    out_ += values.size() == 1 ? "\x85" : values.size() == 2 ? "\x86" : values.size() == 3 ? "\x87" : "t";
    put();
  }
  void raw(const char* ops) { out_ += ops; }
  std::uint32_t put() {
    const auto index = next_++;
    if (index < 256) {
      out_ += 'q';
      out_ += static_cast<char>(index);
    } else {
      out_ += 'r';
      out_.append(reinterpret_cast<const char*>(&index), 4);
    }
    return index;
  }
  const std::string& bytes() const { return out_; }

 private:
  void get(std::uint32_t index) {
    if (index < 256) {
      out_ += 'h';
      out_ += static_cast<char>(index);
    } else {
      out_ += 'j';
      out_.append(reinterpret_cast<const char*>(&index), 4);
    }
  }
  std::string out_;
  std::map<std::string, std::uint32_t> memo_;
  std::uint32_t next_ = 0;
};

std::string storageName(at::ScalarType type) {
  for (const auto& [name, t] : kStorageTypes) {
    if (t == type) return name.substr(std::string("torch.").size());
  }
  throw std::invalid_argument(std::string("no torch storage type for ") + c10::toString(type));
}

}  // namespace

std::vector<std::string> unpickleStateDictNames(const std::string& pickle) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : stateDictEntries(RestrictedUnpickler(pickle).run())) names.push_back(name);
  return names;
}

std::vector<StoredTensor> readTorchStateDict(const std::string& path) {
  // The zip directory is checked first, then data.pkl is unpickled; storages are read when a
  // tensor is loaded, in place from the memory map (torch_zip_archive.h).
  const auto archive = std::make_shared<TorchZipArchive>(path);
  std::vector<std::pair<std::string, ValuePtr>> entries;
  {
    const std::shared_ptr<const ZipRecord> pickleRecord = archive->record("data.pkl");
    const std::string pickle(reinterpret_cast<const char*>(pickleRecord->data()), pickleRecord->size());
    try {
      entries = stateDictEntries(RestrictedUnpickler(pickle).run());
    } catch (const std::runtime_error& e) {
      throw FileFormatError(path, std::string("data.pkl: ") + e.what());
    }
  }

  std::vector<StoredTensor> tensors;
  for (const auto& [name, value] : entries) {
    const ValuePtr storage = value->storage;
    const std::size_t itemSize = c10::elementSize(storage->storageType);
    // The largest element the view reaches must lie inside the storage.
    std::int64_t last = value->offset;
    bool empty = false;
    for (std::size_t d = 0; d < value->size.size(); ++d) {
      if (value->size[d] < 0 || value->stride[d] < 0) throw FileFormatError(path, "tensor '" + name + "' has a negative size or stride");
      if (value->size[d] == 0) empty = true;
      std::int64_t reach = 0;
      if (value->size[d] > 0 && (__builtin_mul_overflow(value->size[d] - 1, value->stride[d], &reach) ||
                                 __builtin_add_overflow(last, reach, &last))) {
        throw FileFormatError(path, "tensor '" + name + "' has a size and stride whose extent overflows");
      }
    }
    if (!empty && (value->offset < 0 || last >= storage->storageNumel)) {
      throw FileFormatError(path, "tensor '" + name + "' reaches past the end of its storage '" + storage->text + "'");
    }
    StoredTensor t;
    t.name = name;
    t.file = path;
    t.dtype = safetensorsDtype(storage->storageType);
    t.shape = value->size;
    const std::string key = storage->text;
    std::size_t bytes = 0;
    if (storage->storageNumel < 0 ||
        __builtin_mul_overflow(static_cast<std::size_t>(storage->storageNumel), itemSize, &bytes)) {
      throw FileFormatError(path, "storage '" + storage->text + "' declares " + std::to_string(storage->storageNumel) +
                                      " elements, more bytes than any file holds");
    }
    const at::ScalarType type = storage->storageType;
    const std::int64_t offset = value->offset;
    const std::vector<std::int64_t> size = value->size, stride = value->stride;
    t.load = [archive, key, bytes, type, offset, size, stride, itemSize]() {
      const std::string record = "data/" + key;
      if (!archive->hasRecord(record)) throw FileFormatError(archive->path(), "storage record '" + record + "' is missing");
      const std::shared_ptr<const ZipRecord> data = archive->record(record);
      if (data->size() < bytes) {
        throw FileFormatError(archive->path(), "storage '" + key + "' holds " + std::to_string(data->size()) +
                                                   " bytes, its tensors need " + std::to_string(bytes) + ": truncated");
      }
      // A read-only view (the map is PROT_READ): loadCheckpoint copies it to the compute dtype.
      auto* base = const_cast<std::uint8_t*>(data->data()) + static_cast<std::size_t>(offset) * itemSize;
      return at::from_blob(base, size, stride, [data](void*) {}, at::TensorOptions().dtype(type));
    };
    tensors.push_back(std::move(t));
  }
  return tensors;
}

void writeTorchStateDict(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  PickleWriter p;
  p.proto();
  p.global("collections", "OrderedDict");
  p.raw(")R");
  p.put();
  p.raw("(");
  std::vector<at::Tensor> storages;
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const std::string key = std::to_string(storages.size());
    p.text(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.raw("((");
    p.text("storage");
    p.global("torch", storageName(t.scalar_type()));
    p.text(key);
    p.text("cpu");
    p.integer(t.numel());
    p.raw("t");
    p.put();
    p.raw("Q");
    p.integer(0);
    p.tupleOf(t.sizes().vec());
    p.tupleOf(t.strides().vec());
    p.raw("\x89");  // requires_grad = False
    p.global("collections", "OrderedDict");
    p.raw(")R");
    p.put();
    p.raw("t");
    p.put();
    p.raw("R");
    p.put();
    storages.push_back(t);
  }
  p.raw("u");
  // state_dict()'s _metadata attribute, as BUILD state.
  p.raw("}");
  p.put();
  p.text("_metadata");
  p.global("collections", "OrderedDict");
  p.raw(")R");
  p.put();
  p.raw("sb.");
  try {
    caffe2::serialize::PyTorchStreamWriter writer(path);
    writer.writeRecord("data.pkl", p.bytes().data(), p.bytes().size());
    writer.writeRecord("byteorder", "little", 6);
    for (std::size_t i = 0; i < storages.size(); ++i) {
      const at::Tensor& t = storages[i];
      writer.writeRecord("data/" + std::to_string(i), t.data_ptr(), static_cast<std::size_t>(t.numel()) * t.element_size());
    }
    writer.writeEndOfFile();
  } catch (const c10::Error& e) {
    throw FileFormatError(path, std::string("cannot write: ") + e.what_without_backtrace());
  }
}

}  // namespace shellscope::engine

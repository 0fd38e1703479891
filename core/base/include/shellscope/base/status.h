#pragma once
// The outcome of a numerical estimate (a fit, a frontier, a trend): Ok, or a reason code with a
// message for people. Numerical outcomes are returned, not thrown (docs/architecture.md). Sessions
// and JSON store the text: "ok" (possibly with a note) or the message.

#include <string>

namespace shellscope {

template <typename Code>
class Status {
 public:
  /// Ok; `note` qualifies it ("ok (time = step: ...)") and becomes the stored text when set.
  static Status success(std::string note = {}) { return Status(Code::Ok, std::move(note)); }
  static Status failure(Code code, std::string message) { return Status(code, std::move(message)); }

  Status() = default;
  bool ok() const { return code_ == Code::Ok; }
  Code code() const { return code_; }
  /// Why there is no value (empty when Ok without a note).
  const std::string& message() const { return message_; }
  /// What sessions and JSON store: "ok", the note of an Ok, or the message.
  std::string text() const { return ok() && message_.empty() ? std::string("ok") : message_; }

  bool operator==(Code code) const { return code_ == code; }
  bool operator!=(Code code) const { return code_ != code; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::Ok;
  std::string message_;
};

}  // namespace shellscope

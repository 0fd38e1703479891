#pragma once
// The one CSV writer every export uses (session CSV files, the views' "shown data"): RFC 4180
// fields, quoted when they hold a comma, a quote or a line break; numbers in the shortest form
// that reads back to the same double; NaN as "nan" and infinities as "inf" / "-inf"; an absent
// value as an empty field.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace shellscope {

/// A text field, quoted when it needs to be.
std::string csvField(const std::string& text);
/// A number: shortest round-trip form, "nan", "inf", "-inf".
std::string csvNumber(double value);

/// Writes rows to a stream, one field at a time or a row at once.
class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}

  CsvWriter& text(const std::string& value) { return raw(csvField(value)); }
  CsvWriter& number(double value) { return raw(csvNumber(value)); }
  CsvWriter& integer(std::int64_t value) { return raw(std::to_string(value)); }
  /// An empty field when `value` is absent.
  CsvWriter& optionalNumber(const std::optional<double>& value) { return raw(value ? csvNumber(*value) : std::string()); }
  CsvWriter& empty() { return raw(std::string()); }
  /// Ends the row.
  void endRow();

  /// A whole row of text fields (headers).
  void header(std::initializer_list<const char*> names);

 private:
  CsvWriter& raw(const std::string& field);
  std::ostream& out_;
  bool rowStarted_ = false;
};

}  // namespace shellscope

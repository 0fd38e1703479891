#include "shellscope/base/csv.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace shellscope {

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csvNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round trip
  return std::string(buffer, result.ptr);
#else
  // Older standard libraries (GCC < 11) lack floating-point to_chars: 17 digits also round-trip.
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
#endif
}

CsvWriter& CsvWriter::raw(const std::string& field) {
  if (rowStarted_) out_ << ',';
  out_ << field;
  rowStarted_ = true;
  return *this;
}

void CsvWriter::endRow() {
  out_ << '\n';
  rowStarted_ = false;
}

void CsvWriter::header(std::initializer_list<const char*> names) {
  for (const char* name : names) text(name);
  endRow();
}

}  // namespace shellscope

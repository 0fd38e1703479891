#pragma once
// Reading the fields of a tokenizer.json stage: its type, string fields, one-character fields,
// string patterns and Sequences, each failing with FileFormatError naming the file and the field;
// and the two string helpers the stages share.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bpe_model.h"
#include "shellscope/base/file_error.h"
#include "shellscope/data/tokenizer.h"

namespace shellscope::tokenizer_json {

using json = nlohmann::json;

inline std::string typeOf(const json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : std::string("?");
}

inline std::string stringField(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
    throw FileFormatError(path, where + " has no string '" + key + "'");
  }
  return j[key].get<std::string>();
}

/// Replace's pattern: {"String": s} (a {"Regex": r} is refused).
inline std::string stringPattern(const json& step, const std::string& where, const std::string& path) {
  const json pattern = step.is_object() ? step.value("pattern", json()) : json();
  if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
    const std::string text = pattern["String"].get<std::string>();
    if (text.empty()) throw FileFormatError(path, where + " Replace has an empty pattern");
    return text;
  }
  if (pattern.is_object() && pattern.contains("Regex")) {
    throw FileFormatError(path, where + " Replace with a Regex pattern is not supported (only a String pattern)");
  }
  throw FileFormatError(path, where + " Replace has no pattern {\"String\": ...}");
}

inline std::string replaceAll(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  std::size_t position = 0;
  for (std::size_t at; (at = text.find(from, position)) != std::string::npos; position = at + from.size()) {
    out.append(text, position, at - position).append(to);
  }
  return out.append(text, position, std::string::npos);
}

inline bool startsWith(const std::string& text, const std::string& prefix) { return text.compare(0, prefix.size(), prefix) == 0; }

/// The steps of a component that may be a Sequence of steps under `listKey`.
inline std::vector<json> stepsOf(const json& component, const char* listKey, const std::string& where, const std::string& path) {
  if (typeOf(component) != "Sequence") return {component};
  if (!component.contains(listKey) || !component[listKey].is_array()) {
    throw FileFormatError(path, where + " Sequence has no list '" + listKey + "'");
  }
  return component[listKey].get<std::vector<json>>();
}

/// A one-character string field (Metaspace's replacement, Strip's content).
inline std::string oneCharacter(const json& j, const char* key, const std::string& where, const std::string& path) {
  const std::string text = stringField(j, key, where, path);
  if (firstInvalidUtf8(text) != std::string::npos || utf8Characters(text).size() != 1) {
    throw FileFormatError(path, where + " '" + key + "' is not one character");
  }
  return text;
}

}  // namespace shellscope::tokenizer_json

#include "cli/command_line.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace shellscope::cli {

CommandLine::CommandLine(std::string command, std::string synopsis, std::string summary,
                         std::vector<OptionSpec> options)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), summary_(std::move(summary)),
      options_(std::move(options)) {}

const OptionSpec& CommandLine::spec(const std::string& name) const {
  for (const auto& option : options_) {
    if (option.name == name) return option;
  }
  throw UsageError("unknown option --" + name + " for '" + command_ + "' (see shellscope-cli " + command_ + " --help)");
}

bool CommandLine::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return false;
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string inlineValue;
    bool hasInlineValue = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasInlineValue = true;
    }
    const OptionSpec& option = spec(name);
    if (given_.count(name) && !option.repeatable) throw UsageError("--" + name + " is given twice");
    if (option.valueName.empty()) {
      if (hasInlineValue) throw UsageError("--" + name + " takes no value");
      given_[name].push_back("1");
    } else if (hasInlineValue) {
      given_[name].push_back(inlineValue);
    } else {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value (" + option.valueName + ")");
      given_[name].push_back(args[++i]);
    }
  }
  return true;
}

std::string CommandLine::help() const {
  std::ostringstream out;
  out << "usage: shellscope-cli " << synopsis_ << "\n\n" << summary_ << "\n";
  if (!options_.empty()) out << "\noptions:\n";
  for (const auto& option : options_) {
    std::string left = "  --" + option.name + (option.valueName.empty() ? "" : " " + option.valueName);
    out << left;
    out << std::string(left.size() < 34 ? 34 - left.size() : 1, ' ') << option.help;
    if (!option.defaultValue.empty()) out << " (default: " << option.defaultValue << ")";
    if (option.repeatable) out << " (repeatable)";
    out << "\n";
  }
  return out.str();
}

bool CommandLine::has(const std::string& name) const {
  spec(name);
  return given_.count(name) > 0;
}

std::string CommandLine::value(const std::string& name) const {
  const OptionSpec& option = spec(name);
  const auto found = given_.find(name);
  return found == given_.end() ? option.defaultValue : found->second.back();
}

std::vector<std::string> CommandLine::values(const std::string& name) const {
  spec(name);
  const auto found = given_.find(name);
  return found == given_.end() ? std::vector<std::string>{} : found->second;
}

std::string CommandLine::required(const std::string& name) const {
  if (!has(name)) throw UsageError("'" + command_ + "' needs --" + name + " (see shellscope-cli " + command_ + " --help)");
  return value(name);
}

int CommandLine::intValue(const std::string& name) const {
  const std::string text = value(name);
  errno = 0;
  char* end = nullptr;
  const long number = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || number < -2147483647L || number > 2147483647L) {
    throw UsageError("--" + name + " expects an integer, got '" + text + "'");
  }
  return static_cast<int>(number);
}

std::uint64_t CommandLine::unsignedValue(const std::string& name) const {
  const std::string text = value(name);
  errno = 0;
  char* end = nullptr;
  const unsigned long long number = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE) {
    throw UsageError("--" + name + " expects a non-negative integer, got '" + text + "'");
  }
  return number;
}

double CommandLine::doubleValue(const std::string& name) const {
  const std::string text = value(name);
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw UsageError("--" + name + " expects a number, got '" + text + "'");
  return number;
}

const std::string& CommandLine::singlePositional(const std::string& what) const {
  if (positionals_.size() != 1) {
    throw UsageError("'" + command_ + "' needs exactly one " + what + " (see shellscope-cli " + command_ + " --help)");
  }
  return positionals_.front();
}

}  // namespace shellscope::cli

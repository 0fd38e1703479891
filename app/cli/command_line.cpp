#include "cli/command_line.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "shellscope/base/csv.h"
#include "shellscope/base/setting_error.h"

namespace shellscope::cli {

namespace {

/// Setting key -> option spelling, for every option that names a setting.
std::map<std::string, std::string>& settingSpellings() {
  static std::map<std::string, std::string> spellings;
  return spellings;
}

std::string shortNumber(double value) { return csvNumber(value); }

long long parseInteger(const std::string& name, const std::string& text, long long low, long long high) {
  errno = 0;
  char* end = nullptr;
  const long long number = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || number < low || number > high) {
    throw UsageError("--" + name + " expects an integer, got '" + text + "'");
  }
  return number;
}

}  // namespace

Option& Option::defaultText(std::string text) {
  shownDefault = std::move(text);
  return *this;
}

Option& Option::setting(std::string key) {
  settingKey = std::move(key);
  settingSpellings()[settingKey] = "--" + name;
  return *this;
}

CommandLine::CommandLine(std::string command, std::string synopsis, std::string summary)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), summary_(std::move(summary)) {
  // A process runs one command: the spellings are those of the newest command line.
  settingSpellings().clear();
}

Option& CommandLine::add(const std::string& name, const std::string& valueName, const std::string& help,
                         std::string shown, std::function<void(const std::string&)> assign) {
  auto option = std::make_unique<Option>();
  option->name = name;
  option->valueName = valueName;
  option->help = help;
  option->shownDefault = std::move(shown);
  option->assign = std::move(assign);
  options_.push_back(std::move(option));
  return *options_.back();
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help, int& target) {
  return add(name, valueName, help, std::to_string(target), [&target, name](const std::string& text) {
    target = static_cast<int>(parseInteger(name, text, -2147483647LL, 2147483647LL));
  });
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help,
                            std::int64_t& target) {
  return add(name, valueName, help, std::to_string(target), [&target, name](const std::string& text) {
    target = parseInteger(name, text, -9223372036854775807LL, 9223372036854775807LL);
  });
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help,
                            std::uint64_t& target) {
  return add(name, valueName, help, std::to_string(target), [&target, name](const std::string& text) {
    errno = 0;
    char* end = nullptr;
    const unsigned long long number = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE) {
      throw UsageError("--" + name + " expects a non-negative integer, got '" + text + "'");
    }
    target = number;
  });
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help,
                            double& target) {
  return add(name, valueName, help, shortNumber(target), [&target, name](const std::string& text) {
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') throw UsageError("--" + name + " expects a number, got '" + text + "'");
    target = number;
  });
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help,
                            std::string& target) {
  return add(name, valueName, help, target, [&target](const std::string& text) { target = text; });
}

Option& CommandLine::option(const std::string& name, const std::string& valueName, const std::string& help,
                            std::vector<std::string>& target) {
  // Given values replace the defaults (there are none for the repeatable options today).
  auto first = std::make_shared<bool>(true);
  Option& o = add(name, valueName, help, "", [&target, first](const std::string& text) {
    if (*first) target.clear();
    *first = false;
    target.push_back(text);
  });
  o.repeatable = true;
  return o;
}

Option& CommandLine::flag(const std::string& name, const std::string& help, bool& target) {
  Option& o = add(name, "", help, "", [&target](const std::string&) { target = true; });
  o.isSwitch = true;
  return o;
}

Option& CommandLine::find(const std::string& name) {
  for (const auto& option : options_) {
    if (option->name == name) return *option;
  }
  throw UsageError("unknown option --" + name + " for '" + command_ + "' (see shellscope-cli " + command_ + " --help)");
}

const Option& CommandLine::find(const std::string& name) const { return const_cast<CommandLine*>(this)->find(name); }

bool CommandLine::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return false;
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool inlineValue = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    Option& option = find(name);
    if (option.given && !option.repeatable) throw UsageError("--" + name + " is given twice");
    if (option.isSwitch) {
      if (inlineValue) throw UsageError("--" + name + " takes no value");
    } else if (!inlineValue) {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value (" + option.valueName + ")");
      value = args[++i];
    }
    option.given = true;
    option.assign(value);
  }
  return true;
}

std::string CommandLine::help() const {
  std::ostringstream out;
  out << "usage: shellscope-cli " << synopsis_ << "\n\n" << summary_ << "\n";
  if (!options_.empty()) out << "\noptions:\n";
  for (const auto& option : options_) {
    const std::string left = "  --" + option->name + (option->valueName.empty() ? "" : " " + option->valueName);
    out << left << std::string(left.size() < 34 ? 34 - left.size() : 1, ' ') << option->help;
    if (!option->shownDefault.empty()) out << " (default: " << option->shownDefault << ")";
    if (option->repeatable) out << " (repeatable)";
    out << "\n";
  }
  return out.str();
}

bool CommandLine::has(const std::string& name) const { return find(name).given; }

void CommandLine::require(const std::string& name) const {
  if (!has(name)) throw UsageError("'" + command_ + "' needs --" + name + " (see shellscope-cli " + command_ + " --help)");
}

void CommandLine::noPositionals() const {
  if (!positionals_.empty()) throw UsageError("unexpected argument '" + positionals_.front() + "'");
}

const std::string& CommandLine::singlePositional(const std::string& what) const {
  if (positionals_.size() != 1) {
    throw UsageError("'" + command_ + "' needs exactly one " + what + " (see shellscope-cli " + command_ + " --help)");
  }
  return positionals_.front();
}

std::string CommandLine::spellingOf(const std::string& settingKey) {
  const auto found = settingSpellings().find(settingKey);
  return found == settingSpellings().end() ? settingKey : found->second;
}

UsageError CommandLine::usageError(const SettingError& error) {
  return UsageError(spellingOf(error.setting()) + " " + error.problem());
}

}  // namespace shellscope::cli

#pragma once
// A small command-line parser: `--name value` options, `--flag` switches and positionals, with
// generated --help text. Every option is declared once, bound to the variable it fills; its
// default in --help is that variable's value before parsing, so defaults live in the settings
// structs and nowhere else. An option may name the core setting it fills ("batch_size"), so that
// core's SettingError("batch_size", ...) is reported with the option's spelling (--batch-size).
// Errors are UsageError (exit status 2).
//
// (CLI11 2.1, Debian 12's, was tried: 6.6 s per translation unit and error texts such as
// "--batches: Value x not in range 0.000000 to 1797693..."; this parser is ~200 lines.)

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace shellscope {
class SettingError;
}

namespace shellscope::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One declared option; the setters return it for chaining.
class Option {
 public:
  /// Shown in --help instead of the bound value (e.g. "automatic", "by dtype").
  Option& defaultText(std::string text);
  /// The core setting this option fills (see SettingError).
  Option& setting(std::string key);

 private:
  friend class CommandLine;
  std::string name, valueName, help, shownDefault, settingKey;
  bool repeatable = false, isSwitch = false, given = false;
  std::function<void(const std::string&)> assign;  ///< parses one value into the target; throws UsageError
};

class CommandLine {
 public:
  CommandLine(std::string command, std::string synopsis, std::string summary);

  // Options bound to their targets. A value that does not parse is a UsageError naming the option.
  Option& option(const std::string& name, const std::string& valueName, const std::string& help, int& target);
  Option& option(const std::string& name, const std::string& valueName, const std::string& help, std::int64_t& target);
  Option& option(const std::string& name, const std::string& valueName, const std::string& help, std::uint64_t& target);
  Option& option(const std::string& name, const std::string& valueName, const std::string& help, double& target);
  Option& option(const std::string& name, const std::string& valueName, const std::string& help, std::string& target);
  /// Repeatable: every occurrence is appended.
  Option& option(const std::string& name, const std::string& valueName, const std::string& help,
                 std::vector<std::string>& target);
  /// An option whose value is one of a set of spellings: `parse` throws std::invalid_argument for
  /// others, `print` spells the default.
  template <typename Enum>
  Option& choice(const std::string& name, const std::string& valueName, const std::string& help, Enum& target,
                 Enum (*parse)(const std::string&), std::string (*print)(Enum));
  /// An option parsed by `assign` (which throws UsageError for a bad value); `shown`: its default in --help.
  Option& custom(const std::string& name, const std::string& valueName, const std::string& help, std::string shown,
                 std::function<void(const std::string&)> assign) {
    return add(name, valueName, help, std::move(shown), std::move(assign));
  }
  /// A switch: `target` becomes true when given.
  Option& flag(const std::string& name, const std::string& help, bool& target);

  /// Parses the arguments after the command name. Returns false when --help was asked for.
  bool parse(const std::vector<std::string>& args);
  std::string help() const;

  /// Whether the option was given.
  bool has(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  /// The one positional argument, named `what` in the error when it is missing or repeated.
  const std::string& singlePositional(const std::string& what) const;
  /// Throws UsageError when a required option was not given.
  void require(const std::string& name) const;
  /// Throws UsageError when positionals were given to a command that takes none.
  void noPositionals() const;

  /// The option spelling of a core setting key ("--batch-size"), or the key when no option of
  /// the command fills it, for the command line constructed last (a process runs one command).
  static std::string spellingOf(const std::string& settingKey);
  /// A core SettingError as this command line's usage error.
  static UsageError usageError(const SettingError& error);

 private:
  Option& add(const std::string& name, const std::string& valueName, const std::string& help, std::string shown,
              std::function<void(const std::string&)> assign);
  Option& find(const std::string& name);
  const Option& find(const std::string& name) const;

  std::string command_, synopsis_, summary_;
  std::vector<std::unique_ptr<Option>> options_;
  std::vector<std::string> positionals_;
};

template <typename Enum>
Option& CommandLine::choice(const std::string& name, const std::string& valueName, const std::string& help,
                            Enum& target, Enum (*parse)(const std::string&), std::string (*print)(Enum)) {
  return add(name, valueName, help, print(target), [&target, parse, name](const std::string& text) {
    try {
      target = parse(text);
    } catch (const std::invalid_argument& e) {
      throw UsageError("--" + name + ": " + e.what());
    }
  });
}

/// A comma-separated list of numbers given to --option ("8,16,32"); throws UsageError naming the
/// option and the item that is not a number.
template <typename T>
std::vector<T> parseNumberList(const std::string& text, const std::string& option) {
  std::vector<T> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    std::istringstream field(item);
    T value{};
    if (!(field >> value) || !field.eof()) throw UsageError("--" + option + ": '" + item + "' is not a number");
    values.push_back(value);
  }
  if (values.empty()) throw UsageError("--" + option + " needs at least one value");
  return values;
}

}  // namespace shellscope::cli

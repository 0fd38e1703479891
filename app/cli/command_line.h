#pragma once
// A small command-line parser: `--name value` options, `--flag` switches and positionals, with
// generated --help text. Errors are UsageError (exit status 2).

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace shellscope::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;           ///< without the leading "--"
  std::string valueName;      ///< empty for a switch
  std::string help;
  std::string defaultValue;   ///< shown in --help and returned when absent
  bool repeatable = false;
};

class CommandLine {
 public:
  CommandLine(std::string command, std::string synopsis, std::string summary, std::vector<OptionSpec> options);

  /// Parses the arguments after the command name. Returns false when --help was asked for.
  bool parse(const std::vector<std::string>& args);
  std::string help() const;

  bool has(const std::string& name) const;
  std::string value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  int intValue(const std::string& name) const;
  double doubleValue(const std::string& name) const;
  std::uint64_t unsignedValue(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  /// The one positional argument, named `what` in the error when it is missing or repeated.
  const std::string& singlePositional(const std::string& what) const;
  /// The value of a required option.
  std::string required(const std::string& name) const;

 private:
  const OptionSpec& spec(const std::string& name) const;

  std::string command_, synopsis_, summary_;
  std::vector<OptionSpec> options_;
  std::map<std::string, std::vector<std::string>> given_;
  std::vector<std::string> positionals_;
};

}  // namespace shellscope::cli

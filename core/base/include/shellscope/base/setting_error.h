#pragma once
// A setting with a value that cannot be used. Core names the setting by its key ("batch_size"),
// never by how a front end spells it: the CLI turns the key into its option (--batch-size), the
// GUI into its field label, each from its own table.

#include <stdexcept>
#include <string>

namespace shellscope {

class SettingError : public std::invalid_argument {
 public:
  /// what() is "<setting> <problem>", e.g. "batches must be at least 1".
  SettingError(std::string setting, std::string problem)
      : std::invalid_argument(setting + " " + problem), setting_(std::move(setting)), problem_(std::move(problem)) {}
  const std::string& setting() const { return setting_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string setting_;
  std::string problem_;
};

}  // namespace shellscope

#include "ui/dialogs/setting_labels.h"

#include <QCoreApplication>
#include <map>

#include "shellscope/base/setting_error.h"

namespace shellscope::ui {

QString settingLabel(const std::string& key) {
  // The labels of the compute dialog's fields (without their mnemonics).
  static const std::map<std::string, const char*> labels{
      {"model", QT_TRANSLATE_NOOP("Settings", "Model")},
      {"data", QT_TRANSLATE_NOOP("Settings", "Data file")},
      {"data_dtype", QT_TRANSLATE_NOOP("Settings", "Token dtype")},
      {"tokenizer", QT_TRANSLATE_NOOP("Settings", "Tokenizer")},
      {"training_step_rows", QT_TRANSLATE_NOOP("Settings", "Pythia training step")},
      {"held_out_data", QT_TRANSLATE_NOOP("Settings", "Held-out data")},
      {"held_out_step_rows", QT_TRANSLATE_NOOP("Settings", "Held-out Pythia step")},
      {"held_out_cross_entropy", QT_TRANSLATE_NOOP("Settings", "Held-out cross-entropy split")},
      {"batches", QT_TRANSLATE_NOOP("Settings", "Batches")},
      {"batch_size", QT_TRANSLATE_NOOP("Settings", "Batch size")},
      {"seq_len", QT_TRANSLATE_NOOP("Settings", "Sequence length")},
      {"device", QT_TRANSLATE_NOOP("Settings", "Device")},
      {"dtype", QT_TRANSLATE_NOOP("Settings", "Precision")},
      {"lanczos_mode", QT_TRANSLATE_NOOP("Settings", "Lanczos")},
      {"lanczos_steps", QT_TRANSLATE_NOOP("Settings", "Lanczos steps")},
      {"adaptive_tolerance", QT_TRANSLATE_NOOP("Settings", "Adaptive m")},
      {"lanczos_max_steps", QT_TRANSLATE_NOOP("Settings", "Step cap")},
      {"shells_per_decade", QT_TRANSLATE_NOOP("Settings", "Shells per decade")},
      {"seed", QT_TRANSLATE_NOOP("Settings", "Seed")},
      {"threads", QT_TRANSLATE_NOOP("Settings", "Threads")},
      {"lambda_min", QT_TRANSLATE_NOOP("Settings", "Lowest λ")},
      {"lambda_max", QT_TRANSLATE_NOOP("Settings", "Highest λ")},
  };
  const auto found = labels.find(key);
  return found == labels.end() ? QString::fromStdString(key) : QCoreApplication::translate("Settings", found->second);
}

QString describeSettingError(const SettingError& error) {
  return settingLabel(error.setting()) + ' ' + QString::fromStdString(error.problem());
}

}  // namespace shellscope::ui

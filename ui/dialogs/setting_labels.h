#pragma once
// How the GUI names core settings: core's SettingError carries a key ("batch_size"); the GUI says
// it with the label of the field that sets it ("Batch size must be at least 1").

#include <QString>
#include <string>

namespace shellscope {
class SettingError;
}

namespace shellscope::ui {

/// The compute dialog's label of a setting key, or the key itself when the dialog has no field.
QString settingLabel(const std::string& key);
/// "<label> <problem>", e.g. "Sequence length is 4096, longer than the context of ...".
QString describeSettingError(const SettingError& error);

}  // namespace shellscope::ui

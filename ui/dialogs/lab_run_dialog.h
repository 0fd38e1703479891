#pragma once
// A new exact lab run from the GUI (docs/lab.md "The driver"; paper §3.1-3.5): every field of
// LabRunSettings (model, points, steps, step size, objective, checkpoint spacing, SGD rows and
// momentum, held-out points and label noise (docs/generalisation.md), the output scale α of the
// lazy-to-rich knob and what it scales, the shell window, threads). OK checks the settings
// (LabRunSettings::validate), names a bad field by its label and moves the focus to it; the job
// queue runs it.

#include <QDialog>
#include <map>
#include <string>

#include "shellscope/experiment/lab_run.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
QT_END_NAMESPACE

namespace shellscope::ui {

class LabRunDialog : public QDialog {
  Q_OBJECT
 public:
  /// `sessionPath`: the file the run is added to (empty: it stays in memory, and the dialog says so).
  explicit LabRunDialog(const QString& sessionPath, QWidget* parent = nullptr);
  LabRunSettings settings() const;
  void setSettings(const LabRunSettings& settings);
  /// "mlp, α = 4, 200 steps" (the job's title).
  QString jobTitle() const;
  /// The dialog's label of a LabRunSettings key ("output_scale" → "Output scale α").
  static QString fieldLabel(const std::string& key);
  /// The message OK shows for bad settings (empty when they are valid); `setting` gets the key of
  /// the bad setting (empty when valid).
  QString validationMessage(std::string* setting = nullptr) const;
  /// The field that sets a LabRunSettings key (nullptr for a key the dialog has no field for).
  QWidget* fieldOf(const std::string& key) const;

 private:
  void updateModelFields();

  QComboBox* model_;
  QSpinBox* points_;
  QSpinBox* seqLen_;
  QSpinBox* steps_;
  QLineEdit* learningRate_;
  QComboBox* objective_;
  QSpinBox* every_;
  QSpinBox* batchRows_;
  QLineEdit* momentum_;
  QSpinBox* heldOutPoints_;
  QLineEdit* labelNoise_;
  QLineEdit* outputScale_;
  QComboBox* scaleOn_;
  QSpinBox* seed_;
  QSpinBox* shellsPerDecade_;
  QLineEdit* lambdaMin_;
  QLineEdit* lambdaMax_;
  QLineEdit* relativeFloor_;
  QLineEdit* marginDecades_;
  QCheckBox* storeSpectra_;
  QSpinBox* threads_;
  QLabel* error_;
  std::map<std::string, QWidget*> fields_;  ///< the field of each setting key
};

}  // namespace shellscope::ui

#pragma once
// A new exact lab run from the GUI (docs/lab.md "The driver"; paper §3.1-3.5): every field of
// LabRunSettings (model, points, steps, step size, objective, checkpoint spacing, the output scale
// α of the lazy-to-rich knob and what it scales, the shell window, threads). OK checks the settings
// (LabRunSettings::validate) and names a bad field by its label; the job queue runs it.

#include <QDialog>

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
  /// The message OK shows for bad settings (empty when they are valid).
  QString validationMessage() const;

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
};

}  // namespace shellscope::ui

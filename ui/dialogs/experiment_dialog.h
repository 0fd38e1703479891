#pragma once
// Settings of the built-in experiment run from the GUI: where it keeps its files, the standard or
// the quick (test-sized) experiment, and how many cores it uses. A folder that already holds part
// of an experiment is resumed.

#include <QDialog>

#include "shellscope/experiment/experiment.h"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLineEdit;
class QSpinBox;
QT_END_NAMESPACE

namespace shellscope::ui {

class ExperimentDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ExperimentDialog(QWidget* parent = nullptr);
  ExperimentSettings settings() const;

 private:
  QLineEdit* folder_;
  QComboBox* size_;
  QSpinBox* threads_;
};

}  // namespace shellscope::ui

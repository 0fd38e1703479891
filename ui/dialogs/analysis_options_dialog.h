#pragma once
// The analysis settings of the open session: smoothing width, bootstrap resamples and confidence,
// the collapse factor of the cut-off, and the fitted λ range. Applying them re-analyses every run.

#include <QDialog>

#include "shellscope/analysis/profile_statistics.h"

QT_BEGIN_NAMESPACE
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
QT_END_NAMESPACE

namespace shellscope::ui {

class AnalysisOptionsDialog : public QDialog {
  Q_OBJECT
 public:
  AnalysisOptionsDialog(const analysis::AnalysisOptions& options, QWidget* parent = nullptr);
  analysis::AnalysisOptions options() const;

 private:
  analysis::AnalysisOptions base_;
  QDoubleSpinBox* smoothing_;
  QSpinBox* bootstrap_;
  QDoubleSpinBox* confidence_;
  QLineEdit* collapse_;
  QLineEdit* lambdaMin_;
  QLineEdit* lambdaMax_;
};

}  // namespace shellscope::ui

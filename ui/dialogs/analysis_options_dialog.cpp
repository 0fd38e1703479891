#include "ui/dialogs/analysis_options_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QDoubleValidator>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace shellscope::ui {

namespace {

QLineEdit* numberEdit(double value, const QString& placeholder) {
  auto* edit = new QLineEdit(value > 0 ? QString::number(value, 'g', 6) : QString());
  edit->setPlaceholderText(placeholder);
  auto* validator = new QDoubleValidator(0, 1e300, 12, edit);
  validator->setNotation(QDoubleValidator::ScientificNotation);
  edit->setValidator(validator);
  return edit;
}

double numberOf(const QLineEdit* edit) {
  bool ok = false;
  const double value = edit->text().toDouble(&ok);
  return ok && value > 0 ? value : 0.0;
}

}  // namespace

AnalysisOptionsDialog::AnalysisOptionsDialog(const analysis::AnalysisOptions& options, QWidget* parent)
    : QDialog(parent),
      base_(options),
      smoothing_(new QDoubleSpinBox),
      bootstrap_(new QSpinBox),
      confidence_(new QDoubleSpinBox),
      collapse_(numberEdit(options.collapseFactor, "1e-3")),
      lambdaMin_(numberEdit(options.lambdaMin, tr("whole profile"))),
      lambdaMax_(numberEdit(options.lambdaMax, tr("whole profile"))) {
  setWindowTitle(tr("Analysis Settings"));
  smoothing_->setRange(0, 2);
  smoothing_->setSingleStep(0.05);
  smoothing_->setDecimals(2);
  smoothing_->setSuffix(tr(" decades"));
  smoothing_->setValue(options.smoothingWidth);
  smoothing_->setToolTip(tr("Width σ of the Gaussian kernel in log10 λ (0: no smoothing)"));
  bootstrap_->setRange(10, 10000);
  bootstrap_->setValue(options.bootstrapSamples);
  bootstrap_->setToolTip(tr("Resamples of the batches for the band and the intervals"));
  confidence_->setRange(0.5, 0.999);
  confidence_->setDecimals(3);
  confidence_->setSingleStep(0.01);
  confidence_->setValue(options.confidence);
  confidence_->setToolTip(tr("Coverage of the bootstrap bands and intervals (0.95: 95%)"));
  collapse_->setToolTip(tr("The frontier's cut-off: the λ below the peak where the profile falls to this fraction "
                           "of the peak energy (docs/analysis.md)"));
  lambdaMin_->setToolTip(tr("The smallest λ the piecewise and theory fits use; empty: the whole profile"));
  lambdaMax_->setToolTip(tr("The largest λ the fits use; empty: the whole profile"));
  auto* form = new QFormLayout;
  form->addRow(tr("&Smoothing width:"), smoothing_);
  form->addRow(tr("&Bootstrap resamples:"), bootstrap_);
  form->addRow(tr("&Confidence:"), confidence_);
  form->addRow(tr("C&ut-off at fraction of peak:"), collapse_);
  form->addRow(QString::fromUtf8("Fitted λ from:"), lambdaMin_);
  form->addRow(QString::fromUtf8("Fitted λ to:"), lambdaMax_);
  auto* note = new QLabel(tr("Applying re-analyses every run in the background."));
  note->setEnabled(false);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Apply | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(note);
  layout->addWidget(buttons);
  connect(buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
    const analysis::AnalysisOptions defaults;
    smoothing_->setValue(defaults.smoothingWidth);
    bootstrap_->setValue(defaults.bootstrapSamples);
    confidence_->setValue(defaults.confidence);
    collapse_->setText(QString::number(defaults.collapseFactor));
    lambdaMin_->clear();
    lambdaMax_->clear();
  });
}

analysis::AnalysisOptions AnalysisOptionsDialog::options() const {
  analysis::AnalysisOptions o = base_;
  o.smoothingWidth = smoothing_->value();
  o.bootstrapSamples = bootstrap_->value();
  o.confidence = confidence_->value();
  const double collapse = numberOf(collapse_);
  o.collapseFactor = collapse > 0 && collapse < 1 ? collapse : base_.collapseFactor;
  o.lambdaMin = numberOf(lambdaMin_);
  o.lambdaMax = numberOf(lambdaMax_);
  return o;
}

}  // namespace shellscope::ui

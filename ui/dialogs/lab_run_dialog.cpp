#include "ui/dialogs/lab_run_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleValidator>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>
#include <algorithm>
#include <map>

namespace shellscope::ui {

namespace {

const std::map<std::string, const char*>& labels() {
  static const std::map<std::string, const char*> table{
      {"model", QT_TRANSLATE_NOOP("LabRunDialog", "Model")},
      {"points", QT_TRANSLATE_NOOP("LabRunDialog", "Points n")},
      {"seq_len", QT_TRANSLATE_NOOP("LabRunDialog", "Window length")},
      {"steps", QT_TRANSLATE_NOOP("LabRunDialog", "Steps")},
      {"learning_rate", QT_TRANSLATE_NOOP("LabRunDialog", "Step size η")},
      {"objective", QT_TRANSLATE_NOOP("LabRunDialog", "Objective")},
      {"every", QT_TRANSLATE_NOOP("LabRunDialog", "Checkpoint every")},
      {"batch_rows", QT_TRANSLATE_NOOP("LabRunDialog", "SGD rows per step")},
      {"momentum", QT_TRANSLATE_NOOP("LabRunDialog", "Momentum β")},
      {"held_out_points", QT_TRANSLATE_NOOP("LabRunDialog", "Held-out points n′")},
      {"label_noise", QT_TRANSLATE_NOOP("LabRunDialog", "Label noise σ")},
      {"output_scale", QT_TRANSLATE_NOOP("LabRunDialog", "Output scale α")},
      {"scale_on", QT_TRANSLATE_NOOP("LabRunDialog", "α scales")},
      {"seed", QT_TRANSLATE_NOOP("LabRunDialog", "Seed")},
      {"shells_per_decade", QT_TRANSLATE_NOOP("LabRunDialog", "Shells per decade")},
      {"lambda_min", QT_TRANSLATE_NOOP("LabRunDialog", "Lowest λ")},
      {"lambda_max", QT_TRANSLATE_NOOP("LabRunDialog", "Highest λ")},
      {"relative_floor", QT_TRANSLATE_NOOP("LabRunDialog", "Relative floor")},
      {"margin_decades", QT_TRANSLATE_NOOP("LabRunDialog", "Margin (decades)")},
      {"threads", QT_TRANSLATE_NOOP("LabRunDialog", "Threads")},
  };
  return table;
}

QLineEdit* numberEdit(double value, const QString& tip) {
  auto* edit = new QLineEdit(QString::number(value, 'g', 6));
  auto* validator = new QDoubleValidator(edit);
  validator->setNotation(QDoubleValidator::ScientificNotation);
  validator->setLocale(QLocale::c());
  edit->setValidator(validator);
  edit->setToolTip(tip);
  return edit;
}

double numberOf(const QLineEdit* edit) {
  bool ok = false;
  const double v = QLocale::c().toDouble(edit->text().trimmed(), &ok);
  return ok ? v : NAN;
}

QSpinBox* spin(int low, int high, int value, const QString& tip) {
  auto* box = new QSpinBox;
  box->setRange(low, high);
  box->setValue(value);
  box->setToolTip(tip);
  return box;
}

}  // namespace

QString LabRunDialog::fieldLabel(const std::string& key) {
  const auto it = labels().find(key);
  return it == labels().end() ? QString::fromStdString(key) : tr(it->second);
}

LabRunDialog::LabRunDialog(const QString& sessionPath, QWidget* parent)
    : QDialog(parent),
      model_(new QComboBox),
      points_(spin(2, 100000, 128, tr("Fixed training points n; M is n × n, formed and diagonalised at every checkpoint"))),
      seqLen_(spin(2, 4096, 32, tr("Language models: tokens per window (the points are the token positions)"))),
      steps_(spin(1, 10000000, 200, tr("Gradient-descent steps"))),
      learningRate_(numberEdit(0.05, tr("η; every step is η/α² (the language models need about 0.005)"))),
      objective_(new QComboBox),
      every_(spin(1, 1000000, 1, tr("A checkpoint every this many steps (and at the last); every step resolves the balance best"))),
      batchRows_(spin(0, 100000, 0, tr("SGD: windows (language models) or points (regressor) drawn per step; 0 = full batch"))),
      momentum_(numberEdit(0.0, tr("Heavy-ball momentum β in [0, 1): v ← β v + ∇L, θ ← θ − h v"))),
      heldOutPoints_(spin(0, 4000, 0,
                          tr("n′ fresh points of the same task, never trained on (0: none). At every checkpoint the run "
                             "measures their loss L′, their profile E′ and R_b, the rate at which learning in training "
                             "shell b changes L′ (R_b > 0 raises it; docs/generalisation.md). A language model's must be "
                             "a multiple of the window length"))),
      labelNoise_(numberEdit(0.0, tr("The regressor only: N(0, σ²) added to the training targets; the held-out targets "
                                     "stay clean (label noise brings out double descent)"))),
      outputScale_(numberEdit(1.0, tr("Lazy-to-rich knob: f → α (f − f₀) + f₀ with step η/α²; large α is lazy (M freezes)"))),
      scaleOn_(new QComboBox),
      seed_(spin(0, 1 << 30, 0, tr("Seed of the model's initialisation and its data"))),
      shellsPerDecade_(spin(1, 64, 4, tr("Logarithmic shells per decade of λ"))),
      lambdaMin_(numberEdit(0, tr("Fixed lower end of the shell window (0: automatic)"))),
      lambdaMax_(numberEdit(0, tr("Fixed upper end of the shell window (0: automatic)"))),
      relativeFloor_(numberEdit(1e-12, tr("Automatic window floor relative to λ_max at step 0"))),
      marginDecades_(numberEdit(1.0, tr("Automatic window ends widened by this many decades (the spectrum moves)"))),
      storeSpectra_(new QCheckBox(tr("Store every checkpoint's eigenvalues and amplitudes (K × n each)"))),
      threads_(spin(0, QThread::idealThreadCount(), 0, tr("CPU threads"))),
      error_(new QLabel) {
  setWindowTitle(tr("New Lab Run"));
  for (const std::string& name : labModelNames()) model_->addItem(QString::fromStdString(name));
  objective_->addItem(tr("mse-of-error: L = ½ mean(e²), ė = −M e"), static_cast<int>(lab::Objective::MseOfError));
  objective_->addItem(tr("cross-entropy: L = mean(e), ė = −M 1 (language models)"), static_cast<int>(lab::Objective::CrossEntropy));
  scaleOn_->addItem(tr("f itself"), static_cast<int>(ScaleOn::Observable));
  scaleOn_->addItem(tr("a language model's logits"), static_cast<int>(ScaleOn::Logits));
  threads_->setSpecialValueText(tr("all cores"));
  heldOutPoints_->setObjectName(QStringLiteral("heldOutPoints"));
  heldOutPoints_->setSpecialValueText(tr("none"));
  labelNoise_->setObjectName(QStringLiteral("labelNoise"));
  storeSpectra_->setChecked(true);
  model_->setToolTip(tr("The model trained exactly: the built-in regressor (builtin:mlp) or a small language model"));
  objective_->setToolTip(tr("The loss gradient descent follows, and so the flow the balance law describes (docs/lab.md)"));
  scaleOn_->setToolTip(tr("What the output scale α multiplies: f itself, or a language model's logits"));
  storeSpectra_->setToolTip(tr("Keep the dense eigendecomposition of every checkpoint in the session (for the "
                               "mode-tracking views); off saves space"));
  error_->setStyleSheet("color: #c0392b");
  error_->setWordWrap(true);
  error_->setVisible(false);

  auto* form = new QFormLayout;
  auto row = [&](const char* key, QWidget* field) {
    form->addRow(fieldLabel(key) + ":", field);
    fields_[key] = field;
  };
  row("model", model_);
  row("points", points_);
  row("seq_len", seqLen_);
  row("steps", steps_);
  row("learning_rate", learningRate_);
  row("objective", objective_);
  row("every", every_);
  row("batch_rows", batchRows_);
  row("momentum", momentum_);
  row("held_out_points", heldOutPoints_);
  row("label_noise", labelNoise_);
  row("output_scale", outputScale_);
  row("scale_on", scaleOn_);
  row("seed", seed_);
  row("shells_per_decade", shellsPerDecade_);
  row("lambda_min", lambdaMin_);
  row("lambda_max", lambdaMax_);
  row("relative_floor", relativeFloor_);
  row("margin_decades", marginDecades_);
  row("threads", threads_);
  form->addRow(QString(), storeSpectra_);

  auto* note = new QLabel(sessionPath.isEmpty()
                              ? tr("Trains the model by gradient descent (full batch, or SGD) and measures the shell balance exactly "
                                   "at every checkpoint. The session has no file yet: the run is shown in the Lab view "
                                   "but not stored (save the session first to keep lab runs).")
                              : tr("Trains the model by gradient descent (full batch, or SGD) and measures the shell balance exactly "
                                   "at every checkpoint; the run is added to %1 (/lab) and shown in the Lab view (with "
                                   "held-out points also in the Generalisation view).")
                                    .arg(sessionPath.toHtmlEscaped()));
  note->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("&Run"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(note);
  layout->addLayout(form);
  layout->addWidget(error_);
  layout->addWidget(buttons);
  connect(model_, &QComboBox::currentIndexChanged, this, &LabRunDialog::updateModelFields);
  connect(seqLen_, &QSpinBox::valueChanged, this, &LabRunDialog::updateModelFields);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    std::string setting;
    const QString message = validationMessage(&setting);
    error_->setText(message);
    error_->setVisible(!message.isEmpty());
    if (message.isEmpty()) {
      accept();
    } else if (QWidget* field = fieldOf(setting)) {
      field->setFocus(Qt::OtherFocusReason);  // the field the message names, ready to be corrected
    }
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  updateModelFields();
}

void LabRunDialog::updateModelFields() {
  const bool lm = model_->currentText() != "builtin:mlp";
  seqLen_->setEnabled(lm);
  scaleOn_->setEnabled(lm);
  if (!lm) scaleOn_->setCurrentIndex(0);
  labelNoise_->setEnabled(!lm);
  if (lm) labelNoise_->setText(QStringLiteral("0"));
  // A language model's held-out points are whole windows.
  heldOutPoints_->setSingleStep(lm ? std::max(1, seqLen_->value()) : 1);
}

QWidget* LabRunDialog::fieldOf(const std::string& key) const {
  const auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : it->second;
}

LabRunSettings LabRunDialog::settings() const {
  LabRunSettings s;
  s.model = model_->currentText().toStdString();
  s.points = points_->value();
  s.seqLen = seqLen_->value();
  s.steps = steps_->value();
  s.learningRate = numberOf(learningRate_);
  s.objective = static_cast<lab::Objective>(objective_->currentData().toInt());
  s.every = every_->value();
  s.batchRows = batchRows_->value();
  s.momentum = numberOf(momentum_);
  s.heldOutPoints = heldOutPoints_->value();
  s.labelNoise = numberOf(labelNoise_);
  s.outputScale = numberOf(outputScale_);
  s.scaleOn = static_cast<ScaleOn>(scaleOn_->currentData().toInt());
  s.seed = static_cast<std::uint64_t>(seed_->value());
  s.shellsPerDecade = shellsPerDecade_->value();
  s.lambdaMin = numberOf(lambdaMin_);
  s.lambdaMax = numberOf(lambdaMax_);
  s.relativeFloor = numberOf(relativeFloor_);
  s.marginDecades = numberOf(marginDecades_);
  s.storeSpectra = storeSpectra_->isChecked();
  s.threads = threads_->value();
  return s;
}

void LabRunDialog::setSettings(const LabRunSettings& s) {
  model_->setCurrentText(QString::fromStdString(s.model));
  points_->setValue(s.points);
  seqLen_->setValue(s.seqLen);
  steps_->setValue(s.steps);
  learningRate_->setText(QString::number(s.learningRate, 'g', 6));
  objective_->setCurrentIndex(objective_->findData(static_cast<int>(s.objective)));
  every_->setValue(s.every);
  batchRows_->setValue(s.batchRows);
  momentum_->setText(QString::number(s.momentum, 'g', 6));
  heldOutPoints_->setValue(s.heldOutPoints);
  labelNoise_->setText(QString::number(s.labelNoise, 'g', 6));
  outputScale_->setText(QString::number(s.outputScale, 'g', 6));
  scaleOn_->setCurrentIndex(scaleOn_->findData(static_cast<int>(s.scaleOn)));
  seed_->setValue(static_cast<int>(s.seed));
  shellsPerDecade_->setValue(s.shellsPerDecade);
  lambdaMin_->setText(QString::number(s.lambdaMin, 'g', 6));
  lambdaMax_->setText(QString::number(s.lambdaMax, 'g', 6));
  relativeFloor_->setText(QString::number(s.relativeFloor, 'g', 6));
  marginDecades_->setText(QString::number(s.marginDecades, 'g', 6));
  storeSpectra_->setChecked(s.storeSpectra);
  threads_->setValue(s.threads);
  updateModelFields();
}

QString LabRunDialog::validationMessage(std::string* setting) const {
  try {
    settings().validate();
  } catch (const SettingError& error) {
    if (setting) *setting = error.setting();
    return tr("%1 %2").arg(fieldLabel(error.setting()), QString::fromStdString(error.problem()));
  }
  if (setting) setting->clear();
  return {};
}

QString LabRunDialog::jobTitle() const {
  const LabRunSettings s = settings();
  QString model = QString::fromStdString(s.model);
  model.remove("builtin:");
  return tr("Lab run: %1, α = %2, %3 steps").arg(model, QString::number(s.outputScale, 'g', 3)).arg(s.steps);
}

}  // namespace shellscope::ui

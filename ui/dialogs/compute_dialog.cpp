#include "ui/dialogs/compute_dialog.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMap>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpressionValidator>
#include <QSet>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <algorithm>
#include <stdexcept>

#include "shellscope/base/file_error.h"
#include "shellscope/engine/runtime.h"
#include "ui/background_pool.h"
#include "ui/dialogs/setting_labels.h"

namespace shellscope::ui {

/// What a background scan of a folder produces.
struct ComputeDialog::ScanResult {
  QString folder;
  std::vector<CheckpointEntry> entries;
  QString error;
};

namespace {

constexpr char kBuiltinPrefix[] = "builtin:";
constexpr int kPathRole = Qt::UserRole;
constexpr int kTokenizerRow = 3;  ///< row of the data form

bool isBuiltin(const std::string& model) { return model.rfind(kBuiltinPrefix, 0) == 0; }

constexpr char kBuiltinHeldOut[] = "builtin";  ///< ComputeSettings::heldOutData: a built-in model's own later batches

QString cleanPath(const QString& path) { return path.isEmpty() ? path : QDir::cleanPath(path); }

/// Asked once: the answer needs LibTorch to look for GPUs.
bool cudaAvailable() {
  static const bool available = runtimeInfo().cudaAvailable;
  return available;
}

QSpinBox* spinBox(int minimum, int maximum, const QString& tooltip) {
  auto* spin = new QSpinBox;
  spin->setRange(minimum, maximum);
  spin->setToolTip(tooltip);
  spin->setAccelerated(true);
  return spin;
}

void selectData(QComboBox* combo, const QVariant& data) {
  const int index = combo->findData(data);
  if (index >= 0) combo->setCurrentIndex(index);
}

QString deviceName(DevicePreference device) {
  switch (device) {
    case DevicePreference::Cpu: return QStringLiteral("cpu");
    case DevicePreference::Cuda: return QStringLiteral("cuda");
    case DevicePreference::Auto: break;
  }
  return QStringLiteral("auto");
}

}  // namespace

ComputeDialog::ComputeDialog(QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Compute shell energies"));
  buildUi();
  loadStoredSettings();
}

ComputeDialog::~ComputeDialog() = default;

void ComputeDialog::buildUi() {
  // Model source
  builtinRadio_ = new QRadioButton(tr("&Built-in model"));
  folderRadio_ = new QRadioButton(tr("Checkpoint &folder"));
  sourceGroup_ = new QButtonGroup(this);
  sourceGroup_->addButton(builtinRadio_);
  sourceGroup_->addButton(folderRadio_);
  builtinRadio_->setChecked(true);
  builtinRadio_->setToolTip(tr("Compute a small built-in model on its own synthetic data (no files needed)"));
  folderRadio_->setToolTip(tr("Compute Hugging Face checkpoints: one folder, a folder of step folders, or a cache"));
  builtinCombo_ = new QComboBox;
  builtinCombo_->setObjectName(QStringLiteral("builtinModel"));
  for (const std::string& name : builtinModelNames()) {
    builtinCombo_->addItem(QString::fromStdString(name.substr(sizeof kBuiltinPrefix - 1)), QString::fromStdString(name));
  }
  builtinCombo_->setToolTip(tr("A small randomly initialised model with its own synthetic data"));
  folderEdit_ = new QLineEdit;
  folderEdit_->setObjectName(QStringLiteral("checkpointFolder"));
  folderEdit_->setPlaceholderText(tr("a checkpoint folder, a folder of step folders, or a Hugging Face cache folder"));
  folderEdit_->setToolTip(tr("A checkpoint folder (config.json + weights), a folder of step folders such as "
                             "step1000/, or a Hugging Face cache folder models--org--name; scanned as you type"));
  folderBrowse_ = new QPushButton(tr("Browse…"));
  folderBrowse_->setToolTip(tr("Choose the checkpoint folder"));
  scanLabel_ = new QLabel;
  scanLabel_->setWordWrap(true);
  scanLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  checkpointList_ = new QListWidget;
  checkpointList_->setObjectName(QStringLiteral("checkpoints"));
  checkpointList_->setUniformItemSizes(true);
  checkpointList_->setMinimumHeight(120);
  allButton_ = new QPushButton(tr("All"));
  noneButton_ = new QPushButton(tr("None"));
  allButton_->setToolTip(tr("Tick every checkpoint found"));
  noneButton_->setToolTip(tr("Untick every checkpoint"));
  countLabel_ = new QLabel;
  scanTimer_ = new QTimer(this);
  scanTimer_->setSingleShot(true);
  scanTimer_->setInterval(500);

  auto* modelBox = new QGroupBox(tr("Model"));
  auto* modelGrid = new QGridLayout(modelBox);
  modelGrid->addWidget(builtinRadio_, 0, 0);
  modelGrid->addWidget(builtinCombo_, 0, 1, 1, 2);
  modelGrid->addWidget(folderRadio_, 1, 0);
  modelGrid->addWidget(folderEdit_, 1, 1);
  modelGrid->addWidget(folderBrowse_, 1, 2);
  modelGrid->addWidget(scanLabel_, 2, 1, 1, 2);
  modelGrid->addWidget(checkpointList_, 3, 1, 1, 2);
  auto* selectionRow = new QHBoxLayout;
  selectionRow->addWidget(allButton_);
  selectionRow->addWidget(noneButton_);
  selectionRow->addWidget(countLabel_, 1);
  modelGrid->addLayout(selectionRow, 4, 1, 1, 2);
  modelGrid->setColumnStretch(1, 1);

  // Token data
  dataEdit_ = new QLineEdit;
  dataEdit_->setObjectName(QStringLiteral("dataFile"));
  dataEdit_->setPlaceholderText(tr("optional for built-in models"));
  dataEdit_->setToolTip(tr("Token data: MMIDIDX .bin/.idx (Pythia's Pile, also as its shards), .npy, a raw "
                           "token file, or text with a tokenizer; empty for a built-in model's own data"));
  auto* dataBrowse = new QPushButton(tr("Browse…"));
  dataBrowse->setToolTip(tr("Choose the token data file"));
  auto* dataRow = new QHBoxLayout;
  dataRow->addWidget(dataEdit_, 1);
  dataRow->addWidget(dataBrowse);
  dataKindLabel_ = new QLabel;
  rawDtypeCombo_ = new QComboBox;
  rawDtypeCombo_->setObjectName(QStringLiteral("rawDtype"));
  for (const auto& [label, code] : {std::pair{"uint16", "u16"}, {"uint32", "u32"}, {"int32", "i32"}, {"int64", "i64"}}) {
    rawDtypeCombo_->addItem(QString::fromLatin1(label), QString::fromLatin1(code));
  }
  rawDtypeCombo_->setToolTip(tr("Width and sign of each token id in the raw little-endian file"));
  tokenizerEdit_ = new QLineEdit;
  tokenizerEdit_->setPlaceholderText(tr("empty: the checkpoint folder's tokenizer.json"));
  tokenizerEdit_->setToolTip(tr("The tokenizer.json that turns text data into tokens; empty: the checkpoint's own"));
  auto* tokenizerBrowse = new QPushButton(tr("Browse…"));
  tokenizerBrowse->setToolTip(tr("Choose a tokenizer.json"));
  auto* tokenizerRow = new QHBoxLayout;
  tokenizerRow->addWidget(tokenizerEdit_, 1);
  tokenizerRow->addWidget(tokenizerBrowse);
  trainingStepSpin_ = spinBox(-1, 100000000, tr("Take the windows from the rows Pythia trained on at this step "
                                                "(rows step×1024.. of 2049-token samples); off: the data in order"));
  trainingStepSpin_->setSpecialValueText(tr("off"));
  // Held-out data: batch b of the run paired with held-out batch b, cut the same way.
  heldOutEdit_ = new QLineEdit;
  heldOutEdit_->setObjectName(QStringLiteral("heldOutData"));
  heldOutEdit_->setToolTip(tr("Token data for held-out batches, one per training batch, cut the same way: the run "
                              "also stores their profile, loss and the held-out loss rate per training shell "
                              "(docs/generalisation.md)"));
  heldOutBrowse_ = new QPushButton(tr("Browse…"));
  heldOutBrowse_->setToolTip(tr("Choose the held-out token data file"));
  auto* heldOutRow = new QHBoxLayout;
  heldOutRow->addWidget(heldOutEdit_, 1);
  heldOutRow->addWidget(heldOutBrowse_);
  heldOutBuiltinCheck_ = new QCheckBox(tr("the built-in model's own held-out batches"));
  heldOutBuiltinCheck_->setObjectName(QStringLiteral("heldOutBuiltin"));
  heldOutBuiltinCheck_->setToolTip(tr("A built-in model's synthetic data after its training batches (leave the data "
                                      "file empty)"));
  heldOutStepSpin_ = spinBox(-1, 100000000, tr("Take the held-out windows from the rows Pythia trained on at this step "
                                               "(of the held-out file, or else of the data file); off: in order"));
  heldOutStepSpin_->setObjectName(QStringLiteral("heldOutStep"));
  heldOutStepSpin_->setSpecialValueText(tr("off"));
  heldOutCrossEntropyCheck_ = new QCheckBox(tr("also split the cross-entropy rate (one more Lanczos run)"));
  heldOutCrossEntropyCheck_->setObjectName(QStringLiteral("heldOutCrossEntropy"));
  heldOutCrossEntropyCheck_->setToolTip(
      tr("Besides the rate of the held-out mse under gradient flow on the training mse (Lanczos from e), split the "
         "rate of the held-out loss mean(e′) under flow on the training cross-entropy mean(e): one more Lanczos run "
         "per batch, from 1 with the probe J J′ᵀ 1 (docs/generalisation.md)."));
  auto* heldOutNote = new QLabel(tr("Held-out batches cost about one more Lanczos run per batch, two with the "
                                    "cross-entropy split."));
  heldOutNote->setWordWrap(true);
  heldOutNote->setEnabled(false);  // drawn as a quiet hint

  auto* dataBox = new QGroupBox(tr("Token data"));
  dataForm_ = new QFormLayout(dataBox);
  // A form row holding a layout has no buddy of its own: the label points at the line edit.
  auto* dataLabel = new QLabel(tr("&Data file:"));
  dataLabel->setBuddy(dataEdit_);
  dataForm_->addRow(dataLabel, dataRow);
  dataForm_->addRow(QString(), dataKindLabel_);
  dataForm_->addRow(tr("Token d&type:"), rawDtypeCombo_);
  auto* tokenizerLabel = new QLabel(tr("&Tokenizer:"));
  tokenizerLabel->setBuddy(tokenizerEdit_);
  dataForm_->addRow(tokenizerLabel, tokenizerRow);
  auto* heldOutLabel = new QLabel(tr("Held-&out data:"));
  heldOutLabel->setBuddy(heldOutEdit_);
  dataForm_->addRow(heldOutLabel, heldOutRow);
  dataForm_->addRow(QString(), heldOutBuiltinCheck_);
  dataForm_->addRow(QString(), heldOutCrossEntropyCheck_);
  // The two Pythia steps side by side: the training rows and the held-out rows.
  auto* stepRow = new QHBoxLayout;
  stepRow->addWidget(trainingStepSpin_);
  stepRow->addSpacing(12);
  auto* heldOutStepLabel = new QLabel(tr("Held-out P&ythia step:"));
  heldOutStepLabel->setBuddy(heldOutStepSpin_);
  stepRow->addWidget(heldOutStepLabel);
  stepRow->addWidget(heldOutStepSpin_);
  stepRow->addStretch(1);
  auto* stepLabel = new QLabel(tr("Pythia training &step:"));
  stepLabel->setBuddy(trainingStepSpin_);
  dataForm_->addRow(stepLabel, stepRow);
  dataForm_->addRow(QString(), heldOutNote);

  // Computation
  batchesSpin_ = spinBox(1, 1000000, tr("Batches per checkpoint"));
  batchesSpin_->setObjectName(QStringLiteral("batches"));
  batchSizeSpin_ = spinBox(1, 65536, tr("Sequences per batch"));
  seqLenSpin_ = spinBox(1, 1048576, tr("Tokens per sequence"));
  lanczosModeCombo_ = new QComboBox;
  lanczosModeCombo_->addItem(tr("full (re-orthogonalised)"), static_cast<int>(LanczosMode::Full));
  lanczosModeCombo_->addItem(tr("plain (three-term recurrence only)"), static_cast<int>(LanczosMode::Plain));
  lanczosModeCombo_->addItem(tr("Golub-Kahan bidiagonalisation"), static_cast<int>(LanczosMode::GolubKahan));
  lanczosModeCombo_->setToolTip(tr("Full: Lanczos with re-orthogonalisation (the default); plain: the three-term "
                                   "recurrence alone (cheaper, loses orthogonality); Golub-Kahan: on J itself "
                                   "(docs/engine.md)"));
  lanczosStepsSpin_ = spinBox(1, 100000, tr("Lanczos steps (operator products) per batch; with adaptive m, at least"));
  adaptiveSpin_ = new QDoubleSpinBox;
  adaptiveSpin_->setObjectName(QStringLiteral("adaptiveTolerance"));
  adaptiveSpin_->setRange(0.0, 10.0);
  adaptiveSpin_->setDecimals(2);
  adaptiveSpin_->setSingleStep(0.05);
  adaptiveSpin_->setSpecialValueText(tr("off (fixed m)"));
  adaptiveSpin_->setToolTip(tr("Adaptive m: continue each batch until every shell holding at least 1% of the error "
                               "energy has quadrature bounds narrower than this share of its energy (docs/analysis.md)"));
  maxStepsSpin_ = spinBox(0, 1000000, tr("The most Lanczos steps a batch may take with adaptive m"));
  maxStepsSpin_->setSpecialValueText(tr("8 × steps"));
  crossDissipationCheck_ = new QCheckBox(tr("also from e ± 1 (3× the cost)"));
  crossDissipationCheck_->setObjectName(QStringLiteral("crossDissipation"));
  crossDissipationCheck_->setToolTip(tr("Two more Lanczos runs per batch, from e + 1 and e − 1: the dissipation "
                                        "cross-entropy training implies, for the flux between shells (docs/lab.md)"));
  recomputeCheck_ = new QCheckBox(tr("recompute activations (less memory)"));
  recomputeCheck_->setObjectName(QStringLiteral("recomputeActivations"));
  recomputeCheck_->setToolTip(tr("Keep only each layer's input and run the layers again in every product: about half "
                                 "the memory per batch, each product 1.6-1.9× slower, the same numbers bitwise "
                                 "(docs/engine.md, for large models on one GPU)"));
  shellsSpin_ = spinBox(1, 1000, tr("Shells per decade of eigenvalue"));
  deviceCombo_ = new QComboBox;
  deviceCombo_->addItem(tr("auto"), static_cast<int>(DevicePreference::Auto));
  deviceCombo_->addItem(tr("CPU"), static_cast<int>(DevicePreference::Cpu));
  deviceCombo_->addItem(tr("CUDA"), static_cast<int>(DevicePreference::Cuda));
  if (!cudaAvailable()) {
    if (auto* model = qobject_cast<QStandardItemModel*>(deviceCombo_->model())) {
      QStandardItem* item = model->item(2);
      item->setEnabled(false);
      item->setToolTip(tr("This LibTorch build has no CUDA or no GPU is visible"));
    }
  }
  deviceCombo_->setToolTip(tr("Where the products run: auto takes a GPU when this build and the machine have one"));
  dtypeCombo_ = new QComboBox;
  dtypeCombo_->setToolTip(tr("The precision of the model and the Lanczos vectors (float64: slower, for checks)"));
  dtypeCombo_->addItem(QStringLiteral("float32"), static_cast<int>(ComputeDType::Float32));
  dtypeCombo_->addItem(QStringLiteral("float64"), static_cast<int>(ComputeDType::Float64));
  seedEdit_ = new QLineEdit;
  seedEdit_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{0,20}")), seedEdit_));
  seedEdit_->setToolTip(tr("Seed of the built-in models and the Lanczos start vectors"));
  threadsSpin_ = spinBox(0, std::max(1024, QThread::idealThreadCount()), tr("CPU threads; all cores: every available core"));
  threadsSpin_->setSpecialValueText(tr("all cores"));

  auto* computeBox = new QGroupBox(tr("Computation"));
  auto* left = new QFormLayout;
  left->addRow(tr("Ba&tches:"), batchesSpin_);
  left->addRow(tr("Batch si&ze:"), batchSizeSpin_);
  left->addRow(tr("Se&quence length:"), seqLenSpin_);
  left->addRow(tr("Device:"), deviceCombo_);
  left->addRow(tr("Precision:"), dtypeCombo_);
  auto* right = new QFormLayout;
  right->addRow(tr("&Lanczos:"), lanczosModeCombo_);
  right->addRow(tr("Lanczos ste&ps:"), lanczosStepsSpin_);
  right->addRow(tr("&Adaptive m:"), adaptiveSpin_);
  right->addRow(tr("Step ca&p:"), maxStepsSpin_);
  right->addRow(tr("Cross dissipation:"), crossDissipationCheck_);
  right->addRow(tr("Memory:"), recomputeCheck_);
  right->addRow(tr("S&hells per decade:"), shellsSpin_);
  right->addRow(tr("S&eed:"), seedEdit_);
  right->addRow(tr("Thr&eads:"), threadsSpin_);
  auto* computeRow = new QHBoxLayout(computeBox);
  computeRow->addLayout(left);
  computeRow->addSpacing(12);
  computeRow->addLayout(right);

  messageLabel_ = new QLabel;
  messageLabel_->setObjectName(QStringLiteral("message"));
  messageLabel_->setWordWrap(true);
  messageLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  messageLabel_->setStyleSheet(QStringLiteral("color: #c62828;"));

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  okButton_ = buttons->button(QDialogButtonBox::Ok);
  okButton_->setText(tr("Compute"));
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(modelBox, 1);
  layout->addWidget(dataBox);
  layout->addWidget(computeBox);
  layout->addWidget(messageLabel_);
  layout->addWidget(buttons);

  // Every change re-checks the settings.
  auto changed = [this] { revalidate(); };
  connect(sourceGroup_, &QButtonGroup::buttonToggled, this, [this](QAbstractButton*, bool checked) {
    if (!checked) return;
    if (folderMode()) scanIfChanged();
    revalidate();
  });
  connect(builtinCombo_, &QComboBox::currentIndexChanged, this, [this] {
    if (!updating_) builtinRadio_->setChecked(true);
    revalidate();
  });
  connect(folderEdit_, &QLineEdit::textEdited, this, &ComputeDialog::folderEdited);
  connect(folderEdit_, &QLineEdit::editingFinished, this, &ComputeDialog::scanIfChanged);
  connect(scanTimer_, &QTimer::timeout, this, &ComputeDialog::scanIfChanged);
  connect(folderBrowse_, &QPushButton::clicked, this, &ComputeDialog::browseFolder);
  connect(checkpointList_, &QListWidget::itemChanged, this, changed);
  connect(allButton_, &QPushButton::clicked, this, [this] { setAllChecked(true); });
  connect(noneButton_, &QPushButton::clicked, this, [this] { setAllChecked(false); });
  connect(dataEdit_, &QLineEdit::textChanged, this, changed);
  connect(dataBrowse, &QPushButton::clicked, this, &ComputeDialog::browseData);
  connect(heldOutEdit_, &QLineEdit::textChanged, this, changed);
  connect(heldOutBrowse_, &QPushButton::clicked, this, &ComputeDialog::browseHeldOut);
  connect(heldOutBuiltinCheck_, &QCheckBox::toggled, this, changed);
  connect(heldOutCrossEntropyCheck_, &QCheckBox::toggled, this, changed);
  connect(rawDtypeCombo_, &QComboBox::currentIndexChanged, this, changed);
  connect(tokenizerEdit_, &QLineEdit::textChanged, this, changed);
  connect(tokenizerBrowse, &QPushButton::clicked, this, &ComputeDialog::browseTokenizer);
  connect(seedEdit_, &QLineEdit::textChanged, this, changed);
  connect(adaptiveSpin_, &QDoubleSpinBox::valueChanged, this, [this] {
    maxStepsSpin_->setEnabled(adaptiveSpin_->value() > 0);
    revalidate();
  });
  for (QSpinBox* spin : {trainingStepSpin_, heldOutStepSpin_, batchesSpin_, batchSizeSpin_, seqLenSpin_, lanczosStepsSpin_,
                         maxStepsSpin_, shellsSpin_, threadsSpin_}) {
    connect(spin, &QSpinBox::valueChanged, this, changed);
  }
  for (QComboBox* combo : {lanczosModeCombo_, deviceCombo_, dtypeCombo_}) {
    connect(combo, &QComboBox::currentIndexChanged, this, changed);
  }
}

// ---- settings ----------------------------------------------------------------------------------

ComputeSettings ComputeDialog::settings() const {
  ComputeSettings s = base_;
  s.models.clear();
  if (!folderMode()) {
    const QString name = builtinCombo_->currentData().toString();
    if (!name.isEmpty()) s.models.push_back(name.toStdString());
  } else {
    const QString folder = folderText();
    if (scanState_ == ScanState::Done && scanFolder_ == folder) {
      const QStringList checked = checkedCheckpoints();
      if (checked.size() == static_cast<qsizetype>(entries_.size())) {
        s.models.push_back(folder.toStdString());
      } else {
        for (const QString& path : checked) s.models.push_back(path.toStdString());
      }
    } else if (!pendingSelection_.isEmpty()) {
      for (const QString& path : pendingSelection_) s.models.push_back(path.toStdString());
    } else if (!folder.isEmpty()) {
      s.models.push_back(folder.toStdString());
    }
  }
  s.data = dataEdit_->text().trimmed().toStdString();
  // One dtype for both files (the held-out batches are read like the training ones).
  s.dataDtype = dataKind() == DataKind::Raw || heldOutKind() == DataKind::Raw
                    ? rawDtypeCombo_->currentData().toString().toStdString()
                    : std::string();
  s.tokenizer = tokenizerEdit_->text().trimmed().toStdString();
  s.trainingStepRows = trainingStepSpin_->value();
  const bool builtinHeldOut = heldOutBuiltinCheck_->isChecked();
  s.heldOutData = builtinHeldOut ? std::string(kBuiltinHeldOut) : heldOutEdit_->text().trimmed().toStdString();
  s.heldOutStepRows = builtinHeldOut ? -1 : heldOutStepSpin_->value();
  s.heldOutCrossEntropy = heldOutCrossEntropyCheck_->isChecked();
  s.batches = batchesSpin_->value();
  s.batchSize = batchSizeSpin_->value();
  s.seqLen = seqLenSpin_->value();
  s.lanczosMode = static_cast<LanczosMode>(lanczosModeCombo_->currentData().toInt());
  s.lanczosSteps = lanczosStepsSpin_->value();
  s.adaptiveTolerance = adaptiveSpin_->value();
  s.lanczosMaxSteps = maxStepsSpin_->value();
  s.crossDissipation = crossDissipationCheck_->isChecked();
  s.recomputeActivations = recomputeCheck_->isChecked();
  s.shellsPerDecade = shellsSpin_->value();
  s.device = static_cast<DevicePreference>(deviceCombo_->currentData().toInt());
  s.dtype = static_cast<ComputeDType>(dtypeCombo_->currentData().toInt());
  bool ok = false;
  const qulonglong seed = seedEdit_->text().toULongLong(&ok);
  s.seed = ok ? seed : base_.seed;
  s.threads = threadsSpin_->value();
  return s;
}

void ComputeDialog::setSettings(const ComputeSettings& s) {
  updating_ = true;
  base_ = s;
  const bool anyPath = std::any_of(s.models.begin(), s.models.end(), [](const std::string& m) { return !isBuiltin(m); });
  if (!anyPath) {
    if (!s.models.empty()) {
      const QString name = QString::fromStdString(s.models.front());
      if (builtinCombo_->findData(name) < 0) builtinCombo_->addItem(name, name);  // unknown: the worker says so
      selectData(builtinCombo_, name);
    }
    builtinRadio_->setChecked(true);
  } else {
    QStringList paths;
    for (const std::string& model : s.models) {
      if (!isBuiltin(model)) paths.append(cleanPath(QString::fromStdString(model)));
    }
    // One path: that folder, everything in it. Several: their folder, exactly those.
    const QString folder = paths.size() == 1 ? paths.front() : QFileInfo(paths.front()).path();
    folderEdit_->setText(folder);
    pendingSelection_ = paths.size() == 1 ? QStringList() : paths;
    {
      const QSignalBlocker blocker(sourceGroup_);  // scanned once, below
      folderRadio_->setChecked(true);
    }
    startScan(folder);
  }
  dataEdit_->setText(QString::fromStdString(s.data));
  if (!s.dataDtype.empty()) {
    QString code = QString::fromStdString(s.dataDtype);
    if (code.startsWith(QLatin1String("uint"))) code = QLatin1Char('u') + code.mid(4);
    else if (code.startsWith(QLatin1String("int"))) code = QLatin1Char('i') + code.mid(3);
    selectData(rawDtypeCombo_, code);
  }
  tokenizerEdit_->setText(QString::fromStdString(s.tokenizer));
  trainingStepSpin_->setValue(static_cast<int>(std::clamp<std::int64_t>(s.trainingStepRows, -1, trainingStepSpin_->maximum())));
  const bool builtinHeldOut = s.heldOutData == kBuiltinHeldOut;
  heldOutBuiltinCheck_->setChecked(builtinHeldOut);
  heldOutEdit_->setText(builtinHeldOut ? QString() : QString::fromStdString(s.heldOutData));
  heldOutStepSpin_->setValue(static_cast<int>(std::clamp<std::int64_t>(s.heldOutStepRows, -1, heldOutStepSpin_->maximum())));
  heldOutCrossEntropyCheck_->setChecked(s.heldOutCrossEntropy);
  batchesSpin_->setValue(s.batches);
  batchSizeSpin_->setValue(s.batchSize);
  seqLenSpin_->setValue(s.seqLen);
  selectData(lanczosModeCombo_, static_cast<int>(s.lanczosMode));
  lanczosStepsSpin_->setValue(s.lanczosSteps);
  adaptiveSpin_->setValue(s.adaptiveTolerance);
  maxStepsSpin_->setValue(s.lanczosMaxSteps);
  maxStepsSpin_->setEnabled(s.adaptiveTolerance > 0);
  crossDissipationCheck_->setChecked(s.crossDissipation);
  recomputeCheck_->setChecked(s.recomputeActivations);
  shellsSpin_->setValue(s.shellsPerDecade);
  selectData(deviceCombo_, static_cast<int>(s.device));
  selectData(dtypeCombo_, static_cast<int>(s.dtype));
  seedEdit_->setText(QString::number(static_cast<qulonglong>(s.seed)));
  threadsSpin_->setValue(s.threads);
  updating_ = false;
  revalidate();
}

void ComputeDialog::loadStoredSettings() {
  QSettings stored;
  stored.beginGroup(QStringLiteral("compute"));
  ComputeSettings s;
  const QString folder = stored.value(QStringLiteral("folder")).toString();
  const bool useFolder = stored.value(QStringLiteral("source")).toString() == QLatin1String("folder") &&
                         !folder.isEmpty() && QFileInfo(folder).isDir();
  if (useFolder) {
    s.models = {folder.toStdString()};
  } else {
    const QString builtin = stored.value(QStringLiteral("builtin")).toString();
    s.models = {builtin.isEmpty() ? builtinCombo_->itemData(0).toString().toStdString() : builtin.toStdString()};
  }
  s.data = stored.value(QStringLiteral("data")).toString().toStdString();
  s.dataDtype = stored.value(QStringLiteral("dataDtype")).toString().toStdString();
  s.tokenizer = stored.value(QStringLiteral("tokenizer")).toString().toStdString();
  s.trainingStepRows = stored.value(QStringLiteral("trainingStepRows"), qlonglong(s.trainingStepRows)).toLongLong();
  s.heldOutData = stored.value(QStringLiteral("heldOutData")).toString().toStdString();
  s.heldOutStepRows = stored.value(QStringLiteral("heldOutStepRows"), qlonglong(s.heldOutStepRows)).toLongLong();
  s.heldOutCrossEntropy = stored.value(QStringLiteral("heldOutCrossEntropy"), s.heldOutCrossEntropy).toBool();
  s.batches = stored.value(QStringLiteral("batches"), s.batches).toInt();
  s.batchSize = stored.value(QStringLiteral("batchSize"), s.batchSize).toInt();
  s.seqLen = stored.value(QStringLiteral("seqLen"), s.seqLen).toInt();
  s.lanczosSteps = stored.value(QStringLiteral("lanczosSteps"), s.lanczosSteps).toInt();
  s.adaptiveTolerance = stored.value(QStringLiteral("adaptiveTolerance"), s.adaptiveTolerance).toDouble();
  s.lanczosMaxSteps = stored.value(QStringLiteral("lanczosMaxSteps"), s.lanczosMaxSteps).toInt();
  s.crossDissipation = stored.value(QStringLiteral("crossDissipation"), s.crossDissipation).toBool();
  s.recomputeActivations = stored.value(QStringLiteral("recomputeActivations"), s.recomputeActivations).toBool();
  s.shellsPerDecade = stored.value(QStringLiteral("shellsPerDecade"), s.shellsPerDecade).toInt();
  s.seed = stored.value(QStringLiteral("seed"), qulonglong(s.seed)).toULongLong();
  s.threads = stored.value(QStringLiteral("threads"), s.threads).toInt();
  // Names rather than enum values, so that reordered enums do not change stored choices.
  try {
    s.lanczosMode = parseLanczosMode(stored.value(QStringLiteral("lanczosMode"), QStringLiteral("full")).toString().toStdString());
    s.device = parseDevice(stored.value(QStringLiteral("device"), QStringLiteral("auto")).toString().toStdString());
    s.dtype = parseDType(stored.value(QStringLiteral("dtype"), QStringLiteral("float32")).toString().toStdString());
  } catch (const std::exception&) {
    // A hand-edited or older value: keep the defaults.
  }
  setSettings(s);
  if (!useFolder) folderEdit_->setText(folder);  // remembered, scanned when chosen again
}

void ComputeDialog::storeSettings() const {
  const ComputeSettings s = settings();
  QSettings stored;
  stored.beginGroup(QStringLiteral("compute"));
  stored.setValue(QStringLiteral("source"), folderMode() ? QStringLiteral("folder") : QStringLiteral("builtin"));
  stored.setValue(QStringLiteral("builtin"), builtinCombo_->currentData().toString());
  stored.setValue(QStringLiteral("folder"), folderText());
  stored.setValue(QStringLiteral("data"), QString::fromStdString(s.data));
  stored.setValue(QStringLiteral("dataDtype"), rawDtypeCombo_->currentData().toString());
  stored.setValue(QStringLiteral("tokenizer"), QString::fromStdString(s.tokenizer));
  stored.setValue(QStringLiteral("trainingStepRows"), qlonglong(s.trainingStepRows));
  stored.setValue(QStringLiteral("heldOutData"), QString::fromStdString(s.heldOutData));
  stored.setValue(QStringLiteral("heldOutStepRows"), qlonglong(s.heldOutStepRows));
  stored.setValue(QStringLiteral("heldOutCrossEntropy"), s.heldOutCrossEntropy);
  stored.setValue(QStringLiteral("batches"), s.batches);
  stored.setValue(QStringLiteral("batchSize"), s.batchSize);
  stored.setValue(QStringLiteral("seqLen"), s.seqLen);
  stored.setValue(QStringLiteral("lanczosMode"), QString::fromStdString(toString(s.lanczosMode)));
  stored.setValue(QStringLiteral("lanczosSteps"), s.lanczosSteps);
  stored.setValue(QStringLiteral("adaptiveTolerance"), s.adaptiveTolerance);
  stored.setValue(QStringLiteral("lanczosMaxSteps"), s.lanczosMaxSteps);
  stored.setValue(QStringLiteral("crossDissipation"), s.crossDissipation);
  stored.setValue(QStringLiteral("recomputeActivations"), s.recomputeActivations);
  stored.setValue(QStringLiteral("shellsPerDecade"), s.shellsPerDecade);
  stored.setValue(QStringLiteral("device"), deviceName(s.device));
  stored.setValue(QStringLiteral("dtype"), QString::fromStdString(toString(s.dtype)));
  stored.setValue(QStringLiteral("seed"), qulonglong(s.seed));
  stored.setValue(QStringLiteral("threads"), s.threads);
}

void ComputeDialog::done(int result) {
  if (result == QDialog::Accepted) {
    revalidate();
    if (!isValid()) return;
    storeSettings();
  }
  QDialog::done(result);
}

QString ComputeDialog::jobTitle() const {
  const ComputeSettings s = settings();
  QString what;
  if (!folderMode()) {
    what = builtinCombo_->currentText();
  } else if (scanState_ == ScanState::Done && scanFolder_ == folderText()) {
    const QStringList checked = checkedCheckpoints();
    const CheckpointEntry* first = nullptr;
    for (const CheckpointEntry& entry : entries_) {
      if (!checked.isEmpty() && QString::fromStdString(entry.path) == checked.front()) first = &entry;
    }
    const QString model = first ? QString::fromStdString(first->modelName) : QFileInfo(folderText()).fileName();
    what = checked.size() == 1 && first ? model + QLatin1Char(' ') + QString::fromStdString(first->label)
                                        : tr("%1: %2 checkpoints").arg(model).arg(checked.size());
  } else {
    what = QFileInfo(folderText()).fileName();
  }
  const QString steps = s.adaptiveTolerance > 0
                            ? tr("adaptive m %1-%2, tolerance %3").arg(s.lanczosSteps).arg(s.effectiveMaxSteps()).arg(s.adaptiveTolerance)
                            : tr("%1 Lanczos steps").arg(s.lanczosSteps);
  return tr("%1 (%2×%3×%4, %5%6)")
      .arg(what)
      .arg(s.batches)
      .arg(s.batchSize)
      .arg(s.seqLen)
      .arg(steps, s.hasHeldOut() ? tr(", held-out") : QString());
}

// ---- checkpoint folder -------------------------------------------------------------------------

bool ComputeDialog::folderMode() const { return folderRadio_->isChecked(); }

QString ComputeDialog::folderText() const { return cleanPath(folderEdit_->text().trimmed()); }

bool ComputeDialog::isScanning() const {
  return scanState_ == ScanState::Pending || scanState_ == ScanState::Scanning;
}

void ComputeDialog::setCheckpointFolder(const QString& folder) {
  folderEdit_->setText(folder);
  pendingSelection_.clear();
  {
    const QSignalBlocker blocker(sourceGroup_);
    folderRadio_->setChecked(true);
  }
  startScan(folderText());
}

void ComputeDialog::browseFolder() {
  const QString start = folderText().isEmpty() ? QDir::homePath() : folderText();
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Checkpoint folder"), start);
  if (!folder.isEmpty()) setCheckpointFolder(folder);
}

void ComputeDialog::folderEdited() {
  // Typing: drop the current list and scan once the name has settled.
  ++scanGeneration_;
  pendingSelection_.clear();
  entries_.clear();
  checkpointList_->clear();
  scanState_ = folderText().isEmpty() ? ScanState::Idle : ScanState::Pending;
  scanFolder_.clear();
  {
    const QSignalBlocker blocker(sourceGroup_);  // no immediate scan of a half-typed name
    folderRadio_->setChecked(true);
  }
  scanTimer_->start();
  revalidate();
}

void ComputeDialog::scanIfChanged() {
  if (!folderMode()) return;
  const QString folder = folderText();
  // A failed scan is retried (the disk may have been mounted since).
  const bool current = folder == scanFolder_ && (scanState_ == ScanState::Scanning || scanState_ == ScanState::Done);
  if (!current) startScan(folder);
}

void ComputeDialog::startScan(const QString& folder) {
  scanTimer_->stop();
  const int generation = ++scanGeneration_;
  entries_.clear();
  checkpointList_->clear();
  scanFolder_ = folder;
  scanError_.clear();
  if (folder.isEmpty()) {
    scanState_ = ScanState::Idle;
    revalidate();
    return;
  }
  scanState_ = ScanState::Scanning;
  revalidate();
  auto* watcher = new QFutureWatcher<ScanResult>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
    const ScanResult result = watcher->result();
    watcher->deleteLater();
    if (generation == scanGeneration_) applyScan(result);  // else a newer scan replaced it
  });
  // Off the GUI thread: a folder of many checkpoints on a slow disk takes a while to list.
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [folder] {
    ScanResult result;
    result.folder = folder;
    try {
      result.entries = discoverCheckpoints(folder.toStdString());
    } catch (const FileFormatError& e) {
      result.error = QString::fromStdString(e.problem());
    } catch (const std::exception& e) {
      result.error = QString::fromStdString(e.what());
    }
    return result;
  }));
}

void ComputeDialog::applyScan(const ScanResult& result) {
  scanFolder_ = result.folder;
  if (!result.error.isEmpty()) {
    scanState_ = ScanState::Failed;
    scanError_ = tr("Cannot use %1: %2").arg(result.folder, result.error);
    pendingSelection_.clear();
    revalidate();
    return;
  }
  scanState_ = ScanState::Done;
  entries_ = result.entries;
  QSet<QString> wanted;
  for (const QString& path : pendingSelection_) wanted.insert(cleanPath(path));
  bool severalModels = false;
  for (const CheckpointEntry& entry : entries_) severalModels |= entry.modelName != entries_.front().modelName;

  const QSignalBlocker blocker(checkpointList_);
  checkpointList_->clear();
  for (const CheckpointEntry& entry : entries_) {
    const QString path = QString::fromStdString(entry.path);
    QString text = QString::fromStdString(entry.label);
    if (entry.step >= 0 && entry.label != "step" + std::to_string(entry.step)) {
      text = tr("step %1 (%2)").arg(entry.step).arg(text);
    }
    if (severalModels) text = QString::fromStdString(entry.modelName) + QStringLiteral(" / ") + text;
    auto* item = new QListWidgetItem(text, checkpointList_);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
    item->setCheckState(wanted.isEmpty() || wanted.contains(cleanPath(path)) ? Qt::Checked : Qt::Unchecked);
    item->setData(kPathRole, path);
    item->setToolTip(path);
  }
  pendingSelection_.clear();
  revalidate();
}

void ComputeDialog::setAllChecked(bool checked) {
  {
    const QSignalBlocker blocker(checkpointList_);  // one revalidation, not one per item
    for (int i = 0; i < checkpointList_->count(); ++i) {
      checkpointList_->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    }
  }
  checkpointList_->viewport()->update();
  revalidate();
}

QStringList ComputeDialog::checkedCheckpoints() const {
  QStringList paths;
  for (int i = 0; i < checkpointList_->count(); ++i) {
    const QListWidgetItem* item = checkpointList_->item(i);
    if (item->checkState() == Qt::Checked) paths.append(item->data(kPathRole).toString());
  }
  return paths;
}

// ---- data --------------------------------------------------------------------------------------

ComputeDialog::DataKind ComputeDialog::dataKind() const { return kindOf(dataEdit_->text().trimmed()); }

ComputeDialog::DataKind ComputeDialog::heldOutKind() const {
  if (heldOutBuiltinCheck_->isChecked()) return DataKind::None;
  return kindOf(heldOutEdit_->text().trimmed());
}

ComputeDialog::DataKind ComputeDialog::kindOf(const QString& path) {
  // The same order as openTokenData (token_data.h) tries them.
  if (path.isEmpty()) return DataKind::None;
  QString prefix = path;
  for (const QString& suffix : {QStringLiteral(".bin"), QStringLiteral(".idx")}) {
    if (prefix.endsWith(suffix)) prefix.chop(suffix.size());
  }
  if (QFileInfo::exists(prefix + QStringLiteral(".idx")) &&
      (path == prefix || path.endsWith(QLatin1String(".bin")) || path.endsWith(QLatin1String(".idx")))) {
    return DataKind::MmidIdx;
  }
  if (!QFileInfo(path).isFile()) return DataKind::Missing;
  if (path.endsWith(QLatin1String(".npy"))) return DataKind::Npy;
  if (path.endsWith(QLatin1String(".txt")) || path.endsWith(QLatin1String(".text"))) return DataKind::Text;
  for (const char* extension : {".u8", ".u16", ".u32", ".i32", ".i64"}) {
    if (path.endsWith(QLatin1String(extension))) return DataKind::RawNamed;
  }
  return DataKind::Raw;
}

void ComputeDialog::browseData() {
  const QString current = dataEdit_->text().trimmed();
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Token data"), current.isEmpty() ? QDir::homePath() : QFileInfo(current).path(),
      tr("Token data (*.bin *.idx *.npy *.txt *.text *.u8 *.u16 *.u32 *.i32 *.i64);;All files (*)"));
  if (!path.isEmpty()) dataEdit_->setText(path);
}

void ComputeDialog::browseHeldOut() {
  QString current = heldOutEdit_->text().trimmed();
  if (current.isEmpty()) current = dataEdit_->text().trimmed();
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Held-out token data"), current.isEmpty() ? QDir::homePath() : QFileInfo(current).path(),
      tr("Token data (*.bin *.idx *.npy *.txt *.text *.u8 *.u16 *.u32 *.i32 *.i64);;All files (*)"));
  if (!path.isEmpty()) heldOutEdit_->setText(path);
}

void ComputeDialog::browseTokenizer() {
  const QString current = tokenizerEdit_->text().trimmed();
  const QString path = QFileDialog::getOpenFileName(this, tr("Tokenizer"),
                                                    current.isEmpty() ? QDir::homePath() : QFileInfo(current).path(),
                                                    tr("Tokenizer (*.json);;All files (*)"));
  if (!path.isEmpty()) tokenizerEdit_->setText(path);
}

// ---- validation --------------------------------------------------------------------------------

QString ComputeDialog::findProblem() const {
  const bool folder = folderMode();
  if (!folder && builtinCombo_->currentData().toString().isEmpty()) return tr("Choose a built-in model.");
  if (folder) {
    switch (scanState_) {
      case ScanState::Idle: return tr("Choose a checkpoint folder.");
      case ScanState::Pending:
      case ScanState::Scanning: return tr("Scanning %1…").arg(folderText());
      case ScanState::Failed: return scanError_;
      case ScanState::Done:
        if (checkedCheckpoints().isEmpty()) return tr("No checkpoint selected.");
        break;
    }
  }
  const QString data = dataEdit_->text().trimmed();
  const DataKind kind = dataKind();
  if (kind == DataKind::Missing) return tr("No such data file: %1").arg(data);
  if (folder && kind == DataKind::None) return tr("A checkpoint folder needs token data: choose a data file.");
  const QString tokenizer = tokenizerEdit_->text().trimmed();
  if (kind == DataKind::Text || heldOutKind() == DataKind::Text) {  // one tokenizer for both files
    if (!tokenizer.isEmpty() && !QFileInfo(tokenizer).isFile()) return tr("No such tokenizer file: %1").arg(tokenizer);
    if (tokenizer.isEmpty()) {
      const QStringList checked = folder ? checkedCheckpoints() : QStringList();
      if (checked.isEmpty() || !QFileInfo::exists(checked.front() + QStringLiteral("/tokenizer.json"))) {
        return tr("Text data needs a tokenizer: choose a tokenizer.json (the checkpoint folder has none).");
      }
    }
  }
  if (trainingStepSpin_->value() >= 0 && kind == DataKind::None) {
    return tr("Pythia training-step rows need a data file.");
  }
  // Held-out data (the rest is validate()'s, which names the same fields).
  const QString heldOutLabel = settingLabel("held_out_data");
  if (heldOutBuiltinCheck_->isChecked() && folder) {
    return tr("%1: a checkpoint folder has no built-in held-out batches: name a held-out file instead.").arg(heldOutLabel);
  }
  if (heldOutBuiltinCheck_->isChecked() && kind != DataKind::None) {
    return tr("%1: the built-in model's own held-out batches need its own data: clear the data file, or name a "
              "held-out file.")
        .arg(heldOutLabel);
  }
  if (heldOutKind() == DataKind::Missing) {
    return tr("No such held-out data file: %1").arg(heldOutEdit_->text().trimmed());
  }
  if (deviceCombo_->currentData().toInt() == static_cast<int>(DevicePreference::Cuda) && !cudaAvailable()) {
    return tr("CUDA is not available: this LibTorch build has no CUDA or no GPU is visible.");
  }
  bool seedOk = false;
  seedEdit_->text().toULongLong(&seedOk);
  if (!seedOk) return tr("The seed must be a whole number from 0 to 18446744073709551615.");
  try {
    settings().validate();
  } catch (const SettingError& e) {
    return describeSettingError(e) + '.';
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

void ComputeDialog::revalidate() {
  if (updating_) return;
  const bool folder = folderMode();
  checkpointList_->setEnabled(folder);
  allButton_->setEnabled(folder && checkpointList_->count() > 0);
  noneButton_->setEnabled(folder && checkpointList_->count() > 0);

  // The scan line and the count.
  QString scanText;
  switch (scanState_) {
    case ScanState::Idle: break;
    case ScanState::Pending:
    case ScanState::Scanning: scanText = tr("Scanning…"); break;
    case ScanState::Failed: scanText = scanError_; break;
    case ScanState::Done: break;
  }
  scanLabel_->setText(scanText);
  scanLabel_->setVisible(folder && !scanText.isEmpty());
  scanLabel_->setStyleSheet(scanState_ == ScanState::Failed ? QStringLiteral("color: #c62828;") : QString());
  countLabel_->setText(scanState_ == ScanState::Done
                           ? tr("%1 of %2 checkpoints selected").arg(checkedCheckpoints().size()).arg(entries_.size())
                           : QString());

  // The data rows that apply to this kind of file.
  const DataKind kind = dataKind();
  static const QMap<DataKind, QString> kKinds{
      {DataKind::MmidIdx, QObject::tr("Megatron MMIDIDX dataset (.bin + .idx)")},
      {DataKind::Npy, QObject::tr("NumPy array")},
      {DataKind::Text, QObject::tr("text, tokenized with the tokenizer below")},
      {DataKind::RawNamed, QObject::tr("raw tokens, dtype from the extension")},
      {DataKind::Raw, QObject::tr("raw little-endian tokens of the dtype below")},
  };
  dataKindLabel_->setText(kKinds.value(kind));
  dataForm_->setRowVisible(dataKindLabel_, kKinds.contains(kind));
  dataForm_->setRowVisible(rawDtypeCombo_, kind == DataKind::Raw || heldOutKind() == DataKind::Raw);
  // The built-in model's own held-out batches replace the file and its rows.
  const bool builtinHeldOut = heldOutBuiltinCheck_->isChecked();
  heldOutEdit_->setEnabled(!builtinHeldOut);
  heldOutEdit_->setPlaceholderText(builtinHeldOut ? tr("the built-in model's batches after its training ones")
                                                  : tr("none; read like the data file (same dtype and tokenizer)"));
  heldOutBrowse_->setEnabled(!builtinHeldOut);
  heldOutStepSpin_->setEnabled(!builtinHeldOut);
  dataForm_->setRowVisible(kTokenizerRow, kind == DataKind::Text || heldOutKind() == DataKind::Text);

  problem_ = findProblem();
  messageLabel_->setText(problem_);
  messageLabel_->setVisible(!problem_.isEmpty());
  okButton_->setEnabled(problem_.isEmpty());
}

}  // namespace shellscope::ui

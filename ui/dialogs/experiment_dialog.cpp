#include "ui/dialogs/experiment_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace shellscope::ui {

ExperimentDialog::ExperimentDialog(QWidget* parent)
    : QDialog(parent), folder_(new QLineEdit), size_(new QComboBox), threads_(new QSpinBox) {
  setWindowTitle(tr("Run the Built-in Experiment"));
  QSettings settings;
  folder_->setText(settings.value("experiment/folder", QDir::home().filePath("shellscope-demo")).toString());
  size_->addItem(tr("Standard: 3 models, 15 checkpoints each (about 6 min on 2 cores)"), QStringLiteral("standard"));
  size_->addItem(tr("Quick: a smaller corpus and shorter training (about 1 min)"), QStringLiteral("quick"));
  size_->setCurrentIndex(settings.value("experiment/size", "standard").toString() == "quick" ? 1 : 0);
  threads_->setRange(0, QThread::idealThreadCount());
  threads_->setSpecialValueText(tr("all cores"));
  threads_->setValue(0);
  folder_->setToolTip(tr("Where the checkpoints, the data and session.h5 go; a stopped experiment there is resumed"));
  size_->setToolTip(tr("How much to train: the standard run is the one the docs' figures show"));
  threads_->setToolTip(tr("CPU threads for training and the products; all cores: every available core"));
  auto* browse = new QPushButton(tr("&Browse…"));
  browse->setToolTip(tr("Choose the experiment folder"));
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_, 1);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout;
  auto* folderLabel = new QLabel(tr("&Folder:"));
  folderLabel->setBuddy(folder_);  // the row is a layout, which has no buddy of its own
  form->addRow(folderLabel, folderRow);
  form->addRow(tr("&Experiment:"), size_);
  form->addRow(tr("&Cores:"), threads_);
  auto* note = new QLabel(tr("Trains small GPT-NeoX models on a synthetic language, keeps Pythia-style checkpoints and "
                             "computes the shell energies of every checkpoint into <i>folder</i>/session.h5. "
                             "A folder with a stopped experiment is resumed where it stopped."));
  note->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("&Run"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(note);
  layout->addLayout(form);
  layout->addWidget(buttons);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Experiment folder"), folder_->text());
    if (!chosen.isEmpty()) folder_->setText(chosen);
  });
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    if (folder_->text().trimmed().isEmpty()) return;
    QSettings settings;
    settings.setValue("experiment/folder", folder_->text().trimmed());
    settings.setValue("experiment/size", size_->currentData());
    accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

ExperimentSettings ExperimentDialog::settings() const {
  ExperimentSettings s = size_->currentData().toString() == "quick" ? ExperimentSettings::quick() : ExperimentSettings::standard();
  s.outDir = folder_->text().trimmed().toStdString();
  s.threads = threads_->value();
  return s;
}

}  // namespace shellscope::ui

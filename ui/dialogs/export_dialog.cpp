#include "ui/dialogs/export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <memory>

#include "ui/charts/animation_chart.h"

namespace shellscope::ui {

namespace {

struct Preset {
  const char* name;
  int width, height, dpi, font;
  double lineWidth;
  Qt::Alignment legend;
};

// Sizes are logical (1/96 inch), so a figure placed at its natural size in a paper has these fonts.
const Preset kPresets[] = {
    {"Journal, one column (3.4 × 2.5 in, 300 dpi)", 326, 240, 300, 7, 1.2, Qt::AlignBottom},
    {"Journal, two columns (7 × 3.5 in, 300 dpi)", 672, 336, 300, 8, 1.5, Qt::AlignRight},
    {"Slide, 16:9", 1280, 720, 150, 16, 3.0, Qt::AlignRight},
    {"Screen (900 × 600)", 900, 600, 150, 10, 2.0, Qt::AlignRight},
};

const std::pair<const char*, int> kLegendPlaces[] = {
    {"right", Qt::AlignRight}, {"top", Qt::AlignTop}, {"bottom", Qt::AlignBottom}, {"left", Qt::AlignLeft}, {"hidden", 0}};

QSpinBox* spin(int low, int high, int value, const QString& suffix = {}) {
  auto* box = new QSpinBox;
  box->setRange(low, high);
  box->setValue(value);
  box->setSuffix(suffix);
  return box;
}

QString withSuffix(QString path, const QString& suffix) {
  if (QFileInfo(path).suffix().isEmpty()) path += suffix;
  return path;
}

}  // namespace

FigureStyleForm::FigureStyleForm(QWidget* parent)
    : QWidget(parent),
      preset_(new QComboBox),
      width_(spin(120, 8000, 900, tr(" px"))),
      height_(spin(90, 8000, 600, tr(" px"))),
      dpi_(spin(72, 1200, 150, tr(" dpi"))),
      font_(spin(5, 48, 10, tr(" pt"))),
      lineWidth_(new QDoubleSpinBox),
      legend_(new QComboBox),
      sizeNote_(new QLabel) {
  preset_->addItem(tr("Custom"));
  for (const Preset& p : kPresets) preset_->addItem(tr(p.name));
  lineWidth_->setRange(0.5, 10);
  lineWidth_->setSingleStep(0.25);
  lineWidth_->setValue(2.0);
  lineWidth_->setSuffix(tr(" pt"));
  for (const auto& [name, alignment] : kLegendPlaces) legend_->addItem(tr(name), alignment);
  preset_->setToolTip(tr("Sizes and fonts for a journal column, a full page width or a slide; Custom: as set below"));
  width_->setToolTip(tr("Logical size in 1/96 inch: the size the figure has in a document"));
  height_->setToolTip(width_->toolTip());
  font_->setToolTip(tr("Size of the axis labels, titles and legend"));
  lineWidth_->setToolTip(tr("Width of the curves"));
  legend_->setToolTip(tr("Where the legend goes, or hidden"));
  dpi_->setToolTip(tr("Resolution of PNG files (SVG and PDF are vector graphics)"));
  sizeNote_->setEnabled(false);

  auto* size = new QHBoxLayout;
  size->addWidget(width_);
  size->addWidget(new QLabel(QString::fromUtf8("×")));
  size->addWidget(height_);
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  form->addRow(tr("&Preset:"), preset_);
  form->addRow(tr("Size:"), size);
  form->addRow(QString(), sizeNote_);
  form->addRow(tr("&Resolution:"), dpi_);
  form->addRow(tr("&Font size:"), font_);
  form->addRow(tr("&Line width:"), lineWidth_);
  form->addRow(tr("Le&gend:"), legend_);

  connect(preset_, &QComboBox::activated, this, &FigureStyleForm::applyPreset);
  for (QSpinBox* box : {width_, height_, dpi_, font_}) {
    connect(box, &QSpinBox::valueChanged, this, [this] {
      updateSizeNote();
      Q_EMIT changed();
    });
  }
  connect(lineWidth_, &QDoubleSpinBox::valueChanged, this, &FigureStyleForm::changed);
  connect(legend_, &QComboBox::currentIndexChanged, this, &FigureStyleForm::changed);
  updateSizeNote();
}

void FigureStyleForm::applyPreset(int index) {
  if (index <= 0) return;
  const Preset& p = kPresets[index - 1];
  FigureSettings s;
  s.options.size = QSize(p.width, p.height);
  s.options.dpi = p.dpi;
  s.style.fontPointSize = p.font;
  s.style.lineWidth = p.lineWidth;
  s.style.legendAlignment = p.legend;
  setSettings(s);
  preset_->setCurrentIndex(index);
}

void FigureStyleForm::updateSizeNote() {
  const double inchesW = width_->value() / 96.0, inchesH = height_->value() / 96.0;
  sizeNote_->setText(tr("%1 × %2 in (%3 × %4 cm); PNG %5 × %6 pixels")
                         .arg(inchesW, 0, 'f', 2)
                         .arg(inchesH, 0, 'f', 2)
                         .arg(inchesW * 2.54, 0, 'f', 1)
                         .arg(inchesH * 2.54, 0, 'f', 1)
                         .arg(qRound(inchesW * dpi_->value()))
                         .arg(qRound(inchesH * dpi_->value())));
}

FigureSettings FigureStyleForm::settings() const {
  FigureSettings s;
  s.options.size = QSize(width_->value(), height_->value());
  s.options.dpi = dpi_->value();
  s.style.fontPointSize = font_->value();
  s.style.lineWidth = lineWidth_->value();
  const int legend = legend_->currentData().toInt();
  s.style.legend = legend != 0;
  s.style.legendAlignment = legend ? Qt::Alignment(legend) : Qt::AlignRight;
  s.style.dark = false;  // figures for papers are light
  return s;
}

void FigureStyleForm::setSettings(const FigureSettings& s) {
  const QSignalBlocker blocks[] = {QSignalBlocker(width_), QSignalBlocker(height_), QSignalBlocker(dpi_),
                                   QSignalBlocker(font_), QSignalBlocker(lineWidth_), QSignalBlocker(legend_)};
  width_->setValue(s.options.size.width());
  height_->setValue(s.options.size.height());
  dpi_->setValue(s.options.dpi);
  font_->setValue(s.style.fontPointSize);
  lineWidth_->setValue(s.style.lineWidth);
  legend_->setCurrentIndex(std::max(0, legend_->findData(s.style.legend ? int(s.style.legendAlignment) : 0)));
  preset_->setCurrentIndex(0);
  updateSizeNote();
  Q_EMIT changed();
}

FigureSettings rememberedFigureSettings() {
  QSettings settings;
  settings.beginGroup("export");
  FigureSettings s;
  s.options.size = settings.value("size", s.options.size).toSize();
  s.options.dpi = settings.value("dpi", s.options.dpi).toInt();
  s.style.fontPointSize = settings.value("font", s.style.fontPointSize).toInt();
  s.style.lineWidth = settings.value("lineWidth", s.style.lineWidth).toDouble();
  s.style.legend = settings.value("legend", s.style.legend).toBool();
  s.style.legendAlignment = Qt::Alignment(settings.value("legendAlignment", int(s.style.legendAlignment)).toInt());
  return s;
}

void FigureStyleForm::load() { setSettings(rememberedFigureSettings()); }

void FigureStyleForm::save() const { rememberFigureSettings(settings()); }

void rememberFigureSettings(const FigureSettings& s) {
  QSettings settings;
  settings.beginGroup("export");
  settings.setValue("size", s.options.size);
  settings.setValue("dpi", s.options.dpi);
  settings.setValue("font", s.style.fontPointSize);
  settings.setValue("lineWidth", s.style.lineWidth);
  settings.setValue("legend", s.style.legend);
  settings.setValue("legendAlignment", int(s.style.legendAlignment));
}

ExportDialog::ExportDialog(ChartFactory makeChart, const QString& suggestedPath, QWidget* parent)
    : QDialog(parent), makeChart_(std::move(makeChart)), form_(new FigureStyleForm), path_(new QLineEdit(suggestedPath)),
      preview_(new QLabel), error_(new QLabel) {
  setWindowTitle(tr("Export Figure"));
  form_->load();
  auto* browse = new QPushButton(tr("&Browse…"));
  auto* pathRow = new QHBoxLayout;
  pathRow->addWidget(path_, 1);
  pathRow->addWidget(browse);
  path_->setToolTip(tr("The format follows the extension: .png, .svg or .pdf"));
  browse->setToolTip(tr("Choose the file to write"));
  preview_->setMinimumSize(420, 300);
  preview_->setAlignment(Qt::AlignCenter);
  preview_->setFrameShape(QFrame::StyledPanel);
  error_->setStyleSheet("color: #c0392b");
  error_->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);

  auto* left = new QVBoxLayout;
  auto* fileLabel = new QLabel(tr("&File:"));
  fileLabel->setBuddy(path_);
  left->addWidget(fileLabel);
  left->addLayout(pathRow);
  left->addWidget(form_);
  left->addStretch();
  auto* columns = new QHBoxLayout;
  columns->addLayout(left);
  columns->addWidget(preview_, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(columns);
  layout->addWidget(error_);
  layout->addWidget(buttons);

  connect(browse, &QPushButton::clicked, this, [this] {
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export Figure"), path(),
                                                        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (!chosen.isEmpty()) setPath(chosen);
  });
  connect(buttons, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(path_, &QLineEdit::textChanged, this, &ExportDialog::validate);
  // The preview is rebuilt a moment after the last change, not on every keystroke.
  previewTimer_.setSingleShot(true);
  previewTimer_.setInterval(150);
  connect(&previewTimer_, &QTimer::timeout, this, &ExportDialog::updatePreview);
  connect(form_, &FigureStyleForm::changed, &previewTimer_, qOverload<>(&QTimer::start));
  validate();
  updatePreview();
}

QString ExportDialog::path() const { return withSuffix(path_->text().trimmed(), ".png"); }

void ExportDialog::setPath(const QString& path) { path_->setText(path); }

void ExportDialog::validate() {
  const QString suffix = QFileInfo(path()).suffix().toLower();
  const bool ok = !path_->text().trimmed().isEmpty() && (suffix == "png" || suffix == "svg" || suffix == "pdf");
  error_->setText(ok ? QString() : tr("Choose a file name ending in .png, .svg or .pdf."));
  if (auto* box = findChild<QDialogButtonBox*>()) box->button(QDialogButtonBox::Save)->setEnabled(ok);
}

void ExportDialog::updatePreview() {
  FigureSettings s = form_->settings();
  std::unique_ptr<QChart> chart(makeChart_(s.style));
  if (!chart) {
    preview_->setText(tr("Nothing to export"));
    return;
  }
  // The preview shows the whole figure at its real proportions, scaled to fit.
  const QSize box = preview_->size() - QSize(8, 8);
  const double scale = std::min(double(box.width()) / s.options.size.width(), double(box.height()) / s.options.size.height());
  s.options.dpi = std::max(24, int(96 * std::min(scale, 2.0)));
  preview_->setPixmap(QPixmap::fromImage(renderChartImage(chart.get(), s.options)));
}

void ExportDialog::accept() {
  form_->save();
  QDialog::accept();
}

AnimationExportDialog::AnimationExportDialog(int checkpoints, const QString& suggestedFolder, QWidget* parent)
    : QDialog(parent),
      checkpoints_(checkpoints),
      form_(new FigureStyleForm),
      folder_(new QLineEdit(suggestedFolder)),
      frames_(spin(1, 240, 12)),
      fps_(spin(1, 120, 24, tr(" fps"))),
      video_(new QCheckBox(tr("Also encode a &video (animation.mp4)"))),
      note_(new QLabel) {
  setWindowTitle(tr("Export Animation"));
  form_->load();
  const bool ffmpeg = !findFfmpeg().isEmpty();
  video_->setEnabled(ffmpeg);
  video_->setChecked(ffmpeg);
  video_->setToolTip(ffmpeg ? tr("Encode the frames with ffmpeg into animation.mp4 in the folder")
                            : tr("Install ffmpeg to encode a video from the frames"));
  auto* browse = new QPushButton(tr("&Browse…"));
  browse->setToolTip(tr("Choose the folder for the frames"));
  folder_->setToolTip(tr("The frames are written here as frame-0000.png, …"));
  frames_->setToolTip(tr("Frames drawn between two checkpoints (the profile is interpolated in log E)"));
  fps_->setToolTip(tr("Frames per second of the video"));
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_, 1);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow(tr("F&older:"), folderRow);
  form->addRow(tr("Frames per &checkpoint:"), frames_);
  form->addRow(tr("Frame &rate:"), fps_);
  form->addRow(QString(), video_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(form_);
  layout->addWidget(note_);
  layout->addWidget(buttons);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Folder for the frames"), folder());
    if (!chosen.isEmpty()) folder_->setText(chosen);
  });
  connect(frames_, &QSpinBox::valueChanged, this, &AnimationExportDialog::updateNote);
  connect(fps_, &QSpinBox::valueChanged, this, &AnimationExportDialog::updateNote);
  connect(buttons, &QDialogButtonBox::accepted, this, &AnimationExportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  updateNote();
}

QString AnimationExportDialog::folder() const { return folder_->text().trimmed(); }
int AnimationExportDialog::framesPerCheckpoint() const { return frames_->value(); }
int AnimationExportDialog::framesPerSecond() const { return fps_->value(); }
bool AnimationExportDialog::makeVideo() const { return video_->isChecked(); }

void AnimationExportDialog::updateNote() {
  const int frames = checkpoints_ > 0 ? (checkpoints_ - 1) * frames_->value() + 1 : 0;
  note_->setText(tr("%1 frames (frame_0000.png …), %2 s at %3 fps.")
                     .arg(frames)
                     .arg(double(frames) / fps_->value(), 0, 'f', 1)
                     .arg(fps_->value()));
}

void AnimationExportDialog::accept() {
  if (folder().isEmpty()) return;
  form_->save();
  QDialog::accept();
}

}  // namespace shellscope::ui

#pragma once
// Exporting figures: the size, resolution, fonts, line widths and legend placement of a figure for
// a paper (FigureStyleForm, with presets for one and two journal columns and slides), a dialog for
// one chart as PNG/SVG/PDF with a live preview, and one for the animation as numbered PNG frames
// (and a video when ffmpeg is installed). The settings are remembered between exports.

#include <QDialog>
#include <QTimer>
#include <functional>

#include "ui/charts/chart_builders.h"
#include "ui/figures/figure_export.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
QT_END_NAMESPACE

namespace shellscope::ui {

/// The export settings remembered from the last export (QSettings "export/..."), defaults before.
FigureSettings rememberedFigureSettings();
/// Makes `settings` the remembered ones (the export dialog starts from them).
void rememberFigureSettings(const FigureSettings& settings);

/// The publication settings of a figure.
class FigureStyleForm : public QWidget {
  Q_OBJECT
 public:
  explicit FigureStyleForm(QWidget* parent = nullptr);
  FigureSettings settings() const;
  void setSettings(const FigureSettings& settings);
  /// Stored under "export/..." in QSettings.
  void load();
  void save() const;

 Q_SIGNALS:
  void changed();

 private:
  void applyPreset(int index);
  void updateSizeNote();

  QComboBox* preset_;
  QSpinBox* width_;
  QSpinBox* height_;
  QSpinBox* dpi_;
  QSpinBox* font_;
  QDoubleSpinBox* lineWidth_;
  QComboBox* legend_;
  QLabel* sizeNote_;
};

/// One chart to a file. `makeChart(style)` builds the chart as shown in `style` (caller-owned).
class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  using ChartFactory = std::function<QChart*(const ChartStyle&)>;
  ExportDialog(ChartFactory makeChart, const QString& suggestedPath, QWidget* parent = nullptr);

  QString path() const;
  FigureSettings settings() const { return form_->settings(); }
  FigureStyleForm* form() const { return form_; }
  void setPath(const QString& path);

  void accept() override;

 private:
  void updatePreview();
  void validate();

  ChartFactory makeChart_;
  FigureStyleForm* form_;
  QLineEdit* path_;
  QLabel* preview_;
  QLabel* error_;
  QTimer previewTimer_;
};

/// The animation as frames (and optionally a video).
class AnimationExportDialog : public QDialog {
  Q_OBJECT
 public:
  AnimationExportDialog(int checkpoints, const QString& suggestedFolder, QWidget* parent = nullptr);

  QString folder() const;
  int framesPerCheckpoint() const;
  int framesPerSecond() const;
  bool makeVideo() const;
  FigureSettings settings() const { return form_->settings(); }

  void accept() override;

 private:
  void updateNote();

  int checkpoints_;
  FigureStyleForm* form_;
  QLineEdit* folder_;
  QSpinBox* frames_;
  QSpinBox* fps_;
  QCheckBox* video_;
  QLabel* note_;
};

}  // namespace shellscope::ui

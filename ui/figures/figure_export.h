#pragma once
// Rendering a chart to a file without a window: PNG (size and DPI), SVG and PDF (vector).

#include <QImage>
#include <QSize>
#include <QString>

#include "ui/charts/chart_builders.h"

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace shellscope::ui {

struct ExportOptions {
  QSize size{900, 600};  ///< logical size in points/pixels at 96 DPI
  int dpi = 150;         ///< PNG resolution
};

/// A figure's style and size: what the export dialog sets and a view state keeps.
struct FigureSettings {
  ChartStyle style;
  ExportOptions options;
};

/// Writes `chart` to `path`; the format follows the extension (.png, .svg, .pdf). Takes ownership
/// of nothing; throws std::runtime_error naming the file when it cannot be written.
void exportChart(QChart* chart, const QString& path, const ExportOptions& options = {});

/// `chart` laid out at `options.size` and painted at options.dpi (previews, PNG files).
QImage renderChartImage(QChart* chart, const ExportOptions& options);

/// Makes sure a QApplication exists for rendering (offscreen when there is no display).
void ensureGuiApplication();

}  // namespace shellscope::ui

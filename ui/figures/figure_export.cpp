#include "ui/figures/figure_export.h"

#include <QApplication>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QtCharts/QChart>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <memory>
#include <stdexcept>

namespace shellscope::ui {

void ensureGuiApplication() {
  if (QApplication::instance()) return;
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY") && !std::getenv("QT_QPA_PLATFORM")) {
    ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
  }
  if (!std::getenv("XDG_RUNTIME_DIR")) {  // Qt warns without one (root shells, CI)
    const std::string dir = "/tmp/shellscope-runtime-" + std::to_string(::getuid());
    ::mkdir(dir.c_str(), 0700);
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  static int argc = 1;
  static char name[] = "shellscope";
  static char* argv[] = {name, nullptr};
  // Never destroyed: ~QApplication from the exit handlers runs Qt's post routines after other
  // static Qt state is gone and crashed `render` on exit (after the figure was written).
  static QApplication* app = new QApplication(argc, argv);
  (void)app;
}

namespace {

/// Lays the chart out at `size` in a scene and paints it.
void paint(QChart* chart, QPainter& painter, const QSizeF& size, const QRectF& target) {
  QGraphicsScene scene;
  scene.addItem(chart);
  chart->setGeometry(QRectF(QPointF(0, 0), size));
  chart->setBackgroundBrush(Qt::white);
  // Changes since the last layout (a new title, new axis ranges) wait for an event loop that an
  // export does not run: lay out now.
  QCoreApplication::sendPostedEvents(chart, QEvent::LayoutRequest);
  if (chart->layout()) chart->layout()->activate();
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setRenderHint(QPainter::TextAntialiasing);
  scene.render(&painter, target, QRectF(QPointF(0, 0), size));
  scene.removeItem(chart);
}

}  // namespace

QImage renderChartImage(QChart* chart, const ExportOptions& options) {
  ensureGuiApplication();
  const QSizeF size(options.size);
  const double scale = options.dpi / 96.0;
  QImage image((size * scale).toSize(), QImage::Format_ARGB32);
  image.setDotsPerMeterX(static_cast<int>(options.dpi / 0.0254));
  image.setDotsPerMeterY(static_cast<int>(options.dpi / 0.0254));
  image.fill(Qt::white);
  QPainter painter(&image);
  paint(chart, painter, size, QRectF(QPointF(0, 0), size * scale));
  painter.end();
  return image;
}

void exportChart(QChart* chart, const QString& path, const ExportOptions& options) {
  ensureGuiApplication();
  const QSizeF size(options.size);
  if (path.endsWith(".png", Qt::CaseInsensitive)) {
    if (!renderChartImage(chart, options).save(path)) {
      throw std::runtime_error(path.toStdString() + ": cannot write the PNG file");
    }
  } else if (path.endsWith(".svg", Qt::CaseInsensitive)) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(options.size);
    svg.setViewBox(QRect(QPoint(0, 0), options.size));
    svg.setTitle(chart->title());
    QPainter painter;
    if (!painter.begin(&svg)) throw std::runtime_error(path.toStdString() + ": cannot write the SVG file");
    paint(chart, painter, size, QRectF(QPointF(0, 0), size));
  } else if (path.endsWith(".pdf", Qt::CaseInsensitive)) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QSizeF(size.width() * 72.0 / 96.0, size.height() * 72.0 / 96.0), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setResolution(300);
    QPainter painter;
    if (!painter.begin(&pdf)) throw std::runtime_error(path.toStdString() + ": cannot write the PDF file");
    paint(chart, painter, size, QRectF(QPointF(0, 0), QSizeF(pdf.width(), pdf.height())));
  } else {
    throw std::runtime_error(path.toStdString() + ": unknown figure format (use .png, .svg or .pdf)");
  }
}

}  // namespace shellscope::ui

#include "ui/themed_icon.h"

#include <QApplication>
#include <QColor>
#include <QIconEngine>
#include <QImage>
#include <QPainter>
#include <QPalette>
#include <QPixmap>

namespace shellscope::ui {

namespace {

/// Mostly dark opaque pixels: line art drawn for a light background (the media and reload icons),
/// unlike the coloured file, folder and disk icons, which read well on either palette.
bool isDarkLineArt(const QPixmap& pixmap) {
  const QImage image = pixmap.toImage().convertToFormat(QImage::Format_ARGB32);
  double lightness = 0;
  int opaque = 0;
  for (int y = 0; y < image.height(); ++y) {
    const auto* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    for (int x = 0; x < image.width(); ++x) {
      if (qAlpha(line[x]) < 128) continue;
      lightness += QColor(line[x]).lightness();
      ++opaque;
    }
  }
  return opaque > 0 && lightness / opaque < 90;
}

class ThemedIconEngine : public QIconEngine {
 public:
  explicit ThemedIconEngine(QStyle::StandardPixmap which) : which_(which) {}

  QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override {
    QPixmap pixmap = QApplication::style()->standardIcon(which_).pixmap(size, mode, state);
    const QPalette palette = QApplication::palette();
    if (pixmap.isNull() || palette.color(QPalette::Window).lightness() >= 128 || !isDarkLineArt(pixmap)) return pixmap;
    const QPalette::ColorGroup group = mode == QIcon::Disabled ? QPalette::Disabled : QPalette::Active;
    QPainter painter(&pixmap);
    painter.setCompositionMode(QPainter::CompositionMode_SourceIn);  // keep the shape, take the colour
    painter.fillRect(pixmap.rect(), palette.color(group, QPalette::ButtonText));
    return pixmap;
  }

  void paint(QPainter* painter, const QRect& rect, QIcon::Mode mode, QIcon::State state) override {
    const qreal ratio = painter->device() ? painter->device()->devicePixelRatioF() : 1.0;
    QPixmap image = pixmap(rect.size() * ratio, mode, state);
    image.setDevicePixelRatio(ratio);
    painter->drawPixmap(rect, image);
  }

  QIconEngine* clone() const override { return new ThemedIconEngine(which_); }

 private:
  QStyle::StandardPixmap which_;
};

}  // namespace

QIcon themedStandardIcon(QStyle::StandardPixmap which) { return QIcon(new ThemedIconEngine(which)); }

}  // namespace shellscope::ui

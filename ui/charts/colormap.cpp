#include "ui/charts/colormap.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace shellscope::ui {

QColor sequentialColor(double t) {
  static const std::array<QColor, 9> anchors{QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2d, 0x7b), QColor(0x3b, 0x52, 0x8b),
                                             QColor(0x2c, 0x72, 0x8e), QColor(0x21, 0x91, 0x8c), QColor(0x28, 0xae, 0x80),
                                             QColor(0x5e, 0xc9, 0x62), QColor(0xad, 0xdc, 0x30), QColor(0xfd, 0xe7, 0x25)};
  const double x = std::clamp(t, 0.0, 1.0) * (anchors.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), anchors.size() - 2);
  const double f = x - static_cast<double>(i);
  const QColor& a = anchors[i];
  const QColor& b = anchors[i + 1];
  return QColor::fromRgbF(static_cast<float>(a.redF() + f * (b.redF() - a.redF())),
                          static_cast<float>(a.greenF() + f * (b.greenF() - a.greenF())),
                          static_cast<float>(a.blueF() + f * (b.blueF() - a.blueF())));
}

QColor categoricalColor(int index) {
  static const std::array<QColor, 7> palette{QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00), QColor(0x00, 0x9E, 0x73),
                                             QColor(0xCC, 0x79, 0xA7), QColor(0xE6, 0x9F, 0x00), QColor(0x56, 0xB4, 0xE9),
                                             QColor(0x00, 0x00, 0x00)};
  return palette[static_cast<std::size_t>(std::abs(index)) % palette.size()];
}

}  // namespace shellscope::ui

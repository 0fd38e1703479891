#include "ui/charts/colormap.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace shellscope::ui {

namespace {

using Anchors = std::array<QColor, 9>;

QColor interpolate(const Anchors& anchors, double t) {
  const double x = std::clamp(t, 0.0, 1.0) * (anchors.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), anchors.size() - 2);
  const double f = x - static_cast<double>(i);
  const QColor& a = anchors[i];
  const QColor& b = anchors[i + 1];
  return QColor::fromRgbF(static_cast<float>(a.redF() + f * (b.redF() - a.redF())),
                          static_cast<float>(a.greenF() + f * (b.greenF() - a.greenF())),
                          static_cast<float>(a.blueF() + f * (b.blueF() - a.blueF())));
}

const Anchors kViridis{QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2d, 0x7b), QColor(0x3b, 0x52, 0x8b),
                       QColor(0x2c, 0x72, 0x8e), QColor(0x21, 0x91, 0x8c), QColor(0x28, 0xae, 0x80),
                       QColor(0x5e, 0xc9, 0x62), QColor(0xad, 0xdc, 0x30), QColor(0xfd, 0xe7, 0x25)};
const Anchors kPlasma{QColor(0x0d, 0x08, 0x87), QColor(0x46, 0x03, 0x9f), QColor(0x72, 0x01, 0xa8),
                      QColor(0x9c, 0x17, 0x9e), QColor(0xbd, 0x37, 0x86), QColor(0xd8, 0x57, 0x6b),
                      QColor(0xed, 0x79, 0x53), QColor(0xfb, 0x9f, 0x3a), QColor(0xf0, 0xf9, 0x21)};
const Anchors kCividis{QColor(0x00, 0x22, 0x4e), QColor(0x12, 0x35, 0x70), QColor(0x3b, 0x49, 0x6c),
                       QColor(0x57, 0x5d, 0x6d), QColor(0x70, 0x71, 0x73), QColor(0x8a, 0x86, 0x78),
                       QColor(0xa5, 0x9c, 0x74), QColor(0xc3, 0xb3, 0x69), QColor(0xfe, 0xe8, 0x38)};

}  // namespace

QColor sequentialColor(double t) { return interpolate(kViridis, t); }

QColor sequentialColor(int map, double t) {
  switch (std::abs(map) % 3) {
    case 1: return interpolate(kPlasma, t);
    case 2: return interpolate(kCividis, t);
    default: return interpolate(kViridis, t);
  }
}

QColor categoricalColor(int index) {
  static const std::array<QColor, 7> palette{QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00), QColor(0x00, 0x9E, 0x73),
                                             QColor(0xCC, 0x79, 0xA7), QColor(0xE6, 0x9F, 0x00), QColor(0x56, 0xB4, 0xE9),
                                             QColor(0x00, 0x00, 0x00)};
  return palette[static_cast<std::size_t>(std::abs(index)) % palette.size()];
}

}  // namespace shellscope::ui

#pragma once
// Qt's standard media and reload icons are black line art: invisible on a dark palette. A themed
// icon draws the style's standard icon and, when the application palette is dark and the icon is
// dark line art, repaints its strokes in the palette's button-text colour. It is re-drawn at every paint, so it follows a
// theme change without anyone resetting it.

#include <QIcon>
#include <QStyle>

namespace shellscope::ui {

QIcon themedStandardIcon(QStyle::StandardPixmap which);

}  // namespace shellscope::ui

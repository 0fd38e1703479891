#include "ui/document/cursor_model.h"

namespace shellscope::ui {

void CursorModel::setHover(CursorAxis axis, double value) {
  double& hover = axis == CursorAxis::Lambda ? hoverLambda_ : hoverStep_;
  if (!usable(axis, value)) value = NAN;
  if (hover == value || (std::isnan(hover) && std::isnan(value))) return;
  hover = value;
  Q_EMIT hoverChanged(axis);
}

void CursorModel::pin(CursorAxis axis, double value) {
  if (!usable(axis, value)) return;
  std::vector<double>& pins = list(axis);
  if (pins.size() < 2) {
    pins.push_back(value);
  } else {
    const auto distance = [axis](double a, double b) {
      return axis == CursorAxis::Lambda ? std::abs(std::log(a / b)) : std::abs(a - b);
    };
    const std::size_t nearer = distance(pins[0], value) <= distance(pins[1], value) ? 0 : 1;
    pins[nearer] = value;
  }
  Q_EMIT pinnedChanged(axis);
}

void CursorModel::setPinned(CursorAxis axis, const std::vector<double>& values) {
  std::vector<double> pins;
  for (double v : values) {
    if (usable(axis, v) && pins.size() < 2) pins.push_back(v);
  }
  if (pins == list(axis)) return;
  list(axis) = pins;
  Q_EMIT pinnedChanged(axis);
}

void CursorModel::clearPinned() {
  setPinned(CursorAxis::Lambda, {});
  setPinned(CursorAxis::Step, {});
}

}  // namespace shellscope::ui

#pragma once
// Linked cursors: one λ cursor and one step cursor shared by every view with such an axis. Each
// has a hover position, which follows the mouse in whichever view it is over (NaN when it is over
// none), and up to two pinned positions. With two pinned, views read out what lies between them:
// Δlog₁₀ λ (or Δstep) and the ratio or difference of the quantity under them (ChartPage::cursorReadout).
// Pinned positions are part of a view state; hover positions are not.

#include <QObject>
#include <cmath>
#include <vector>

namespace shellscope::ui {

enum class CursorAxis { Lambda, Step };

class CursorModel : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;

  double hover(CursorAxis axis) const { return axis == CursorAxis::Lambda ? hoverLambda_ : hoverStep_; }
  /// The pinned positions, in the order they were pinned (at most two).
  const std::vector<double>& pinned(CursorAxis axis) const { return axis == CursorAxis::Lambda ? lambda_ : step_; }

  /// NaN: the mouse left the views of that axis.
  void setHover(CursorAxis axis, double value);
  /// Pins a cursor at `value`: the first or second; with two pinned, the one nearer `value` moves
  /// there (in log λ for λ, linearly for steps). λ must be positive and finite, a step finite.
  void pin(CursorAxis axis, double value);
  /// Replaces the pinned positions (a view state); invalid values are dropped, at most two kept.
  void setPinned(CursorAxis axis, const std::vector<double>& values);
  void clearPinned();

  static bool usable(CursorAxis axis, double value) { return std::isfinite(value) && (axis == CursorAxis::Step || value > 0); }

 Q_SIGNALS:
  void hoverChanged(CursorAxis axis);
  void pinnedChanged(CursorAxis axis);

 private:
  std::vector<double>& list(CursorAxis axis) { return axis == CursorAxis::Lambda ? lambda_ : step_; }
  double hoverLambda_ = NAN, hoverStep_ = NAN;
  std::vector<double> lambda_, step_;
};

}  // namespace shellscope::ui

#include "ui/views/chart_page.h"

#include <QJsonArray>
#include <QStringList>
#include <cmath>

#include "ui/charts/cursor_marks.h"
#include "ui/views/page_state.h"

namespace shellscope::ui {

QChart* ChartPage::exportFigure(const ChartStyle& style, const CursorModel* cursors) const {
  QChart* chart = exportChart(style);
  if (!chart || !cursors) return chart;
  for (const CursorAxis axis : {CursorAxis::Lambda, CursorAxis::Step}) {
    if (exportHasCursorAxis(axis)) addCursorMarks(chart, axis, cursors->pinned(axis), cursorAlong(axis), style);
  }
  return chart;
}

QString cursorReadout(bool lambdaAxis, const std::vector<double>& pinned, const std::vector<CursorReading>& readings) {
  if (pinned.empty()) return {};
  const auto full = [](double v) { return QString::number(v, 'g', 10); };
  const QString axis = lambdaAxis ? QString::fromUtf8("λ") : QStringLiteral("step");
  QStringList parts;
  for (std::size_t i = 0; i < pinned.size(); ++i) parts << QStringLiteral("%1%2 = %3").arg(axis).arg(i + 1).arg(full(pinned[i]));
  if (pinned.size() == 2) {
    parts << (lambdaAxis ? QString::fromUtf8("Δlog₁₀λ = %1").arg(full(std::log10(pinned[1] / pinned[0])))
                         : QString::fromUtf8("Δstep = %1").arg(full(pinned[1] - pinned[0])));
  }
  QString text = parts.join(QStringLiteral(", "));
  for (const CursorReading& r : readings) {
    QStringList values;
    for (std::size_t i = 0; i < r.values.size(); ++i) values << QStringLiteral("%1%2 = %3").arg(r.quantity).arg(i + 1).arg(full(r.values[i]));
    if (r.values.size() == 2) {
      values << QString::fromUtf8("Δ = %1").arg(full(r.values[1] - r.values[0]));
      values << QStringLiteral("ratio = %1").arg(full(r.values[1] / r.values[0]));
    }
    text += QStringLiteral(" | %1: %2").arg(r.label, values.join(QStringLiteral(", ")));
  }
  return text;
}

QJsonObject ChartPage::saveState() const {
  return QJsonObject{{"controls", capturePageControls(this)}, {"charts", capturePageCharts(this)}};
}

void ChartPage::restoreState(const QJsonObject& state) {
  if (!isSettled()) {
    pendingState_ = state;
    return;
  }
  pendingState_ = {};
  applyState(state);
}

void ChartPage::applyPendingState() {
  if (pendingState_.isEmpty() || !isSettled()) return;
  const QJsonObject state = pendingState_;
  pendingState_ = {};
  applyState(state);
}

void ChartPage::applyState(const QJsonObject& state) {
  restorePageControls(this, state.value("controls").toObject());
  rebuildNow();
  restorePageCharts(this, state.value("charts").toArray());
}

}  // namespace shellscope::ui

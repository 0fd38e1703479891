#include "ui/charts/cursor_marks.h"

#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>

#include <cmath>

#include "ui/charts/chart_axes.h"

namespace shellscope::ui {

namespace {

QAbstractAxis* axisAt(const QChart* chart, Qt::Orientation orientation, Qt::Alignment alignment) {
  const QList<QAbstractAxis*> axes = chart->axes(orientation);
  for (QAbstractAxis* axis : axes) {
    if (axis->alignment() == alignment) return axis;
  }
  return axes.isEmpty() ? nullptr : axes.first();
}

void setRange(QAbstractAxis* axis, double min, double max) { axis->setRange(min, max); }

}  // namespace

int addCursorMarks(QChart* chart, CursorAxis axis, const std::vector<double>& pinned, Qt::Orientation along,
                   const ChartStyle& style) {
  if (!chart || pinned.empty()) return 0;
  QAbstractAxis* x = axisAt(chart, Qt::Horizontal, Qt::AlignBottom);
  QAbstractAxis* y = axisAt(chart, Qt::Vertical, Qt::AlignLeft);
  double xMin = 0, xMax = 0, yMin = 0, yMax = 0;
  if (!x || !y || !axisRange(x, &xMin, &xMax) || !axisRange(y, &yMin, &yMax)) return 0;
  const bool vertical = along == Qt::Horizontal;  // a value on the bottom axis is a vertical line
  const double low = vertical ? xMin : yMin, high = vertical ? xMax : yMax;
  const bool logAxis = qobject_cast<QLogValueAxis*>(vertical ? x : y) != nullptr;
  int added = 0;
  for (std::size_t i = 0; i < pinned.size(); ++i) {
    const double v = pinned[i];
    if (!std::isfinite(v) || v < low || v > high || (logAxis && !(v > 0))) continue;
    auto* line = new QLineSeries;
    if (vertical) {
      line->append(v, yMin);
      line->append(v, yMax);
    } else {
      line->append(xMin, v);
      line->append(xMax, v);
    }
    const QString value = QString::number(v, 'g', axis == CursorAxis::Lambda ? 4 : 10);
    line->setName(QString::fromUtf8("cursor %1: %2 = %3")
                      .arg(i + 1)
                      .arg(axis == CursorAxis::Lambda ? QString::fromUtf8("λ") : QStringLiteral("step"), value));
    line->setPen(linePen(style.dark ? Qt::white : Qt::black, std::max(1.0, style.lineWidth / 2), Qt::DashDotLine));
    chart->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(y);
    ++added;
  }
  if (added > 0) {  // attaching may widen a domain; the figure keeps the ranges shown
    setRange(x, xMin, xMax);
    setRange(y, yMin, yMax);
  }
  return added;
}

}  // namespace shellscope::ui

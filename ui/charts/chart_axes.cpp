#include "ui/charts/chart_axes.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <cmath>

namespace shellscope::ui {

void styleAxis(QAbstractAxis* axis, const QString& title, const ChartStyle& style) {
  axis->setTitleText(title);
  QFont font = axis->labelsFont();
  font.setPointSize(style.fontPointSize);
  axis->setLabelsFont(font);
  font.setPointSize(style.fontPointSize + 1);
  axis->setTitleFont(font);
}

QValueAxis* linearAxis(const QString& title, double low, double high, const ChartStyle& style) {
  if (!(high > low)) {
    low -= 1;
    high += 1;
  }
  // The data's own range (applyNiceNumbers can nearly double it), labelled at multiples of a
  // 1-2-5 step, written from k·step so that zero reads "0" and not a rounding remainder.
  const double raw = (high - low) / 5, decade = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / decade < 1.5 ? decade : raw / decade < 3.5 ? 2 * decade : raw / decade < 7.5 ? 5 * decade : 10 * decade;
  auto* axis = new QCategoryAxis;
  styleAxis(axis, title, style);
  axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  axis->setStartValue(low - 1e-9 * (high - low));
  for (double k = std::ceil(low / step); k * step <= high; ++k) {
    const double v = k * step;
    // Whole numbers below a million in full ("1500", not "1.5e+03": training steps).
    const bool whole = std::abs(v) >= 1000 && std::abs(v) < 1e6 && step >= 1 && v == std::round(v);
    axis->append(whole ? QString::number(v, 'f', 0) : QString::number(std::abs(v) < 1e-12 * step ? 0.0 : v, 'g', 3), v);
  }
  axis->setRange(low, high);
  return axis;
}

QLogValueAxis* logAxis(const QString& title, double low, double high, const ChartStyle& style) {
  auto* axis = new QLogValueAxis;
  styleAxis(axis, title, style);
  axis->setBase(10);
  axis->setLabelFormat("%g");
  axis->setMinorTickCount(-1);
  double lo = std::pow(10.0, std::floor(std::log10(low))), hi = std::pow(10.0, std::ceil(std::log10(high)));
  if (!(hi > lo)) {
    lo /= 10;
    hi *= 10;
  }
  // A hair beyond the ends: Qt places labels from its own log of the range, which rounds 0.01 to
  // a hair above -2 and leaves the lowest decade unlabelled.
  axis->setRange(lo * (1 - 1e-9), hi * (1 + 1e-9));
  QPen grid = axis->minorGridLinePen();
  grid.setColor(style.dark ? QColor(70, 70, 70) : QColor(235, 235, 235));
  axis->setMinorGridLinePen(grid);
  return axis;
}

bool axisRange(const QAbstractAxis* axis, double* min, double* max) {
  if (const auto* l = qobject_cast<const QLogValueAxis*>(axis)) {
    *min = l->min();
    *max = l->max();
    return true;
  }
  if (const auto* v = qobject_cast<const QValueAxis*>(axis)) {
    *min = v->min();
    *max = v->max();
    return true;
  }
  return false;
}

QPen linePen(const QColor& color, double width, Qt::PenStyle style) {
  QPen p(color);
  p.setWidthF(width);
  p.setStyle(style);
  return p;
}

void hideFromLegend(QChart* chart, QAbstractSeries* series) {
  for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
}

}  // namespace shellscope::ui

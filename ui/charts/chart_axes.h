#pragma once
// Axes and pens shared by the theory lab's charts (lab_charts, transport_chart): a linear axis with
// readable ticks, a log axis on whole decades, both in a ChartStyle's fonts.

#include <QPen>
#include <QString>

#include "ui/charts/chart_builders.h"

QT_BEGIN_NAMESPACE
class QAbstractAxis;
class QAbstractSeries;
class QLogValueAxis;
class QValueAxis;
QT_END_NAMESPACE

namespace shellscope::ui {

/// The title and the label and title fonts of `style`.
void styleAxis(QAbstractAxis* axis, const QString& title, const ChartStyle& style);
/// A value axis over [low, high] (±1 around a single value), ticks on a 1-2-5 step through 0.
QValueAxis* linearAxis(const QString& title, double low, double high, const ChartStyle& style);
/// A base-10 log axis over the whole decades around [low, high] (both > 0).
QLogValueAxis* logAxis(const QString& title, double low, double high, const ChartStyle& style);
/// The axis range, for value and log axes (false for others).
bool axisRange(const QAbstractAxis* axis, double* min, double* max);
QPen linePen(const QColor& color, double width, Qt::PenStyle style = Qt::SolidLine);
/// Hides the legend markers of `series`.
void hideFromLegend(QChart* chart, QAbstractSeries* series);

}  // namespace shellscope::ui

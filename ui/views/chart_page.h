#pragma once
// A tab of the chart area: one kind of figure (profiles, animation, overlay, trends) drawn from
// the open session. The main window asks the current page for a figure to export as shown and
// for the data it shows.

#include <QString>
#include <QWidget>

#include "ui/charts/chart_builders.h"

namespace shellscope::ui {

class ChartPage : public QWidget {
  Q_OBJECT
 public:
  using QWidget::QWidget;

  /// A short name for files, e.g. "profile".
  virtual QString figureName() const = 0;
  /// A new chart as shown (including the zoom), drawn in `style`; the caller owns it. Null when
  /// the page shows nothing.
  virtual QChart* exportChart(const ChartStyle& style) const = 0;
  /// The numbers the page shows, as CSV (header line first); empty when it shows nothing.
  virtual QString shownDataCsv() const = 0;
  /// Follows the application palette.
  virtual void setDarkTheme(bool dark) = 0;

 Q_SIGNALS:
  /// A short message for the status bar (hover values, what a click did).
  void statusMessage(const QString& message);
};

}  // namespace shellscope::ui

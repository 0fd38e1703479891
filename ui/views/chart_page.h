#pragma once
// A tab of the chart area: one kind of figure (profiles, animation, overlay, trends) drawn from
// the open session. The main window asks the current page for a figure to export as shown and
// for the data it shows.

#include <QJsonObject>
#include <QString>
#include <QWidget>
#include <vector>

#include "ui/charts/chart_builders.h"
#include "ui/document/cursor_model.h"

namespace shellscope::ui {

/// What a page draws under the pinned cursors (cursor_model.h): one curve's quantity at each.
struct CursorReading {
  QString label;               ///< the curve ("pythia-70m step 1000")
  QString quantity;            ///< what the values are ("E", "ΔE", "frontier λ*")
  std::vector<double> values;  ///< at each pinned cursor, in pin order (NaN: nothing drawn there)
};

/// The status bar's read-out: the pinned positions (full precision), Δlog₁₀ λ or Δstep between two,
/// and per reading its values, their difference and ratio.
QString cursorReadout(bool lambdaAxis, const std::vector<double>& pinned, const std::vector<CursorReading>& readings);

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
  /// The column of shownDataCsv() that is the first chart's x axis, so an export can keep the
  /// rows of the visible range (shown_data.h); empty: the page exports all it draws.
  virtual QString shownDataXColumn() const { return {}; }
  /// Follows the application palette.
  virtual void setDarkTheme(bool dark) = 0;

  /// What the page shows, for a view state (page_state.h): its named controls and its charts'
  /// zoom. Pages with more (a position in time) add it.
  virtual QJsonObject saveState() const;
  /// Shows `state` (from saveState, maybe of an older build): controls first, then a rebuild, then
  /// the zoom. A page still reading its data keeps the state and applies it once read.
  virtual void restoreState(const QJsonObject& state);
  /// Draws now what is pending instead of on the next turn of the event loop.
  virtual void rebuildNow() = 0;
  /// False while the page reads or computes in the background (a state it was given waits).
  virtual bool isSettled() const { return true; }
  /// Whether the page's main chart has a λ or a step axis the linked cursors follow, and what it
  /// draws at the pinned cursors of that axis.
  virtual bool hasCursorAxis(CursorAxis axis) const { (void)axis; return false; }
  virtual std::vector<CursorReading> cursorReadings() const { return {}; }
  /// Where a cursor of `axis` lies: on the bottom axis (Qt::Horizontal, the default) or the left.
  virtual Qt::Orientation cursorAlong(CursorAxis axis) const { (void)axis; return Qt::Horizontal; }
  /// Whether the figure exportChart() makes has that axis where cursorAlong() says (a page whose
  /// export can be another panel says no for it).
  virtual bool exportHasCursorAxis(CursorAxis axis) const { return hasCursorAxis(axis); }

  /// exportChart() with the pinned cursors of `cursors` drawn in (cursor_marks.h); what File ▸
  /// Export Figure and `render --state` write. Null `cursors`: the chart alone.
  QChart* exportFigure(const ChartStyle& style, const CursorModel* cursors) const;

 protected:
  /// Applies a state restoreState() kept while the page was not settled.
  void applyPendingState();

 Q_SIGNALS:
  /// A short message for the status bar (hover values, what a click did).
  void statusMessage(const QString& message);

 private:
  void applyState(const QJsonObject& state);
  QJsonObject pendingState_;
};

}  // namespace shellscope::ui

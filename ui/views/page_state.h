#pragma once
// The state of one chart page as a view state keeps it (view_state.h): the values of its named
// controls and the axis ranges of its charts.
//
//   { "controls": { "<objectName>": value, ... },   check boxes (bool), combo boxes (the item's
//                                                    data, else its text), spin boxes and sliders
//                                                    (number), list widgets (the checked items' texts)
//     "charts": [ {"x": [min, max], "y": [min, max]} or null, ... ] }   per InteractiveChartView in
//                                                    creation order; null: not zoomed
//
// Only controls with an object name take part (a page names those that say what it draws), so a
// control added later does not shift the others; names a page no longer has are ignored, and a
// combo box value it no longer offers leaves the control as it is.

#include <QJsonObject>

QT_BEGIN_NAMESPACE
class QWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

QJsonObject capturePageControls(const QWidget* page);
/// Sets the controls in `controls`, in the page's creation order (a model chosen before the step
/// that depends on it), each through its ordinary signals so the page reacts as to the user.
void restorePageControls(QWidget* page, const QJsonObject& controls);

/// Each chart view's zoom: its ranges when zoomed, null otherwise.
QJsonArray capturePageCharts(const QWidget* page);
/// Sets the charts' ranges (null: the chart's own, unzoomed ranges).
void restorePageCharts(QWidget* page, const QJsonArray& charts);

}  // namespace shellscope::ui

#pragma once
// Every kind of chart page by its figure name ("profile", "animation", "overlay", "trends", "lab",
// "transport", "generalisation"): for a headless replay of a view state, which needs only the
// page the state shows.

#include <QString>
#include <QStringList>
#include <memory>

namespace shellscope::ui {

class ChartPage;
class SessionDocument;

/// The figure names, in the main window's tab order.
QStringList chartPageNames();
/// A new page of that name on `document`; null for a name no page has.
std::unique_ptr<ChartPage> createChartPage(const QString& figureName, SessionDocument* document);

}  // namespace shellscope::ui

#pragma once
// Taking a view state (view_state.h) from the document and its chart pages, and showing one again:
// the GUI's View ▸ View States and the headless `render --state` use these same two functions, so
// a replayed figure is the one the GUI exports with that state.

#include <QObject>
#include <functional>
#include <vector>

#include "ui/document/view_state.h"

namespace shellscope::ui {

class ChartPage;
class SessionDocument;

/// The state of `document` and `pages` now; `current` is the page shown (its name is the tab).
ViewState captureViewState(const SessionDocument& document, const std::vector<ChartPage*>& pages,
                           const ChartPage* current, const FigureSettings& figure);

/// Shows `state`: the analysis settings (re-analysing when they differ) and the checked runs
/// first, then, once the document is idle (its analysis current), every page's state; each page
/// that still reads its data applies it when read. `done` runs after the pages got their states
/// (on the event loop; at once when nothing had to wait).
void applyViewState(SessionDocument& document, const std::vector<ChartPage*>& pages, const ViewState& state,
                    std::function<void()> done = {});

/// Whether the document and every page are idle (nothing read or computed in the background).
bool viewsSettled(const SessionDocument& document, const std::vector<ChartPage*>& pages);

/// Runs the event loop until viewsSettled (and the pages' pending rebuilds ran) or `timeoutMs`
/// passes; false on the timeout.
bool waitUntilSettled(const SessionDocument& document, const std::vector<ChartPage*>& pages, int timeoutMs);

}  // namespace shellscope::ui

#include "ui/views/view_state_player.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QPointer>
#include <QThread>
#include <QTimer>

#include "ui/document/cursor_model.h"
#include "ui/document/session_document.h"
#include "ui/views/chart_page.h"

namespace shellscope::ui {

ViewState captureViewState(const SessionDocument& document, const std::vector<ChartPage*>& pages,
                           const ChartPage* current, const FigureSettings& figure) {
  ViewState state;
  if (current) state.tab = current->figureName();
  for (const Run* run : document.checkedRuns()) state.checkedRuns << QString::fromStdString(run->id);
  state.analysis = document.analysisOptions();
  state.figure = figure;
  state.lambdaCursors = document.cursors()->pinned(CursorAxis::Lambda);
  state.stepCursors = document.cursors()->pinned(CursorAxis::Step);
  for (const ChartPage* page : pages) state.pages[page->figureName()] = page->saveState();
  return state;
}

bool viewsSettled(const SessionDocument& document, const std::vector<ChartPage*>& pages) {
  if (document.isBusy()) return false;
  for (const ChartPage* page : pages) {
    if (!page->isSettled()) return false;
  }
  return true;
}

namespace {

void applyPages(const std::vector<QPointer<ChartPage>>& pages, const ViewState& state) {
  for (ChartPage* page : pages) {
    if (!page) continue;
    const auto found = state.pages.find(page->figureName());
    if (found != state.pages.end()) page->restoreState(found->second);
  }
}

}  // namespace

void applyViewState(SessionDocument& document, const std::vector<ChartPage*>& pages, const ViewState& state,
                    std::function<void()> done) {
  if (state.analysis && !sameDrawnAnalysis(*state.analysis, document.analysisOptions())) {
    analysis::AnalysisOptions options = *state.analysis;
    options.trendWindows = document.analysisOptions().trendWindows;
    document.setAnalysisOptions(options);
  }
  if (!state.checkedRuns.isEmpty()) document.setCheckedRuns(state.checkedRuns);
  document.cursors()->setPinned(CursorAxis::Lambda, state.lambdaCursors);
  document.cursors()->setPinned(CursorAxis::Step, state.stepCursors);

  std::vector<QPointer<ChartPage>> guarded(pages.begin(), pages.end());
  if (!document.isBusy()) {
    applyPages(guarded, state);
    if (done) done();
    return;
  }
  // Once the analysis with the state's settings is in: the pages rebuild from it first.
  auto* context = new QObject(&document);
  QObject::connect(&document, &SessionDocument::busyChanged, context,
                   [doc = &document, context, guarded, state, done = std::move(done)](bool busy) {
                     if (busy) return;
                     QObject::disconnect(doc, nullptr, context, nullptr);
                     // busyChanged comes just before the new analysis is stored and announced:
                     // the pages get their states after that (and their own rebuilds then stop).
                     QTimer::singleShot(0, context, [context, guarded, state, done] {
                       context->deleteLater();
                       applyPages(guarded, state);
                       if (done) done();
                     });
                   });
}

bool waitUntilSettled(const SessionDocument& document, const std::vector<ChartPage*>& pages, int timeoutMs) {
  QElapsedTimer clock;
  clock.start();
  // Twice settled in a row, with the posted events (0 ms rebuild timers) run in between.
  int settledTurns = 0;
  while (clock.elapsed() < timeoutMs) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QCoreApplication::sendPostedEvents();
    if (viewsSettled(document, pages)) {
      if (++settledTurns >= 3) return true;
    } else {
      settledTurns = 0;
      QThread::msleep(5);
    }
  }
  return false;
}

}  // namespace shellscope::ui

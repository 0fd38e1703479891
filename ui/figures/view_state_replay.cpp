#include "ui/figures/view_state_replay.h"

#include <QtCharts/QChart>
#include <memory>
#include <stdexcept>

#include "shellscope/analysis/analysis_file.h"
#include "shellscope/session/session_file.h"
#include "ui/document/session_document.h"
#include "ui/figures/figure_export.h"
#include "ui/figures/shown_data.h"
#include "ui/views/chart_page.h"
#include "ui/views/chart_pages.h"
#include "ui/views/view_state_player.h"

namespace shellscope::ui {

std::vector<std::string> viewStateNames(const std::string& sessionPath) {
  std::vector<std::string> names;
  for (const NamedViewState& state : readSession(sessionPath).viewStates) names.push_back(state.name);
  return names;
}

std::vector<std::string> replayViewState(const ReplayRequest& request) {
  ensureGuiApplication();
  const std::string& path = request.sessionPath;
  Session session = readSession(path);
  const NamedViewState* named = nullptr;
  std::string names;
  for (const NamedViewState& s : session.viewStates) {
    if (s.name == request.stateName) named = &s;
    names += (names.empty() ? "" : ", ") + ("'" + s.name + "'");
  }
  if (!named) {
    throw std::runtime_error(path + ": no view state '" + request.stateName + "' (" +
                             (names.empty() ? std::string("the session has none; save one in the GUI: View > View States")
                                            : "it has " + names) +
                             ")");
  }
  ViewState state;
  try {
    state = viewStateFromJson(QString::fromStdString(named->name), QByteArray::fromStdString(named->json));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  SessionDocument document;  // outlives the page
  analysis::SessionAnalysis stored = analysis::readAnalysis(path, session);
  document.adopt(std::move(session), std::move(stored), QString::fromStdString(path));
  const std::unique_ptr<ChartPage> page = createChartPage(state.tab, &document);
  if (!page) {
    throw std::runtime_error(path + ": view state '" + request.stateName + "' shows the page '" +
                             state.tab.toStdString() + "', which this build does not have");
  }
  const std::vector<ChartPage*> pages{page.get()};
  bool applied = false;
  const auto timeout = [&] {
    return std::runtime_error(path + ": view state '" + request.stateName + "': the analysis or the page's reading took longer than " +
                              std::to_string(request.timeoutMs / 1000) + " s");
  };
  if (!waitUntilSettled(document, pages, request.timeoutMs)) throw timeout();
  applyViewState(document, pages, state, [&applied] { applied = true; });
  if (!waitUntilSettled(document, pages, request.timeoutMs) || !applied) throw timeout();

  std::vector<std::string> written;
  if (!request.figurePath.empty()) {
    FigureSettings figure = state.figure;
    if (request.width) figure.options.size.setWidth(*request.width);
    if (request.height) figure.options.size.setHeight(*request.height);
    if (request.dpi) figure.options.dpi = *request.dpi;
    std::unique_ptr<QChart> chart(page->exportFigure(figure.style, document.cursors()));
    if (!chart) throw std::runtime_error(path + ": view state '" + request.stateName + "' shows nothing to draw");
    exportChart(chart.get(), QString::fromStdString(request.figurePath), figure.options);
    written.push_back(request.figurePath);
  }
  if (!request.csvPath.empty()) {
    const QString csv = shownDataWithHeader(*page, document);
    if (csv.isEmpty()) throw std::runtime_error(path + ": view state '" + request.stateName + "' shows no data");
    const QString error = writeShownData(QString::fromStdString(request.csvPath), csv);
    if (!error.isEmpty()) throw std::runtime_error(error.toStdString());
    written.push_back(request.csvPath);
  }
  return written;
}

}  // namespace shellscope::ui

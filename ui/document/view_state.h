#pragma once
// A view state: what the explorer shows, saved with the session under a name ("figure 2a", "talk")
// and replayed by the GUI (View ▸ View States) and headless by `shellscope-cli render --state NAME`.
// The session stores it as JSON text it never reads inside (Session::viewStates); this is that
// text's meaning (docs/session-format.md#view-states-optional):
//
//   { "format": "shellscope-view-state", "version": 1,
//     "tab": "profile",                              the page shown (ChartPage::figureName())
//     "checked_runs": ["run-0001", ...],              the runs checked in the session tree
//     "analysis": { "smoothing_width": 0.25, ... },   the analysis settings the views were drawn with
//     "figure": { "width": 900, "height": 600, "dpi": 150, "font_point_size": 10,
//                 "line_width": 2, "legend": true, "legend_alignment": "right" },   the export preset
//     "cursors": { "lambda": [..], "step": [..] },    the pinned cursors (cursor_model.h)
//     "pages": { "<figureName>": { "controls": {...}, "charts": [...] } } }   every page (page_state.h)
//
// Readers ignore keys they do not know, so a newer state opens in this build with what it knows;
// a state of another format or a newer version is refused with a message naming it.

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <map>
#include <optional>
#include <vector>

#include "shellscope/analysis/profile_statistics.h"
#include "ui/figures/figure_export.h"

namespace shellscope::ui {

struct ViewState {
  QString tab;
  QStringList checkedRuns;
  std::optional<analysis::AnalysisOptions> analysis;  ///< trend windows are the session's, not a state's
  FigureSettings figure;
  std::vector<double> lambdaCursors;  ///< pinned λ cursors (at most two)
  std::vector<double> stepCursors;    ///< pinned step cursors (at most two)
  std::map<QString, QJsonObject> pages;  ///< by figure name
};

QJsonObject toJson(const ViewState& state);
/// Throws std::runtime_error naming `name` and what is wrong (not JSON, another format, a newer version).
ViewState viewStateFromJson(const QString& name, const QByteArray& text);
QByteArray viewStateText(const ViewState& state);

QJsonObject toJson(const FigureSettings& settings);
FigureSettings figureSettingsFromJson(const QJsonObject& object);
QJsonObject toJson(const analysis::AnalysisOptions& options);
/// `defaults` with what `object` sets (the trend windows are kept from `defaults`).
analysis::AnalysisOptions analysisOptionsFromJson(const QJsonObject& object, const analysis::AnalysisOptions& defaults);
/// Whether the settings that change what views draw are the same (trend windows aside).
bool sameDrawnAnalysis(const analysis::AnalysisOptions& a, const analysis::AnalysisOptions& b);

}  // namespace shellscope::ui

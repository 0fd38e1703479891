#pragma once
// `shellscope-cli render SESSION --state NAME`: a view state saved with the session, shown
// headless in the page it names and written as that page's figure and/or shown data, through the
// same capture/apply code (view_state_player.h) and the same export (figure_export.h) as the GUI,
// so the figure is pixel for pixel the GUI's export with that state (tests/ui/test_view_states.cpp).

#include <optional>
#include <string>
#include <vector>

namespace shellscope::ui {

struct ReplayRequest {
  std::string sessionPath;
  std::string stateName;
  std::string figurePath;   ///< .png, .svg or .pdf; empty: no figure
  std::string csvPath;      ///< the shown data (shown_data.h); empty: none
  std::optional<int> width, height, dpi;  ///< instead of the state's export settings
  int timeoutMs = 10 * 60 * 1000;         ///< for the analysis and the pages' reading
};

/// The names of the view states in a session file (readSession: errors name the file).
std::vector<std::string> viewStateNames(const std::string& sessionPath);

/// Replays the state and writes the files; returns one line per file written. Throws
/// std::runtime_error naming the session, the state or the file on every failure (an unknown
/// state lists the names there are).
std::vector<std::string> replayViewState(const ReplayRequest& request);

}  // namespace shellscope::ui

#pragma once
// "Export Shown Data" and `render --csv`: the CSV of what the current page draws, restricted to
// the visible range of its λ (or other x) axis where the page names that column, after a header
// of '#' lines naming the session, the page, the runs and the settings:
//
//   # ShellScope shown data: profile
//   # session: /data/pythia.h5
//   # runs: run-0001 (pythia-70m step 1000), ...
//   # analysis: smoothing_width=0.25 bootstrap_samples=200 seed=1 confidence=0.95 ...
//   # x range: lambda_centre in [1e-05, 0.3]          (only when zoomed)
//   # cursors: lambda 0.001 0.02; step none
//   model,step,run_id,...                               the page's own columns (ChartPage::shownDataCsv)
//
// Readers that skip '#' lines (pandas comment='#', numpy) read the table as before.

#include <QString>

namespace shellscope::ui {

class ChartPage;
class SessionDocument;

QString shownDataWithHeader(const ChartPage& page, const SessionDocument& document);

/// Writes `csv` to `path` beside it and renames it over (no half-written file); the error naming
/// the file, or empty. Safe on any thread.
QString writeShownData(const QString& path, const QString& csv);

/// The rows of `csv` (header line first) whose `column` lies in [from, to]; rows with an empty or
/// unreadable value there are kept. `csv` unchanged when it has no such column.
QString rowsInRange(const QString& csv, const QString& column, double from, double to);

}  // namespace shellscope::ui

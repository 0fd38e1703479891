#pragma once
// The thread pool for the GUI's background work: reading and writing sessions, analysis,
// alignment, folder scans and file writes.
//
// Not Qt's global pool: the raster paint engine splits large fills and line drawing across
// QThreadPool::globalInstance() and waits for those pieces, so a long task there (a 40 s
// analysis) stalls every repaint until it ends. Measured before this pool existed: opening a
// 462-run session froze the window for ~2 s while the analysis held the global pool.

class QThreadPool;

namespace shellscope::ui {

/// One pool for the whole application, as many threads as cores (at least two, so a quick
/// file write is not queued behind a long analysis on a one-core machine).
QThreadPool* backgroundPool();

}  // namespace shellscope::ui

#pragma once
// Flux estimates in the session file: /transport/<id> ("transport-0001", ...), documented in
// docs/session-format.md ("Transport estimates"). Added by an atomic edit of a copy of the file,
// so runs, /training, /analysis, /lab and other estimates are kept; readers that do not know
// /transport ignore it (format version 1 unchanged).

#include <string>
#include <vector>

#include "shellscope/transport/series_transport.h"

namespace shellscope::transport {

/// Adds the estimate under /transport/<id>, keeping everything else; returns the id given.
/// Throws SessionFileError naming the file when it cannot be written.
std::string appendTransport(const std::string& path, const SeriesTransport& transport);
/// Several estimates in one atomic edit (all stored or none); returns their ids in order.
std::vector<std::string> appendTransports(const std::string& path, const std::vector<SeriesTransport>& transports);

/// Every estimate stored in the session at `path`, sorted by id (none without /transport). Throws
/// SessionFileError naming the file and the group for a missing or mis-shaped field.
std::vector<SeriesTransport> readTransports(const std::string& path);

}  // namespace shellscope::transport

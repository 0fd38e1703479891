// Splitting a campaign's items over ranks by cost: contiguous blocks whose totals differ from
// total/ranks by at most one item's cost (the midpoint rule below), costs refined by measurement.
#include "shellscope/session/campaign.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "shellscope/base/file_digest.h"

namespace shellscope {

std::string CampaignPlan::keyOf(const std::string& settings) { return sha256Hex(settings).substr(0, 16); }

std::vector<std::vector<WorkItem>> assignItems(const std::vector<WorkItem>& items, int ranks) {
  if (ranks < 1) throw std::invalid_argument("a campaign needs at least one rank");
  double total = 0.0;
  for (const WorkItem& item : items) {
    if (!(item.cost >= 0.0) || !std::isfinite(item.cost)) {
      throw std::invalid_argument("work item (" + std::to_string(item.checkpoint) + ", " + std::to_string(item.batch) +
                                  ") has a negative or non-finite cost");
    }
    total += item.cost;
  }
  std::vector<std::vector<WorkItem>> assigned(static_cast<std::size_t>(ranks));
  double before = 0.0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    // Zero total: by count. The midpoint of the item's cost interval picks the rank.
    const double mid = total > 0.0 ? (before + 0.5 * items[i].cost) / total
                                   : (static_cast<double>(i) + 0.5) / static_cast<double>(items.size());
    const int rank = std::min(ranks - 1, static_cast<int>(std::floor(mid * ranks)));
    assigned[static_cast<std::size_t>(rank)].push_back(items[i]);
    before += items[i].cost;
  }
  return assigned;
}

std::vector<WorkItem> measuredCosts(std::vector<WorkItem> items, const std::map<std::int64_t, double>& secondsPerItem) {
  double measured = 0.0, estimated = 0.0;
  for (const WorkItem& item : items) {
    const auto found = secondsPerItem.find(item.checkpoint);
    if (found == secondsPerItem.end()) continue;
    measured += found->second;
    estimated += item.cost;
  }
  const double scale = estimated > 0.0 && measured > 0.0 ? measured / estimated : 1.0;
  for (WorkItem& item : items) {
    const auto found = secondsPerItem.find(item.checkpoint);
    item.cost = found != secondsPerItem.end() ? found->second : item.cost * scale;
  }
  return items;
}

}  // namespace shellscope

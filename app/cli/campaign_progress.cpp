// info's campaign section: for each campaign with partial sessions beside a target, the items
// done (and merged), missing, and failed with their last error.
#include <algorithm>
#include <map>

#include "cli/campaign.h"
#include "shellscope/session/campaign_file.h"

namespace shellscope::cli {

int printCampaignProgress(std::ostream& out, const std::string& target) {
  const std::vector<std::string> parts = findParts(target);
  if (parts.empty()) return 0;
  const std::vector<CampaignProgress> campaigns = campaignProgress(parts, target);
  for (const CampaignProgress& p : campaigns) {
    const std::int64_t total = p.plan.itemCount();
    out << "\ncampaign " << p.plan.key << ": " << p.done.size() << " of " << total << " items done ("
        << p.merged << " merged), " << p.missing.size() << " missing, " << p.failures.size() << " failed; "
        << p.plan.checkpoints.size() << " checkpoint(s) x " << p.plan.batches << " batches, " << p.parts.size()
        << " partial session(s)\n";
    double seconds = 0;
    for (const WorkItem& d : p.done) seconds += d.cost;
    if (!p.done.empty()) {
      out << "  measured: " << seconds << " s over the done items, " << seconds / static_cast<double>(p.done.size())
          << " s per item\n";
    }
    std::map<std::int64_t, std::int64_t> missingPerCheckpoint;
    for (const WorkItem& m : p.missing) ++missingPerCheckpoint[m.checkpoint];
    int shown = 0;
    for (const auto& [c, count] : missingPerCheckpoint) {
      if (++shown > 10) {
        out << "  ... and " << missingPerCheckpoint.size() - 10 << " more checkpoint(s) with missing items\n";
        break;
      }
      out << "  missing: " << p.plan.checkpoints[static_cast<std::size_t>(c)] << ": " << count << " of "
          << p.plan.batches << " batches\n";
    }
    for (const ItemFailure& f : p.failures) {
      out << "  failed: " << p.plan.checkpoints[static_cast<std::size_t>(f.checkpoint)] << " batch " << f.batch
          << " (rank " << f.rank << " on " << f.host << ", " << f.at << "): " << f.error << "\n";
    }
    if (p.complete() && p.merged < total) out << "  complete: shellscope-cli merge " << target << ".part-" << p.plan.key << "-*.h5 --out " << target << "\n";
  }
  return static_cast<int>(campaigns.size());
}

}  // namespace shellscope::cli

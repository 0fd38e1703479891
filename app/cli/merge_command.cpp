// shellscope-cli merge: a campaign's partial sessions gathered into ordinary runs of the target,
// under a lock beside it so that ranks or shards finishing together merge one after the other.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/campaign.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/session/campaign_file.h"

namespace shellscope::cli {

namespace {

/// flock on ".<target>.merge-lock" beside the target, released when the process ends.
class MergeLock {
 public:
  explicit MergeLock(const std::string& target) {
    const std::filesystem::path path(target);
    const std::string lock = (path.parent_path() / ("." + path.filename().string() + ".merge-lock")).string();
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw std::runtime_error(lock + ": cannot lock it for the merge");
  }
  ~MergeLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  MergeLock(const MergeLock&) = delete;
  MergeLock& operator=(const MergeLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

int mergeAndReport(const std::vector<std::string>& parts, const std::string& out, std::ostream& log) {
  MergeLock lock(out);
  const double started = monotonicSeconds();
  const MergeResult result = mergeParts(parts, out);
  log << "merged " << parts.size() << " partial session(s) into " << out << " in "
      << static_cast<int>((monotonicSeconds() - started) * 1000 + 0.5) << " ms: " << result.added.size()
      << " run(s) added";
  if (!result.added.empty()) log << " (" << result.added.front() << (result.added.size() > 1 ? " .. " + result.added.back() : "") << ")";
  log << ", " << result.alreadyMerged << " checkpoint(s) already there\n";
  for (const std::string& missing : result.incomplete) log << "incomplete, not merged: " << missing << "\n";
  return result.incomplete.empty() ? 0 : 1;
}

int mergeCommand(const Arguments& args) {
  CommandLine cl("merge", "merge PART.h5 [PART.h5 ...] --out SESSION.h5",
                 "Gathers the partial sessions of a campaign (compute under mpirun/srun or with --shard K/N) into\n"
                 "ordinary runs of SESSION.h5 (created when missing): one run per checkpoint whose batches are all\n"
                 "there, with per-batch arrays in batch order as one process computes them and where each batch was\n"
                 "computed. Checkpoints already merged are left as they are; incomplete ones are listed (exit status\n"
                 "1) and merge once the missing items are computed (run the compute command again).");
  std::string out;
  cl.option("out", "SESSION.h5", "session file to add the runs to", out);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.require("out");
  if (cl.positionals().empty()) throw UsageError("merge needs at least one partial session (PART.h5)");
  for (const std::string& part : cl.positionals()) {
    if (std::filesystem::absolute(part).lexically_normal() == std::filesystem::absolute(out).lexically_normal()) {
      throw UsageError(part + " is the target itself: give the partial sessions (" + out + ".part-*.h5)");
    }
  }
  return mergeAndReport(cl.positionals(), out, std::cout);
}

}  // namespace shellscope::cli

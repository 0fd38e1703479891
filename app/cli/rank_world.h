#pragma once
// Which rank of how many this process is, and the little MPI a campaign needs (docs/cluster.md):
// from MPI when built with it (SHELLSCOPE_WITH_MPI) and launched by mpirun/srun, else from the
// launcher's environment (OMPI_COMM_WORLD_RANK/_SIZE, SLURM_PROCID/SLURM_NTASKS), or from
// --shard K/N. MPI lives in app/ only: core never sees it.

#include <cstdint>
#include <string>
#include <vector>

namespace shellscope::cli {

struct RankInfo {
  int rank = 0;
  int size = 1;
  int localRank = -1;   ///< the rank among those on this node (picks the GPU); -1: unknown
  std::string source;   ///< "MPI", "SLURM_PROCID/SLURM_NTASKS", "--shard", ...
  bool mpi = false;     ///< MPI is initialised: barrier and broadcast reach the other ranks
};

/// Parses "K/N" (0 <= K < N); throws UsageError naming --shard.
RankInfo parseShard(const std::string& text);
/// The rank from MPI (initialising it when a launcher started this process and the build has
/// MPI) or from the environment; size 1 when nothing says otherwise. Throws UsageError for
/// contradictory or malformed variables, naming them.
RankInfo detectRank();
/// Whether this build links MPI.
bool builtWithMpi();

/// MPI calls for an initialised world; without MPI (size 1 or shards) they do nothing.
void barrier(const RankInfo& world);
/// Rank 0's `values` on every rank.
void broadcast(const RankInfo& world, std::vector<std::int64_t>& values);
void broadcast(const RankInfo& world, std::vector<double>& values);
/// Ends MPI when it was started (at exit otherwise).
void finalizeMpi();
/// Stops every rank with `code` (a rank that fails before the others wait on it).
[[noreturn]] void abortWorld(const RankInfo& world, int code);

}  // namespace shellscope::cli

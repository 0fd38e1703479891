// Rank and size of this process in a campaign: MPI (when built with it and started by a
// launcher), the launcher's environment, or --shard K/N; and the barrier and broadcasts the
// campaign driver uses, which are no-ops without MPI.
#include "cli/rank_world.h"

#include <cstdlib>
#include <cstdio>

#include "cli/command_line.h"

#ifdef SHELLSCOPE_WITH_MPI
#include <mpi.h>
#endif

namespace shellscope::cli {

namespace {

/// The environment variable as an integer; -1 when unset; UsageError when not a number.
int environmentInteger(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return -1;
  char* end = nullptr;
  const long number = std::strtol(value, &end, 10);
  if (*end != '\0' || number < 0 || number > 1000000) {
    throw UsageError(std::string("environment variable ") + name + "='" + value + "' is not a rank or size");
  }
  return static_cast<int>(number);
}

int localRankFromEnvironment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    const int local = environmentInteger(name);
    if (local >= 0) return local;
  }
  return -1;
}

/// A rank/size pair of variables; `size` may be a list of alternatives (the first set wins).
bool fromPair(RankInfo& info, const char* rankName, const char* sizeName) {
  const int rank = environmentInteger(rankName);
  const int size = environmentInteger(sizeName);
  if (rank < 0 && size < 0) return false;
  if (rank < 0 || size < 1 || rank >= size) {
    throw UsageError(std::string("environment variables ") + rankName + "/" + sizeName +
                     " do not name a rank of a size (rank " + std::to_string(rank) + ", size " + std::to_string(size) + ")");
  }
  info.rank = rank;
  info.size = size;
  info.source = std::string(rankName) + "/" + sizeName;
  return true;
}

#ifdef SHELLSCOPE_WITH_MPI
/// A launcher's own connection (mpirun's or srun's PMIx server, MPICH's PMI), not just rank
/// variables, which a job script may set itself: MPI_Init needs the launcher to answer.
bool startedByLauncher() {
  for (const char* name : {"PMIX_NAMESPACE", "OMPI_MCA_orte_hnp_uri", "PMI_FD", "PMI_PORT"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}
#endif

}  // namespace

bool builtWithMpi() {
#ifdef SHELLSCOPE_WITH_MPI
  return true;
#else
  return false;
#endif
}

RankInfo parseShard(const std::string& text) {
  int rank = -1, size = -1;
  char rest = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &rank, &size, &rest) != 2 || size < 1 || rank < 0 || rank >= size) {
    throw UsageError("--shard: '" + text + "' is not K/N with 0 <= K < N (shards are numbered from 0)");
  }
  RankInfo info;
  info.rank = rank;
  info.size = size;
  info.localRank = localRankFromEnvironment();
  info.source = "--shard";
  return info;
}

RankInfo detectRank() {
  RankInfo info;
  info.localRank = localRankFromEnvironment();
#ifdef SHELLSCOPE_WITH_MPI
  if (startedByLauncher()) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      MPI_Init(nullptr, nullptr);
      std::atexit(finalizeMpi);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &info.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &info.size);
    info.mpi = true;
    info.source = "MPI";
    return info;
  }
#endif
  if (fromPair(info, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")) return info;
  // srun sets SLURM_STEP_NUM_TASKS for its tasks; SLURM_NTASKS alone is the job's (also in the batch script).
  if (std::getenv("SLURM_STEP_NUM_TASKS") && fromPair(info, "SLURM_PROCID", "SLURM_STEP_NUM_TASKS")) return info;
  if (fromPair(info, "SLURM_PROCID", "SLURM_NTASKS")) return info;
  info.source = "one process";
  return info;
}

void barrier(const RankInfo& world) {
#ifdef SHELLSCOPE_WITH_MPI
  if (world.mpi) MPI_Barrier(MPI_COMM_WORLD);
#else
  (void)world;
#endif
}

#ifdef SHELLSCOPE_WITH_MPI
namespace {
/// Rank 0's count, then its values.
template <typename T>
void broadcastValues(const RankInfo& world, std::vector<T>& values, MPI_Datatype type) {
  if (!world.mpi) return;
  long long count = static_cast<long long>(values.size());
  MPI_Bcast(&count, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  values.resize(static_cast<std::size_t>(count));
  if (count) MPI_Bcast(values.data(), static_cast<int>(count), type, 0, MPI_COMM_WORLD);
}
}  // namespace

void broadcast(const RankInfo& world, std::vector<std::int64_t>& values) { broadcastValues(world, values, MPI_INT64_T); }
void broadcast(const RankInfo& world, std::vector<double>& values) { broadcastValues(world, values, MPI_DOUBLE); }
#else
void broadcast(const RankInfo&, std::vector<std::int64_t>&) {}
void broadcast(const RankInfo&, std::vector<double>&) {}
#endif

void finalizeMpi() {
#ifdef SHELLSCOPE_WITH_MPI
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Finalize();
#endif
}

void abortWorld(const RankInfo& world, int code) {
#ifdef SHELLSCOPE_WITH_MPI
  if (world.mpi) MPI_Abort(MPI_COMM_WORLD, code);
#else
  (void)world;
#endif
  std::exit(code);
}

}  // namespace shellscope::cli

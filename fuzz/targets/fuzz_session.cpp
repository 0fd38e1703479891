// Session files as `info --check` reads them (the GUI's child-process check): the HDF5 structure,
// every run's shapes and meaning (the polarised quadratures included), the stored analysis, the
// transport estimates and the lab runs. Random bytes would nearly always fail the checksum in the
// user block before libhdf5 sees them, so the input is resealed first (as `info --reseal` does)
// and the fuzzer reaches the readers behind it.
#include "fuzz_support.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/transport_file.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("session.h5", data, size);
  return fuzz::rejectOrAccept([&] {
    resealSession(path);
    if (!checkSessionFile(path).empty()) return;
    (void)analysis::readAnalysis(path, readSession(path));
    (void)transport::readTransports(path);
    (void)readLabRuns(path);
  });
}

// The OpenBLAS kernel choice of the tuned runtime: only a Prescott fallback is replaced, and only
// by kernels the CPU runs.
#include "shellscope/base/tuned_runtime.h"
#include "test_support.h"

using namespace shellscope;

class TestTunedRuntime : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void onlyAPrescottFallbackIsReplaced() {
    QCOMPARE(openBlasKernelsFor(nullptr), std::string());
    QCOMPARE(openBlasKernelsFor("Haswell"), std::string());
    QCOMPARE(openBlasKernelsFor("SkylakeX"), std::string());
#if defined(__x86_64__)
    __builtin_cpu_init();
    const std::string chosen = openBlasKernelsFor("Prescott");
    if (chosen == "SkylakeX") QVERIFY(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"));
    if (chosen == "Haswell") QVERIFY(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
    if (chosen == "Sandybridge") QVERIFY(__builtin_cpu_supports("avx"));
    if (chosen.empty()) QVERIFY(!__builtin_cpu_supports("avx"));
#endif
  }
};

QTEST_APPLESS_MAIN(TestTunedRuntime)
#include "test_tuned_runtime.moc"

// The progress-and-cancel token: parts map their 0..1 into the parent's range and nest, reports are
// throttled but the first and the completing one always arrive, copies and reportingTo() tokens
// share the cancel flag, and reports from two threads reach the callback one at a time.
#include <atomic>
#include <thread>
#include <vector>

#include "shellscope/base/progress.h"
#include "test_support.h"

using namespace shellscope;

class TestProgress : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void partsMapIntoTheParentRangeAndNest() {
    std::vector<double> seen;
    const ProgressToken root([&](const ProgressEvent& e) { seen.push_back(e.fraction); }, 0.0);
    root.part(0.5, 1.0).part(0.5, 1.0).report(0.5, "nested");
    root.item(2, 4).report(0.5, "third of four");
    root.part(0.2, 0.4).report(2.0, "clamped to the part's end");
    QCOMPARE(seen.size(), size_t(3));
    QCOMPARE(seen[0], 0.875);
    QCOMPARE(seen[1], 0.625);
    QCOMPARE(seen[2], 0.4);
  }

  void reportsAreThrottledButTheFirstAndLastArrive() {
    std::vector<std::string> stages;
    const ProgressToken token([&](const ProgressEvent& e) { stages.push_back(e.stage); }, 3600.0);
    token.report(0.1, "first");
    for (int i = 0; i < 1000; ++i) token.report(0.1 + i * 1e-4, "dropped");
    token.item(1, 2).report(1.0, "done");
    QCOMPARE(stages, (std::vector<std::string>{"first", "done"}));
  }

  void etaIsExtrapolatedFromTheWholeJob() {
    ProgressEvent last;
    const ProgressToken token([&](const ProgressEvent& e) { last = e; }, 0.0);
    token.report(0.0, "start");
    QVERIFY(last.etaSeconds < 0);  // unknown at the start
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    token.part(0.0, 0.5).report(1.0, "half");
    QVERIFY(last.elapsedSeconds >= 0.02);
    SHELLSCOPE_COMPARE_ERROR(std::abs(last.etaSeconds - last.elapsedSeconds) / last.elapsedSeconds, 1e-9);  // half done
    QVERIFY(last.etaSeconds > 0);
  }

  void copiesPartsAndForwardingTokensShareTheCancelFlag() {
    int forwarded = 0;
    const ProgressToken root;
    const ProgressToken copy = root;
    const ProgressToken part = root.part(0.0, 0.5);
    const ProgressToken beside = part.reportingTo([&](const ProgressEvent&) { ++forwarded; });
    beside.report(0.3, "reported to its own callback");
    QCOMPARE(forwarded, 1);
    QVERIFY(!root.isCancelled());
    ProgressToken(beside).cancel();
    for (const ProgressToken* t : {&root, &copy, &part, &beside}) {
      QVERIFY(t->isCancelled());
      QVERIFY_THROWS_EXCEPTION(CancelledError, t->throwIfCancelled());
    }
  }

  void reportsFromTwoThreadsReachTheCallbackOneAtATime() {
    std::atomic<int> inside{0}, overlaps{0}, calls{0};
    const ProgressToken token(
        [&](const ProgressEvent&) {
          if (inside.fetch_add(1) != 0) ++overlaps;
          ++calls;
          inside.fetch_sub(1);
        },
        0.0);
    auto work = [&](std::size_t part) {
      const ProgressToken mine = token.item(part, 2);
      for (int i = 0; i < 20000; ++i) mine.report(i / 20000.0, "working");
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    QCOMPARE(calls.load(), 40000);
    QCOMPARE(overlaps.load(), 0);
  }
};

QTEST_APPLESS_MAIN(TestProgress)
#include "test_progress.moc"

// The time axis of a checkpoint series (shellscope/transport/time_axis.h) against hand sums and
// closed forms: GPT-NeoX's warm-up and cosine decay at its corners, τ as an exact sum over steps
// (compared with the trapezoid of the continuous schedule, which it must approach), step/rate
// pairs interpolated linearly, the training log's sum, and every parse error named.
#include <QtTest/QtTest>

#include <cmath>

#include "shellscope/session/session.h"
#include "shellscope/transport/time_axis.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::transport;

class TestTimeAxis : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void pythiaScheduleAtItsCorners() {
    // Pythia-70M: peak 1e-3, 1% warm-up of 143,000 steps, cosine to 10% of the peak.
    const auto s = LearningRateSchedule::parse("cosine:peak=1e-3,warmup=1430,total=143000,final=0.1");
    QCOMPARE(s.rate(0), 0.0);
    QCOMPARE(s.rate(715), 0.5e-3);
    QCOMPARE(s.rate(1430), 1e-3);
    QVERIFY(std::abs(s.rate((1430 + 143000) / 2) - 0.55e-3) < 1e-15);  // half way down: (peak + min) / 2
    QCOMPARE(s.rate(143000), 1e-4);
    QCOMPARE(s.rate(200000), 1e-4);
    // τ(T): warm-up Σ_{k<W} peak k/W = peak (W − 1)/2, then the cosine's mean (peak + min)/2 over
    // T − W steps, up to a term of order peak.
    const double expected = 1e-3 * 1429 / 2.0 + 0.55e-3 * (143000 - 1430);
    QVERIFY2(std::abs(s.accumulated(143000) - expected) < 2e-3, qPrintable(QString::number(s.accumulated(143000) - expected)));
    QCOMPARE(s.accumulated(0), 0.0);
    QCOMPARE(s.accumulated(3), s.rate(0) + s.rate(1) + s.rate(2));
    QCOMPARE(QString::fromStdString(LearningRateSchedule::parse(s.describe()).describe()), QString::fromStdString(s.describe()));
  }

  void pairsInterpolateLinearly() {
    const auto s = LearningRateSchedule::parse("pairs:100=1,0=0,200=1");
    QCOMPARE(s.rate(0), 0.0);
    QCOMPARE(s.rate(50), 0.5);
    QCOMPARE(s.rate(150), 1.0);
    QCOMPARE(s.rate(1000), 1.0);
    double sum = 0;
    for (int k = 0; k < 120; ++k) sum += s.rate(k);
    QCOMPARE(s.accumulated(120), sum);
    QCOMPARE(LearningRateSchedule::parse("constant:0.25").accumulated(8), 2.0);
  }

  void timeFromTheLogIsTheLogsSum() {
    TrainingLog log;
    log.modelName = "nano";
    log.steps = {0, 1, 2, 3};
    log.learningRate = Eigen::Vector4d(0.1, 0.2, 0.3, 0.4);
    log.loss = Eigen::Vector4d::Zero();
    const SeriesTime t = timeFromLog(log, {0, 2, 4});
    QVERIFY(t.source == TimeSource::TrainingLog);
    QCOMPARE(t.tau[1], 0.1 + 0.2);
    QVERIFY(std::abs(t.tau[2] - 1.0) < 1e-15);
    QVERIFY(test::messageOf([&] { timeFromLog(log, {9}); }).contains("not step 9"));
    QCOMPARE(QString::fromStdString(timeInSteps({3, 7}).unit()), QString("steps"));
    QCOMPARE(timeInSteps({3, 7}).tau[1], 7.0);
  }

  void badSchedulesAreNamed() {
    const auto message = [](const char* text) {
      return test::messageOf([&] { LearningRateSchedule::parse(text); });
    };
    QVERIFY(message("linear:1").contains("unknown kind"));
    QVERIFY(message("1e-3").contains("expected cosine"));
    QVERIFY(message("cosine:peak=1e-3,warmup=10").contains("total"));
    QVERIFY(message("cosine:peak=1e-3,total=10,warmup=20").contains("exceed"));
    QVERIFY(message("cosine:peak=1e-3,total=10,speed=2").contains("unknown key 'speed'"));
    QVERIFY(message("cosine:peak=abc,total=10").contains("not a finite number"));
    QVERIFY(message("pairs:1.5=1").contains("not a step"));
    QVERIFY(message("pairs:1=-1").contains(">= 0"));
    QVERIFY(message("pairs:").contains("no step/rate pairs"));
    QVERIFY(message("pairs:5").contains("not STEP=RATE"));
  }
};

QTEST_GUILESS_MAIN(TestTimeAxis)
#include "test_time_axis.moc"

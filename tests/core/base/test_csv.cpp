// The one CSV writer: RFC 4180 quoting, numbers that read back to the same double in their
// shortest form, nan/inf spelled out, absent values as empty fields.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "shellscope/base/csv.h"
#include "test_support.h"

using namespace shellscope;

class TestCsv : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void fieldsAreQuotedOnlyWhenNeeded() {
    QCOMPARE(csvField("plain"), std::string("plain"));
    QCOMPARE(csvField("a,b"), std::string("\"a,b\""));
    QCOMPARE(csvField("say \"hi\""), std::string("\"say \"\"hi\"\"\""));
    QCOMPARE(csvField("two\nlines"), std::string("\"two\nlines\""));
    QCOMPARE(csvField("carriage\rreturn"), std::string("\"carriage\rreturn\""));
    QCOMPARE(csvField(""), std::string(""));
  }

  void numbersReadBackExactly() {
    QCOMPARE(csvNumber(0.1), std::string("0.1"));
    QCOMPARE(csvNumber(-2.5e-300), std::string("-2.5e-300"));
    for (double value : {1.0 / 3.0, 2.0 / 3.0 * 1e17, std::numeric_limits<double>::min(),
                         std::numeric_limits<double>::max(), 6.02214076e23, -0.0}) {
      const std::string text = csvNumber(value);
      QCOMPARE(std::strtod(text.c_str(), nullptr), value);
    }
    QCOMPARE(csvNumber(std::nan("")), std::string("nan"));
    QCOMPARE(csvNumber(INFINITY), std::string("inf"));
    QCOMPARE(csvNumber(-INFINITY), std::string("-inf"));
  }

  void rowsJoinFieldsWithCommas() {
    std::ostringstream out;
    CsvWriter csv(out);
    csv.header({"name", "value", "missing"});
    csv.text("a,b").number(1.5).optionalNumber(std::nullopt).endRow();
    csv.integer(-7).empty().optionalNumber(2.0).endRow();
    QCOMPARE(out.str(), std::string("name,value,missing\n\"a,b\",1.5,\n-7,,2\n"));
  }
};

QTEST_APPLESS_MAIN(TestCsv)
#include "test_csv.moc"

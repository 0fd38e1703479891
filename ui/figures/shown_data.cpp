#include "ui/figures/shown_data.h"

#include <QSaveFile>
#include <QStringList>

#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"
#include "ui/views/chart_page.h"

namespace shellscope::ui {

namespace {

/// The fields of one CSV line (RFC 4180 quoting, as CsvWriter writes it; no line breaks inside).
QStringList splitCsvLine(const QString& line) {
  QStringList fields;
  QString field;
  bool quoted = false;
  for (int i = 0; i < line.size(); ++i) {
    const QChar c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields << field;
      field.clear();
    } else {
      field += c;
    }
  }
  fields << field;
  return fields;
}

QString number(double v) { return QString::number(v, 'g', 6); }

QString cursorList(const std::vector<double>& values) {
  if (values.empty()) return QStringLiteral("none");
  QStringList parts;
  for (double v : values) parts << number(v);
  return parts.join(' ');
}

}  // namespace

QString writeShownData(const QString& path, const QString& csv) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text) || file.write(csv.toUtf8()) < 0 || !file.commit()) {
    return QString("%1: %2").arg(path, file.errorString());
  }
  return {};
}

QString rowsInRange(const QString& csv, const QString& column, double from, double to) {
  QStringList lines = csv.split('\n');
  if (lines.isEmpty()) return csv;
  const int index = splitCsvLine(lines.front()).indexOf(column);
  if (index < 0) return csv;
  QStringList kept{lines.front()};
  for (int i = 1; i < lines.size(); ++i) {
    if (lines[i].isEmpty()) continue;
    const QStringList fields = splitCsvLine(lines[i]);
    bool ok = false;
    const double x = index < fields.size() ? fields[index].toDouble(&ok) : 0;
    if (!ok || (x >= from && x <= to)) kept << lines[i];
  }
  return kept.join('\n') + '\n';
}

QString shownDataWithHeader(const ChartPage& page, const SessionDocument& document) {
  QString csv = page.shownDataCsv();
  if (csv.isEmpty()) return {};
  QStringList header;
  header << QStringLiteral("# ShellScope shown data: %1").arg(page.figureName());
  header << QStringLiteral("# session: %1").arg(document.path().isEmpty() ? QStringLiteral("(unsaved)") : document.path());
  QStringList runs;
  for (const Run* run : document.checkedRuns()) {
    runs << QStringLiteral("%1 (%2 step %3)").arg(QString::fromStdString(run->id), QString::fromStdString(run->meta.modelName))
                .arg(run->meta.step);
  }
  header << QStringLiteral("# runs: %1").arg(runs.isEmpty() ? QStringLiteral("none checked") : runs.join(", "));
  const analysis::AnalysisOptions& o = document.analysisOptions();
  header << QStringLiteral("# analysis: smoothing_width=%1 bootstrap_samples=%2 seed=%3 confidence=%4 collapse_factor=%5 "
                           "lambda_min=%6 lambda_max=%7")
                .arg(number(o.smoothingWidth))
                .arg(o.bootstrapSamples)
                .arg(o.seed)
                .arg(number(o.confidence), number(o.collapseFactor), number(o.lambdaMin), number(o.lambdaMax));
  const QString column = page.shownDataXColumn();
  const QList<InteractiveChartView*> views = page.findChildren<InteractiveChartView*>();
  if (!column.isEmpty() && !views.isEmpty() && views.front()->isZoomed()) {
    const AxisRanges r = views.front()->currentRanges();
    if (r.valid()) {
      csv = rowsInRange(csv, column, r.xMin, r.xMax);
      header << QStringLiteral("# x range: %1 in [%2, %3]").arg(column, number(r.xMin), number(r.xMax));
    }
  }
  header << QStringLiteral("# cursors: lambda %1; step %2")
                .arg(cursorList(document.cursors()->pinned(CursorAxis::Lambda)),
                     cursorList(document.cursors()->pinned(CursorAxis::Step)));
  return header.join('\n') + '\n' + csv;
}

}  // namespace shellscope::ui

#include "ui/document/view_state.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <stdexcept>

namespace shellscope::ui {

namespace {

constexpr const char* kFormat = "shellscope-view-state";
constexpr int kVersion = 1;

QJsonArray toArray(const std::vector<double>& values) {
  QJsonArray array;
  for (double v : values) array.append(v);
  return array;
}

std::vector<double> numbers(const QJsonValue& value) {
  std::vector<double> out;
  for (const QJsonValue& v : value.toArray()) {
    if (v.isDouble()) out.push_back(v.toDouble());
  }
  return out;
}

QString alignmentName(Qt::Alignment a) {
  if (a & Qt::AlignTop) return QStringLiteral("top");
  if (a & Qt::AlignBottom) return QStringLiteral("bottom");
  if (a & Qt::AlignLeft) return QStringLiteral("left");
  return QStringLiteral("right");
}

Qt::Alignment alignmentOf(const QString& name, Qt::Alignment fallback) {
  if (name == "top") return Qt::AlignTop;
  if (name == "bottom") return Qt::AlignBottom;
  if (name == "left") return Qt::AlignLeft;
  if (name == "right") return Qt::AlignRight;
  return fallback;
}

}  // namespace

QJsonObject toJson(const FigureSettings& s) {
  return QJsonObject{{"width", s.options.size.width()},
                     {"height", s.options.size.height()},
                     {"dpi", s.options.dpi},
                     {"font_point_size", s.style.fontPointSize},
                     {"line_width", s.style.lineWidth},
                     {"legend", s.style.legend},
                     {"legend_alignment", alignmentName(s.style.legendAlignment)}};
}

FigureSettings figureSettingsFromJson(const QJsonObject& o) {
  FigureSettings s;
  // Out-of-range numbers fall back to the defaults: a hand-edited state must not ask for a 0 px figure.
  const int width = o.value("width").toInt(s.options.size.width());
  const int height = o.value("height").toInt(s.options.size.height());
  if (width >= 16 && width <= 20000 && height >= 16 && height <= 20000) s.options.size = QSize(width, height);
  const int dpi = o.value("dpi").toInt(s.options.dpi);
  if (dpi >= 10 && dpi <= 2400) s.options.dpi = dpi;
  const int font = o.value("font_point_size").toInt(s.style.fontPointSize);
  if (font >= 1 && font <= 200) s.style.fontPointSize = font;
  const double line = o.value("line_width").toDouble(s.style.lineWidth);
  if (line > 0 && line <= 50) s.style.lineWidth = line;
  s.style.legend = o.value("legend").toBool(s.style.legend);
  s.style.legendAlignment = alignmentOf(o.value("legend_alignment").toString(), s.style.legendAlignment);
  return s;
}

QJsonObject toJson(const analysis::AnalysisOptions& o) {
  return QJsonObject{{"smoothing_width", o.smoothingWidth},
                     {"bootstrap_samples", o.bootstrapSamples},
                     {"seed", QString::number(o.seed)},  // a 64-bit seed does not fit a JSON double
                     {"confidence", o.confidence},
                     {"collapse_factor", o.collapseFactor},
                     {"lambda_min", o.lambdaMin},
                     {"lambda_max", o.lambdaMax}};
}

analysis::AnalysisOptions analysisOptionsFromJson(const QJsonObject& o, const analysis::AnalysisOptions& defaults) {
  analysis::AnalysisOptions a = defaults;
  const double smoothing = o.value("smoothing_width").toDouble(a.smoothingWidth);
  if (smoothing >= 0 && smoothing <= 10) a.smoothingWidth = smoothing;
  const int samples = o.value("bootstrap_samples").toInt(a.bootstrapSamples);
  if (samples >= 0 && samples <= 100000) a.bootstrapSamples = samples;
  bool ok = false;
  const qulonglong seed = o.value("seed").toString().toULongLong(&ok);
  if (ok) a.seed = seed;
  const double confidence = o.value("confidence").toDouble(a.confidence);
  if (confidence > 0 && confidence < 1) a.confidence = confidence;
  const double collapse = o.value("collapse_factor").toDouble(a.collapseFactor);
  if (collapse > 0 && collapse < 1) a.collapseFactor = collapse;
  a.lambdaMin = o.value("lambda_min").toDouble(a.lambdaMin);
  a.lambdaMax = o.value("lambda_max").toDouble(a.lambdaMax);
  return a;
}

bool sameDrawnAnalysis(const analysis::AnalysisOptions& a, const analysis::AnalysisOptions& b) {
  return a.smoothingWidth == b.smoothingWidth && a.bootstrapSamples == b.bootstrapSamples && a.seed == b.seed &&
         a.confidence == b.confidence && a.collapseFactor == b.collapseFactor && a.lambdaMin == b.lambdaMin &&
         a.lambdaMax == b.lambdaMax;
}

QJsonObject toJson(const ViewState& state) {
  QJsonObject pages;
  for (const auto& [name, page] : state.pages) pages.insert(name, page);
  QJsonObject o{{"format", kFormat},
                {"version", kVersion},
                {"tab", state.tab},
                {"checked_runs", QJsonArray::fromStringList(state.checkedRuns)},
                {"figure", toJson(state.figure)},
                {"cursors", QJsonObject{{"lambda", toArray(state.lambdaCursors)}, {"step", toArray(state.stepCursors)}}},
                {"pages", pages}};
  if (state.analysis) o.insert("analysis", toJson(*state.analysis));
  return o;
}

QByteArray viewStateText(const ViewState& state) { return QJsonDocument(toJson(state)).toJson(QJsonDocument::Indented); }

ViewState viewStateFromJson(const QString& name, const QByteArray& text) {
  const auto fail = [&](const QString& problem) {
    throw std::runtime_error(QStringLiteral("view state '%1': %2").arg(name, problem).toStdString());
  };
  QJsonParseError error;
  const QJsonDocument document = QJsonDocument::fromJson(text, &error);
  if (error.error != QJsonParseError::NoError) fail(QStringLiteral("not JSON (%1 at offset %2)").arg(error.errorString()).arg(error.offset));
  if (!document.isObject()) fail(QStringLiteral("not a JSON object"));
  const QJsonObject o = document.object();
  if (o.value("format").toString() != kFormat) fail(QStringLiteral("format is not \"%1\"").arg(kFormat));
  const int version = o.value("version").toInt(-1);
  if (version < 1) fail(QStringLiteral("no version"));
  if (version > kVersion) fail(QStringLiteral("version %1 is newer than this build reads (%2)").arg(version).arg(kVersion));
  ViewState state;
  state.tab = o.value("tab").toString();
  for (const QJsonValue& v : o.value("checked_runs").toArray()) {
    if (v.isString()) state.checkedRuns << v.toString();
  }
  if (o.value("analysis").isObject()) state.analysis = analysisOptionsFromJson(o.value("analysis").toObject(), {});
  state.figure = figureSettingsFromJson(o.value("figure").toObject());
  const QJsonObject cursors = o.value("cursors").toObject();
  state.lambdaCursors = numbers(cursors.value("lambda"));
  state.stepCursors = numbers(cursors.value("step"));
  if (state.lambdaCursors.size() > 2) state.lambdaCursors.resize(2);
  if (state.stepCursors.size() > 2) state.stepCursors.resize(2);
  const QJsonObject pages = o.value("pages").toObject();
  for (auto it = pages.begin(); it != pages.end(); ++it) {
    if (it.value().isObject()) state.pages[it.key()] = it.value().toObject();
  }
  return state;
}

}  // namespace shellscope::ui

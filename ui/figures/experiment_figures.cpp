#include "ui/figures/experiment_figures.h"

#include <QDir>
#include <QtCharts/QChart>
#include <memory>
#include <set>

#include "ui/charts/chart_builders.h"
#include "ui/figures/figure_export.h"

namespace shellscope::ui {

QStringList renderSessionFigures(const Session& session, const QString& directory) {
  ensureGuiApplication();  // charts are graphics items: they need the application object first
  QDir().mkpath(directory);
  QStringList written;
  auto save = [&](QChart* chart, const QString& name) {
    std::unique_ptr<QChart> owned(chart);
    const QString path = QDir(directory).filePath(name);
    exportChart(chart, path);
    written << path;
  };
  const std::vector<std::string> models = modelsBySize(session);
  for (const std::string& model : models) {
    const auto runs = runsOfModel(session, model);
    const QString title = QString::fromUtf8("%1: shell energy across training").arg(QString::fromStdString(model));
    save(profileChart(runs, title), QString("profile-%1.png").arg(QString::fromStdString(model)));
  }
  save(frontierChart(session), "frontier.png");
  // The largest step every model has.
  std::int64_t common = -1;
  for (const std::string& model : models) {
    std::set<std::int64_t> steps;
    for (const Run* run : runsOfModel(session, model)) steps.insert(run->meta.step);
    const std::int64_t last = steps.empty() ? -1 : *steps.rbegin();
    common = common < 0 ? last : std::min(common, last);
  }
  if (common >= 0) save(overlayChart(session, common), "overlay.png");
  return written;
}

}  // namespace shellscope::ui

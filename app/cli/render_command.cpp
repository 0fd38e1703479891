#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/session_file.h"

#ifdef SHELLSCOPE_WITH_UI
#include <QtCharts/QChart>
#include <memory>

#include "shellscope/analysis/session_analysis.h"
#include "ui/charts/chart_builders.h"
#include "ui/figures/figure_export.h"
#endif

namespace shellscope::cli {

int renderCommand(const Arguments& args) {
  CommandLine cl("render", "render SESSION.h5 --view profile|overlay|trends [--model NAME] [--step N] --out FILE.png|svg|pdf",
                 "Renders a figure of a session without the GUI. profile: the checkpoints of a model coloured by\n"
                 "step, or with --step one run with its fits and frontier; overlay: every model at one step;\n"
                 "trends: the frontier of every model against training step.",
                 {
                     {"view", "VIEW", "profile | overlay | trends", "profile"},
                     {"model", "NAME", "model (default: the smallest)", ""},
                     {"step", "N", "training step (overlay default: the last one all models have)", ""},
                     {"out", "FILE", "output file: .png, .svg or .pdf", ""},
                     {"width", "PX", "figure width", "900"},
                     {"height", "PX", "figure height", "600"},
                     {"dpi", "N", "PNG resolution", "150"},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  const std::string out = cl.required("out");
  const std::string view = cl.value("view");
#ifdef SHELLSCOPE_WITH_UI
  const Session session = readSession(path);
  if (session.runs.empty()) throw std::runtime_error(path + ": the session has no runs to render");
  ui::ensureGuiApplication();
  const std::vector<std::string> models = ui::modelsBySize(session);
  const std::string model = cl.has("model") ? cl.value("model") : models.front();
  if (std::find(models.begin(), models.end(), model) == models.end()) {
    throw std::runtime_error(path + ": no model named '" + model + "'");
  }
  std::unique_ptr<QChart> chart;
  if (view == "profile" && cl.has("step")) {
    const std::int64_t step = cl.intValue("step");
    const Run* run = nullptr;
    for (const Run* r : ui::runsOfModel(session, model)) {
      if (r->meta.step == step) run = r;
    }
    if (!run) throw std::runtime_error(path + ": " + model + " has no run at step " + std::to_string(step));
    // The stored analysis when it is current, else a fresh one.
    const analysis::SessionAnalysis stored = analysis::readAnalysis(path, session);
    const analysis::RunAnalysis* a = stored.findRun(run->id);
    const analysis::RunAnalysis fresh = a && !a->stale ? *a : analysis::analyzeRun(*run, analysis::AnalysisOptions{});
    chart.reset(ui::analysisChart(*run, fresh));
  } else if (view == "profile") {
    chart.reset(ui::profileChart(ui::runsOfModel(session, model),
                                 QString::fromUtf8("%1: shell energy across training").arg(QString::fromStdString(model))));
  } else if (view == "overlay") {
    std::int64_t step = -1;
    if (cl.has("step")) {
      step = cl.intValue("step");
    } else {
      for (const Run* r : ui::runsOfModel(session, models.front())) {
        bool everywhere = true;
        for (const std::string& m : models) {
          const auto runs = ui::runsOfModel(session, m);
          everywhere &= std::any_of(runs.begin(), runs.end(), [&](const Run* x) { return x->meta.step == r->meta.step; });
        }
        if (everywhere) step = r->meta.step;
      }
    }
    chart.reset(ui::overlayChart(session, step));
  } else if (view == "trends") {
    chart.reset(ui::frontierChart(session));
  } else {
    throw UsageError("--view must be profile, overlay or trends");
  }
  ui::ExportOptions options;
  options.size = QSize(cl.intValue("width"), cl.intValue("height"));
  options.dpi = cl.intValue("dpi");
  ui::exportChart(chart.get(), QString::fromStdString(out), options);
  std::cout << out << "\n";
  return 0;
#else
  (void)view;
  throw std::runtime_error("render needs the Qt build of shellscope-cli (configure with SHELLSCOPE_BUILD_UI=ON)");
#endif
}

}  // namespace shellscope::cli

#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/session/session_file.h"

#ifdef SHELLSCOPE_WITH_UI
#include <QtCharts/QChart>
#include <memory>

#include "shellscope/analysis/session_analysis.h"
#include <QProcess>

#include "ui/charts/animation_chart.h"
#include "ui/charts/chart_builders.h"
#include "ui/figures/figure_export.h"
#endif

namespace shellscope::cli {

#ifdef SHELLSCOPE_WITH_UI
namespace {

/// The frontier animation of `model` as frames in the folder --out, and a video with --video.
int renderAnimation(const CommandLine& cl, const std::string& path, const Session& session, const std::string& model) {
  const std::string out = cl.required("out");
  // The stored analysis where it is current (frontier with its bootstrap), else a fresh one.
  const analysis::SessionAnalysis stored = analysis::readAnalysis(path, session);
  const std::vector<const Run*> runs = ui::runsOfModel(session, model);
  std::vector<analysis::RunAnalysis> analyses;
  for (const Run* run : runs) {
    const analysis::RunAnalysis* a = stored.findRun(run->id);
    analyses.push_back(a && !a->stale ? *a : analysis::analyzeRun(*run, stored.options));
  }
  std::vector<const analysis::RunAnalysis*> pointers;
  for (const analysis::RunAnalysis& a : analyses) pointers.push_back(&a);
  const ui::ProfileAnimation animation(runs, pointers, stored.options.smoothingWidth);
  ui::AnimationFrameWriter writer(animation, QString::fromStdString(model), QString::fromStdString(out),
                                  cl.intValue("frames-per-checkpoint"), ui::ChartStyle{},
                                  QSize(cl.intValue("width"), cl.intValue("height")), cl.intValue("dpi"));
  for (int i = 0; i < writer.frameCount(); ++i) writer.writeFrame(i);
  std::cout << out << ": " << writer.frameCount() << " frames (frame_0000.png ...)\n";
  if (cl.has("video")) {
    const QString ffmpeg = ui::findFfmpeg();
    if (ffmpeg.isEmpty()) throw std::runtime_error("--video needs ffmpeg on the PATH; the frames are in " + out);
    const QString video = QString::fromStdString(out) + "/animation.mp4";
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(ffmpeg, ui::videoArguments(QString::fromStdString(out), cl.intValue("fps"), video));
    if (!process.waitForFinished(-1) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
      throw std::runtime_error(video.toStdString() + ": ffmpeg failed: " + process.readAll().trimmed().toStdString());
    }
    std::cout << video.toStdString() << "\n";
  }
  return 0;
}

}  // namespace
#endif

int renderCommand(const Arguments& args) {
  CommandLine cl("render", "render SESSION.h5 --view profile|animation|overlay|trends [--model NAME] [--step N] --out FILE.png|svg|pdf",
                 "Renders a figure of a session without the GUI. profile: the checkpoints of a model coloured by\n"
                 "step, or with --step one run with its fits and frontier; animation: the frontier animation of a\n"
                 "model as numbered PNG frames in the folder --out (and animation.mp4 with --video when ffmpeg is\n"
                 "installed); overlay: every model at one step; trends: the frontier of every model against step.",
                 {
                     {"view", "VIEW", "profile | animation | overlay | trends", "profile"},
                     {"model", "NAME", "model (default: the smallest)", ""},
                     {"step", "N", "training step (overlay default: the last one all models have)", ""},
                     {"out", "FILE", "output file: .png, .svg or .pdf", ""},
                     {"width", "PX", "figure width", "900"},
                     {"height", "PX", "figure height", "600"},
                     {"dpi", "N", "PNG resolution", "150"},
                     {"frames-per-checkpoint", "N", "animation: frames between consecutive checkpoints", "8"},
                     {"fps", "N", "animation: frames per second of the video", "24"},
                     {"video", "", "animation: also encode DIR/animation.mp4 with ffmpeg", ""},
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
  if (view == "animation") return renderAnimation(cl, path, session, model);
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
    throw UsageError("--view must be profile, animation, overlay or trends");
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

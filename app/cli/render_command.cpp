#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#ifdef SHELLSCOPE_WITH_UI
#include "shellscope/transport/transport_file.h"
#endif

#ifdef SHELLSCOPE_WITH_UI
#include <QtCharts/QChart>
#include <memory>
#include <optional>

#include "shellscope/analysis/analysis_file.h"
#include <QProcess>

#include "ui/charts/animation_chart.h"
#include "ui/charts/chart_builders.h"
#include "ui/charts/colormap.h"
#include "ui/charts/difference_chart.h"
#include "ui/charts/generalisation_charts.h"
#include "ui/charts/lab_charts.h"
#include "ui/charts/transport_chart.h"
#include "ui/charts/trend_charts.h"
#include "ui/figures/figure_export.h"
#include "ui/figures/view_state_replay.h"
#endif

namespace shellscope::cli {

namespace {
struct RenderOptions {
  std::string view = "profile", model, out, quantity = "frontier", axis = "step", lab, panel = "all", transport,
              time, color, objective = "auto";
  std::int64_t step = -1;
  int width = 900, height = 600, dpi = 150, framesPerCheckpoint = 8, fps = 24, interval = 0, checkpoint = -1;
  bool video = false;
};
}  // namespace

#ifdef SHELLSCOPE_WITH_UI
namespace {

/// The frontier animation of `model` as frames in the folder --out, and a video with --video.
int renderAnimation(const RenderOptions& o, const std::string& path, const Session& session, const std::string& model) {
  const std::string& out = o.out;
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
                                  o.framesPerCheckpoint, ui::ChartStyle{}, QSize(o.width, o.height), o.dpi);
  for (int i = 0; i < writer.frameCount(); ++i) writer.writeFrame(i);
  std::cout << out << ": " << writer.frameCount() << " frames (frame_0000.png ...)\n";
  if (o.video) {
    const QString ffmpeg = ui::findFfmpeg();
    if (ffmpeg.isEmpty()) throw std::runtime_error("--video needs ffmpeg on the PATH; the frames are in " + out);
    const QString video = QString::fromStdString(out) + "/animation.mp4";
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(ffmpeg, ui::videoArguments(QString::fromStdString(out), o.fps, video));
    if (!process.waitForFinished(-1) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
      throw std::runtime_error(video.toStdString() + ": ffmpeg failed: " + process.readAll().trimmed().toStdString());
    }
    std::cout << video.toStdString() << "\n";
  }
  return 0;
}

/// The Lab view's figure (ui/charts/lab_charts.h): lab run --lab (default the first), interval
/// --interval, the four panels or --panel's one.
std::unique_ptr<QChart> labFigure(const RenderOptions& o, const CommandLine& cl, const std::string& path) {
  const std::vector<LabRun> runs = readLabRuns(path);
  if (runs.empty()) throw std::runtime_error(path + ": the session has no lab runs (/lab) to render");
  int chosen = 0;
  if (cl.has("lab")) {
    const auto it = std::find_if(runs.begin(), runs.end(), [&](const LabRun& r) { return r.id == o.lab; });
    if (it == runs.end()) throw std::runtime_error(path + ": no lab run named '" + o.lab + "'");
    chosen = static_cast<int>(it - runs.begin());
  }
  const int intervals = static_cast<int>(runs[chosen].intervals.size());
  if (o.interval < 0 || o.interval >= std::max(1, intervals)) {
    throw UsageError("--interval must be 0.." + std::to_string(std::max(0, intervals - 1)) + " for " + runs[chosen].id);
  }
  ui::LabPanel panel;
  if (!ui::parseLabPanel(QString::fromStdString(o.panel), &panel)) {
    throw UsageError("--panel must be all, flux, balance, ratio or sweep");
  }
  return std::unique_ptr<QChart>(ui::labFigure(runs, chosen, o.interval, panel));
}

/// The Generalisation view's figure (ui/charts/generalisation_charts.h): lab run --lab (default the
/// first with held-out points) or, with --model or without such lab runs, the session runs of a model
/// computed with held-out data; checkpoint --checkpoint (default the view's), time --time, colours
/// --color, the four panels or --panel's one.
std::unique_ptr<QChart> generalisationFigure(const RenderOptions& o, const CommandLine& cl, const std::string& path) {
  std::vector<LabRun> runs = readLabRuns(path);
  const std::size_t labRuns = runs.size();
  runs.erase(std::remove_if(runs.begin(), runs.end(), [](const LabRun& r) { return !r.hasHeldOut(); }), runs.end());
  // --model, or no lab run with held-out points: the session's runs of a model computed with held-out data.
  std::optional<ui::HeldOutSeries> series;
  if (cl.has("model") || (runs.empty() && !cl.has("lab"))) {
    const Session session = readSession(path);
    const std::vector<std::string> models = ui::modelsWithHeldOut(session);
    if (cl.has("model") && std::find(models.begin(), models.end(), o.model) == models.end()) {
      throw std::runtime_error(path + ": no runs of '" + o.model + "' computed with held-out data (compute --held-out-data)");
    }
    if (!models.empty()) {
      const std::string model = cl.has("model") ? o.model : models.front();
      // --objective, or by default the cross-entropy flow where the runs have it.
      analysis::HeldOutObjective objective = analysis::HeldOutObjective::MeanSquaredError;
      if (o.objective == "cross-entropy" ||
          (o.objective == "auto" && ui::modelHasHeldOutSplit(session, model, analysis::HeldOutObjective::CrossEntropy))) {
        objective = analysis::HeldOutObjective::CrossEntropy;
      } else if (o.objective != "mse" && o.objective != "auto") {
        throw UsageError("--objective must be auto, mse or cross-entropy");
      }
      if (!ui::modelHasHeldOutSplit(session, model, objective)) {
        throw std::runtime_error(path + ": no runs of '" + model +
                                 "' computed with the held-out cross-entropy split (compute --held-out-cross-entropy)");
      }
      series = ui::heldOutSeries(session, model, objective);
    }
  }
  if (runs.empty() && !series) {
    throw std::runtime_error(path + ": the session has no lab run with held-out points (" + std::to_string(labRuns) +
                             " lab runs without; make one with lab run --held-out N) and no run computed with --held-out-data");
  }
  const LabRun* chosen = series ? &series->run : &runs.front();
  if (cl.has("lab") && !cl.has("model")) {
    const auto it = std::find_if(runs.begin(), runs.end(), [&](const LabRun& r) { return r.id == o.lab; });
    if (it == runs.end()) throw std::runtime_error(path + ": no lab run with held-out points named '" + o.lab + "'");
    chosen = &*it;
  }
  const int checkpoints = static_cast<int>(chosen->checkpoints.size());
  int checkpoint = ui::defaultGeneralisationCheckpoint(*chosen);
  if (cl.has("checkpoint")) {
    if (o.checkpoint < 0 || o.checkpoint >= std::max(1, checkpoints)) {
      throw UsageError("--checkpoint must be 0.." + std::to_string(std::max(0, checkpoints - 1)) + " for " + chosen->id);
    }
    checkpoint = o.checkpoint;
  }
  ui::GeneralisationAxis axis = ui::defaultGeneralisationAxis(*chosen);
  if (cl.has("time")) {
    if (o.time != "tau" && o.time != "steps") throw UsageError("--time must be tau or steps");
    axis.tau = o.time == "tau";
  }
  if (cl.has("color")) {
    if (o.color != "linear" && o.color != "log") throw UsageError("--color must be linear or log");
    axis.logColor = o.color == "log";
  }
  ui::GeneralisationPanel panel;
  if (!ui::parseGeneralisationPanel(QString::fromStdString(o.panel), &panel)) {
    throw UsageError("--panel must be all, profiles, rates, heatmap or losses for --view generalisation");
  }
  if (series && axis.tau) throw UsageError("--time tau: session runs know no learning rates (their time is in steps)");
  return std::unique_ptr<QChart>(
      ui::generalisationFigure(*chosen, checkpoint, axis, panel, ui::ChartStyle{}, series ? &series->rateStandardError : nullptr));
}

/// The Transport view's figure (ui/charts/transport_chart.h): estimate --transport (default the
/// first) on its default time axis, or --time tau|steps and --log-time.
std::unique_ptr<QChart> transportFigure(const RenderOptions& o, const CommandLine& cl, const std::string& path, bool logTime) {
  const std::vector<transport::SeriesTransport> all = transport::readTransports(path);
  if (all.empty()) throw std::runtime_error(path + ": the session has no flux estimates (/transport) to render");
  const transport::SeriesTransport* chosen = &all.front();
  if (cl.has("transport")) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const auto& t) { return t.id == o.transport; });
    if (it == all.end()) throw std::runtime_error(path + ": no flux estimate named '" + o.transport + "'");
    chosen = &*it;
  }
  ui::TransportAxis axis = ui::defaultTransportAxis(*chosen);
  if (cl.has("time")) {
    if (o.time != "tau" && o.time != "steps") throw UsageError("--time must be tau or steps");
    if (o.time == "tau" && !axis.tau) throw std::runtime_error(path + ": " + chosen->id + " knows no learning rates: its time is in steps");
    axis.tau = o.time == "tau";
  }
  if (cl.has("log-time")) axis.logTime = logTime;
  if (cl.has("color")) {
    if (o.color != "linear" && o.color != "log") throw UsageError("--color must be linear or log");
    axis.logColor = o.color == "log";
  }
  return std::unique_ptr<QChart>(ui::transportChart(*chosen, axis));
}

}  // namespace
#endif

int renderCommand(const Arguments& args) {
  CommandLine cl("render", "render SESSION.h5 --view profile|animation|overlay|trends|lab|transport|generalisation [--model NAME] "
                 "[--step N] [--lab ID] [--interval K] [--checkpoint K] [--transport ID] --out FILE.png|svg|pdf",
                 "Renders a figure of a session without the GUI. profile: the checkpoints of a model coloured by\n"
                 "step, or with --step one run with its fits and frontier; animation: the frontier animation of a\n"
                 "model as numbered PNG frames in the folder --out (and animation.mp4 with --video when ffmpeg is\n"
                 "installed); overlay: every model at one step; trends: one quantity of every model (or --model)\n"
                 "against step or τ, fitted over each model's trend window, as the GUI's Trends view; lab: a lab\n"
                 "run's flux matrix and shell balance of one interval, its transport/dissipation ratio over τ and\n"
                 "the lazy-rich sweep over the session's lab runs, as the GUI's Lab view (all four panels at\n"
                 "1400 x 1000 unless --width/--height, or one with --panel); transport: the cumulative flux J of a\n"
                 "stored estimate over (checkpoint interval x shell edge), as the GUI's Transport view; generalisation:\n"
                 "a lab run with held-out points (lab run --held-out N): the training and held-out profiles and the\n"
                 "held-out loss rate R_b per training shell at one checkpoint, R_b over checkpoints x shells with the\n"
                 "window where the held-out loss rises, and both losses, as the GUI's Generalisation view (all four\n"
                 "panels at 1400 x 1000 unless --width/--height, or one with --panel); with --model (or without such\n"
                 "lab runs) the same for a model's runs computed with compute --held-out-data, one checkpoint a run.");
  RenderOptions o;
  cl.option("view", "VIEW", "profile | animation | overlay | trends | lab | transport | generalisation", o.view);
  cl.option("model", "NAME", "model", o.model).defaultText("the smallest");
  cl.option("step", "N", "training step", o.step).defaultText("overlay: the last one all models have");
  cl.option("out", "FILE", "output file: .png, .svg or .pdf", o.out);
  cl.option("width", "PX", "figure width", o.width);
  cl.option("height", "PX", "figure height", o.height);
  cl.option("dpi", "N", "PNG resolution", o.dpi);
  cl.option("frames-per-checkpoint", "N", "animation: frames between consecutive checkpoints", o.framesPerCheckpoint);
  cl.option("fps", "N", "animation: frames per second of the video", o.fps);
  cl.flag("video", "animation: also encode DIR/animation.mp4 with ffmpeg", o.video);
  cl.option("quantity", "Q", "trends: frontier | kappa | p | amplitude | loss", o.quantity);
  cl.option("axis", "AXIS", "trends: step | accumulated_lr", o.axis);
  cl.option("lab", "ID", "lab, generalisation: the lab run", o.lab).defaultText("the first (with held-out points)");
  cl.option("interval", "K", "lab: the interval (0 = the first) of the flux matrix and balance", o.interval);
  cl.option("panel", "P", "lab: all | flux | balance | ratio | sweep; generalisation: all | profiles | rates | heatmap | losses", o.panel);
  cl.option("checkpoint", "K", "generalisation: the checkpoint (0 = the first) of the profiles and the rates", o.checkpoint)
      .defaultText("where the held-out loss rises most, else the last");
  cl.option("objective", "O",
            "generalisation, session runs: mse (rates from e) | cross-entropy (from 1, runs computed with\n"
            "--held-out-cross-entropy) | auto (cross-entropy where the runs have it)",
            o.objective);
  cl.option("transport", "ID", "transport: the flux estimate", o.transport).defaultText("the first");
  cl.option("time", "T", "transport, generalisation: tau | steps", o.time)
      .defaultText("transport: tau when the series knows it; generalisation: steps");
  cl.option("color", "C", "transport, generalisation: linear | log (signed, three decades)", o.color)
      .defaultText("log when the largest |J| or |R| is over 100 times the median");
  std::int64_t baseStep = -1;
  cl.option("base-step", "S", "profile: draw what changed since the checkpoint at step S (ΔE with paired bands)", baseStep)
      .defaultText("");
  bool ratio = false;
  cl.flag("ratio", "profile with --base-step: the ratio E/E(base) on a log axis instead of ΔE", ratio);
  bool logTime = false;
  cl.flag("log-time", "transport: a logarithmic time axis (default when the steps span over two decades)", logTime);
  std::string state, csv;
  cl.option("state", "NAME",
            "replay the view state NAME saved with the session in the GUI (View > View States): the figure\n"
            "of its view exactly as the GUI exports it with that state, at the state's export settings unless\n"
            "--width/--height/--dpi; the other view options do not apply",
            state)
      .defaultText("");
  cl.option("csv", "FILE", "with --state: also (or only) the data the view shows, as File > Export Shown Data writes it", csv)
      .defaultText("");
  bool listStates = false;
  cl.flag("list-states", "print the names of the session's view states and stop", listStates);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
#ifdef SHELLSCOPE_WITH_UI
  if (listStates) {
    for (const std::string& name : ui::viewStateNames(path)) std::cout << name << "\n";
    return 0;
  }
  if (cl.has("state")) {
    if (!cl.has("out") && !cl.has("csv")) throw UsageError("--state needs --out FILE.png|svg|pdf, --csv FILE or both");
    ui::ReplayRequest request;
    request.sessionPath = path;
    request.stateName = state;
    request.figurePath = cl.has("out") ? o.out : std::string();
    request.csvPath = csv;
    if (cl.has("width")) request.width = o.width;
    if (cl.has("height")) request.height = o.height;
    if (cl.has("dpi")) request.dpi = o.dpi;
    for (const std::string& written : ui::replayViewState(request)) std::cout << written << "\n";
    return 0;
  }
#endif
  if (cl.has("csv")) throw UsageError("--csv needs --state NAME (the shown data of a saved view state)");
  cl.require("out");
  const std::string& out = o.out;
  const std::string& view = o.view;
#ifdef SHELLSCOPE_WITH_UI
  if (view == "lab" || view == "transport" || view == "generalisation") {
    ui::ensureGuiApplication();
    const std::unique_ptr<QChart> chart = view == "lab"         ? labFigure(o, cl, path)
                                          : view == "transport" ? transportFigure(o, cl, path, logTime)
                                                                : generalisationFigure(o, cl, path);
    const bool grid = (view == "lab" || view == "generalisation") && o.panel == "all";
    ui::ExportOptions options;
    options.size = QSize(cl.has("width") || !grid ? o.width : 1400, cl.has("height") || !grid ? o.height : 1000);
    options.dpi = o.dpi;
    ui::exportChart(chart.get(), QString::fromStdString(out), options);
    std::cout << out << "\n";
    return 0;
  }
  const Session session = readSession(path);
  if (session.runs.empty()) throw std::runtime_error(path + ": the session has no runs to render");
  ui::ensureGuiApplication();
  const std::vector<std::string> models = ui::modelsBySize(session);
  const std::string model = cl.has("model") ? o.model : models.front();
  if (std::find(models.begin(), models.end(), model) == models.end()) {
    throw std::runtime_error(path + ": no model named '" + model + "'");
  }
  if (view == "animation") return renderAnimation(o, path, session, model);
  std::unique_ptr<QChart> chart;
  if (view == "profile" && cl.has("step")) {
    const std::int64_t step = o.step;
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
  } else if (view == "profile" && cl.has("base-step")) {
    // What changed since checkpoint --base-step: ΔE (or the ratio) of every other checkpoint.
    const std::vector<const Run*> runs = ui::runsOfModel(session, model);
    const auto base = std::find_if(runs.begin(), runs.end(), [&](const Run* r) { return r->meta.step == baseStep; });
    if (base == runs.end()) throw std::runtime_error(path + ": " + model + " has no run at step " + std::to_string(baseStep));
    std::vector<ui::DifferenceEntry> entries;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      if (runs[i] == *base) continue;
      const double t = runs.size() > 1 ? static_cast<double>(i) / static_cast<double>(runs.size() - 1) : 0.0;
      entries.push_back({analysis::checkpointDifference(*runs[i], **base, analysis::AnalysisOptions{}),
                         ui::sequentialColor(0.92 * t), QStringLiteral("step %1").arg(runs[i]->meta.step)});
    }
    const ui::DifferenceQuantity quantity = ratio ? ui::DifferenceQuantity::Ratio : ui::DifferenceQuantity::Delta;
    chart.reset(ui::differenceChart(entries, quantity,
                                    QString::fromUtf8("%1: %2 since step %3")
                                        .arg(QString::fromStdString(model), ratio ? QStringLiteral("energy ratio") : QString::fromUtf8("ΔE"))
                                        .arg(baseStep)));
  } else if (view == "profile") {
    chart.reset(ui::profileChart(ui::runsOfModel(session, model),
                                 QString::fromUtf8("%1: shell energy across training").arg(QString::fromStdString(model))));
  } else if (view == "overlay") {
    std::int64_t step = -1;
    if (cl.has("step")) {
      step = o.step;
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
    // As the GUI's Trends view draws it: the stored analysis when it is current (with the trend
    // windows chosen there), else a fresh one with the stored windows.
    analysis::SessionAnalysis a = analysis::readAnalysis(path, session);
    const bool current = !a.runs.empty() && a.runs.size() == session.runs.size() &&
                         std::none_of(a.runs.begin(), a.runs.end(), [](const auto& r) { return r.stale; }) &&
                         std::none_of(a.trends.begin(), a.trends.end(), [](const auto& t) { return t.stale; });
    if (!current) a = analysis::analyzeSession(session, a.runs.empty() ? analysis::AnalysisOptions{} : a.options);
    std::optional<ui::TrendQuantity> quantity;
    for (ui::TrendQuantity q : ui::trendQuantities()) {
      const std::string key = ui::trendKey(q);
      if (o.quantity == key || (o.quantity == "frontier" && key == "frontier_lambda")) quantity = q;
    }
    if (!quantity) throw UsageError("--quantity must be frontier, kappa, p, amplitude or loss");
    if (o.axis != "step" && o.axis != "accumulated_lr") throw UsageError("--axis must be step or accumulated_lr");
    std::vector<std::string> shown = cl.has("model") ? std::vector<std::string>{model} : models;
    std::vector<QColor> colors;
    for (const std::string& m : shown) {
      colors.push_back(ui::categoricalColor(static_cast<int>(std::find(models.begin(), models.end(), m) - models.begin())));
    }
    ui::ChartStyle style;
    style.legendAlignment = Qt::AlignBottom;
    chart.reset(ui::trendChart(session, a, shown, colors, *quantity, o.axis, style));
  } else {
    throw UsageError("--view must be profile, animation, overlay, trends, lab, transport or generalisation");
  }
  ui::ExportOptions options;
  options.size = QSize(o.width, o.height);
  options.dpi = o.dpi;
  ui::exportChart(chart.get(), QString::fromStdString(out), options);
  std::cout << out << "\n";
  return 0;
#else
  (void)path;
  (void)out;
  (void)view;
  throw std::runtime_error("render needs the Qt build of shellscope-cli (configure with SHELLSCOPE_BUILD_UI=ON)");
#endif
}

}  // namespace shellscope::cli

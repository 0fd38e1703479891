#include "gui/screenshot_tour.h"

#include <QApplication>
#include <QDir>
#include <QMouseEvent>
#include <QPixmap>
#include <QScreen>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>
#include <QtCharts/QChart>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>

#include "ui/charts/heatmap.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/charts/lab_charts.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/lab_run_dialog.h"
#include "ui/document/session_document.h"
#include "ui/jobs/job_queue.h"
#include "ui/main_window.h"
#include "ui/views/animation_view.h"
#include "ui/views/generalisation_view.h"
#include "ui/views/lab_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/transport_view.h"
#include "ui/views/trends_view.h"

namespace shellscope::gui {

namespace {
constexpr int kPollMilliseconds = 200;
constexpr int kMaxPolls = 600;     // two minutes for opening and analysing a large session
constexpr int kSettleMilliseconds = 700;  // layout, chart animations and repaints
/// Where a value (λ, E) of the chart's first series is drawn, in viewport pixels.
QPoint viewportPosition(ui::InteractiveChartView* view, const QPointF& value) {
  QChart* chart = view->chart();
  const QPointF inChart = chart->mapToPosition(value, chart->series().first());
  return view->mapFromScene(chart->mapToScene(inChart));
}

void sendMouse(ui::InteractiveChartView* view, QEvent::Type type, const QPoint& at, Qt::MouseButton button,
               Qt::MouseButtons buttons) {
  QMouseEvent event(type, QPointF(at), view->viewport()->mapToGlobal(QPointF(at)), button, buttons, Qt::NoModifier);
  QApplication::sendEvent(view->viewport(), &event);
}

/// Press, move and release the left button from one value corner to the other, both kept inside
/// the plot area as a hand on the mouse would (a press outside the widget is not a real event:
/// Qt Charts crashes on one).
void dragRubberBand(ui::InteractiveChartView* view, const QPointF& fromValue, const QPointF& toValue) {
  QChart* chart = view->chart();
  const QRect plot = view->mapFromScene(chart->mapToScene(chart->plotArea())).boundingRect().adjusted(2, 2, -2, -2);
  auto inside = [&plot](QPoint p) {
    return QPoint(std::clamp(p.x(), plot.left(), plot.right()), std::clamp(p.y(), plot.top(), plot.bottom()));
  };
  const QPoint from = inside(viewportPosition(view, fromValue)), to = inside(viewportPosition(view, toValue));
  sendMouse(view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
  sendMouse(view, QEvent::MouseMove, (from + to) / 2, Qt::NoButton, Qt::LeftButton);
  sendMouse(view, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
  sendMouse(view, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
}

void hoverAt(ui::InteractiveChartView* view, const QPointF& value) {
  sendMouse(view, QEvent::MouseMove, viewportPosition(view, value), Qt::NoButton, Qt::NoButton);
}

/// The centre of the heatmap cell of largest |value| shown in `view` (axis units), if it has one.
std::optional<QPointF> strongestCell(ui::InteractiveChartView* view) {
  const ui::HeatmapItem* heatmap = ui::heatmapOf(view->chart());
  if (!heatmap || heatmap->grid().values.size() == 0) return std::nullopt;
  const ui::HeatmapGrid& grid = heatmap->grid();
  Eigen::Index row = 0, column = 0;
  grid.values.unaryExpr([](double v) { return std::isfinite(v) ? std::abs(v) : 0.0; }).maxCoeff(&row, &column);
  // Cell centres in the axes' own terms: geometric on log axes, arithmetic otherwise.
  auto middle = [](double a, double b) { return a > 0 && b > 0 ? std::sqrt(a * b) : (a + b) / 2; };
  return QPointF(middle(grid.xEdges[column], grid.xEdges[column + 1]), middle(grid.yEdges[row], grid.yEdges[row + 1]));
}

/// A stop's readiness for the lab's pages: once the page has read its data and laid out its chart,
/// the cursor rests on the strongest heatmap cell (the tooltip shows its values), then the stop is ready.
template <typename Page>
std::function<bool()> hoverOnceShown(Page* page, std::function<ui::InteractiveChartView*()> view, std::function<bool()> settled,
                                     std::function<std::optional<QPointF>(ui::InteractiveChartView*)> where = strongestCell) {
  auto polls = std::make_shared<int>(0);
  return [page, view, settled, where, polls] {
    if (!settled() || page->isLoading()) return false;
    // The first poll comes straight after the stop's preparation, before the new chart is laid out.
    if ((*polls)++ == 0) return false;
    if (*polls > 2) return true;
    ui::InteractiveChartView* v = view();
    if (const auto cell = where(v)) hoverAt(v, *cell);
    return false;  // the next poll: the tooltip is up
  };
}

}  // namespace

ScreenshotTour::ScreenshotTour(ui::MainWindow* window, const QString& directory, QObject* parent)
    : QObject(parent), window_(window), directory_(directory) {}

void ScreenshotTour::start(const QString& sessionPath) {
  if (!QDir().mkpath(directory_)) return fail(directory_ + ": cannot create the folder");
  ui::SessionDocument* doc = window_->document();
  ui::MainWindow* w = window_;
  auto settled = [doc] { return !doc->isEmpty() && !doc->isBusy(); };
  auto dialogStop = [this](const QString& name, std::function<QDialog*()> make) {
    return Stop{name, [this, name, make] {
                  QDialog* dialog = make();
                  dialog->setObjectName("tour-" + name);
                  dialog->setAttribute(Qt::WA_DeleteOnClose);
                  dialog->show();
                },
                [] { return true; }};
  };
  stops_ = {
      {"welcome", [] {}, [] { return true; }},
      {"profile", [w, sessionPath] { w->openSession(sessionPath); }, settled},
      {"profile-fits",
       [w, doc] {
         // The last checkpoint of the smallest model, alone, with every layer.
         const auto runs = doc->runsOf(doc->models().front());
         std::vector<std::string> all;
         for (const Run& run : doc->session().runs) all.push_back(run.id);
         doc->setChecked(all, false);
         doc->setChecked(runs.back()->id, true);
         ui::ProfileLayers layers;
         layers.smoothed = layers.band = layers.minimum = layers.piecewise = layers.theory = layers.components = true;
         w->profileView()->setLayers(layers);
         w->tabs()->setCurrentWidget(w->profileView());
         w->selectRun(runs.back()->id);
       },
       settled},
      {"profile-zoom",
       [w, doc] {
         // The mouse as a user moves it: a rubber band around the peak, then the cursor resting on
         // the peak shell (the status bar shows its λ range, energy and spread).
         const Run& run = *doc->runsOf(doc->models().front()).back();
         const int peak = run.peakShell();
         const double lambda = run.window.centre(peak), energy = run.shellEnergy(peak);
         ui::InteractiveChartView* view = w->profileView()->chartView();
         dragRubberBand(view, QPointF(lambda / 30, energy * 5), QPointF(lambda * 30, energy / 1e3));
         hoverAt(view, QPointF(lambda, energy));
       },
       settled, true},
      {"cursors",
       [w, doc] {
         // Linked cursors: five checkpoints of the smallest model, two λ cursors pinned a decade
         // either side of the last one's peak, the mouse on the peak (the status bar reads them out).
         const auto runs = doc->runsOf(doc->models().front());
         std::vector<std::string> all, shown;
         for (const Run& run : doc->session().runs) all.push_back(run.id);
         for (std::size_t i = 0; i < runs.size(); i += std::max<std::size_t>(1, runs.size() / 5)) shown.push_back(runs[i]->id);
         doc->setChecked(all, false);
         doc->setChecked(shown, true);
         w->profileView()->setLayers(ui::ProfileLayers{});
         ui::InteractiveChartView* view = w->profileView()->chartView();
         view->resetZoom();
         const Run& last = *runs.back();
         const double peak = last.window.centre(last.peakShell());
         doc->cursors()->setPinned(ui::CursorAxis::Lambda, {peak / 10, peak * 10});
         hoverAt(view, QPointF(peak, last.shellEnergy(last.peakShell())));
       },
       settled, true},
      {"animation",
       [w, doc] {
         w->tabs()->setCurrentWidget(w->animationView());
         w->animationView()->setModel(QString::fromStdString(doc->models().back()));
         w->animationView()->setPosition(0.62 * (w->animationView()->checkpointCount() - 1));
       },
       settled},
      {"overlay",
       [w] {
         w->tabs()->setCurrentWidget(w->overlayView());
         w->overlayView()->setAligned(true);
       },
       [w, settled] { return settled() && !w->overlayView()->isAligning(); }},
      {"trends", [w] { w->tabs()->setCurrentWidget(w->trendsView()); }, settled},
      {"lab",
       [w] {
         // A third of the way into the first lab run; the cursor goes to its strongest flux once shown.
         ui::LabView* lab = w->labView();
         w->tabs()->setCurrentWidget(lab);
         if (!lab->hasRuns()) return;
         lab->setCurrentRun(0);
         lab->setInterval(static_cast<int>(lab->runs().front().intervals.size()) / 3);
         lab->rebuildNow();
       },
       hoverOnceShown(w->labView(), [w] { return w->labView()->fluxView(); }, settled), true},
      {"transport",
       [w] {
         w->tabs()->setCurrentWidget(w->transportView());
         if (w->transportView()->hasTransports()) w->transportView()->rebuildNow();
       },
       hoverOnceShown(w->transportView(), [w] { return w->transportView()->chartView(); }, settled), true},
      {"generalisation",
       [w] {
         // The first lab run with held-out points at its default checkpoint (the middle of its
         // longest rise of L'); the cursor rests on the bar of the shell raising L' most there.
         ui::GeneralisationView* g = w->generalisationView();
         w->tabs()->setCurrentWidget(g);
         if (!g->hasRuns()) return;
         g->setCurrentRun(0);
         g->rebuildNow();
       },
       hoverOnceShown(
           w->generalisationView(), [w] { return w->generalisationView()->rateView(); }, settled,
           [w](ui::InteractiveChartView*) -> std::optional<QPointF> {
             // The bar of the largest R_b at the checkpoint shown: the shell raising L' most there.
             const ui::GeneralisationView* g = w->generalisationView();
             if (!g->hasRuns()) return std::nullopt;
             const LabRun& run = g->runs()[g->currentRun()];
             const Eigen::VectorXd& rate = run.checkpoints[g->checkpoint()].heldOutRate;
             const ui::LabBinRange bins = ui::generalisationBins(run);
             if (rate.size() <= bins.last) return std::nullopt;
             Eigen::Index top = 0;
             rate.segment(bins.first, bins.count()).maxCoeff(&top);
             return QPointF(static_cast<double>(top), 0.5 * rate[bins.first + top]);
           }),
       true},
      dialogStop("export-dialog",
                 [w] {
                   w->tabs()->setCurrentWidget(w->profileView());
                   ui::ChartPage* page = w->currentPage();
                   return new ui::ExportDialog([page](const ui::ChartStyle& s) { return page->exportChart(s); },
                                               QDir::home().filePath("profile.pdf"), w);
                 }),
      dialogStop("compute-dialog", [w] { return new ui::ComputeDialog(w); }),
      dialogStop("lab-run-dialog", [w, doc] { return new ui::LabRunDialog(doc->path(), w); }),
      {"jobs",
       [w] {
         // Two real computations on built-in models: one running (progress, ETA), one queued.
         ComputeSettings settings;
         settings.models = {"builtin:small-lm"};
         settings.batches = 4;
         settings.batchSize = 4;
         settings.seqLen = 64;
         settings.lanczosSteps = 32;
         w->jobs()->enqueueCompute(settings, QStringLiteral("small-lm, 4 batches"));
         settings.models = {"builtin:base-lm"};
         w->jobs()->enqueueCompute(settings, QStringLiteral("base-lm, 4 batches"));
       },
       [w] {
         const ui::Job* job = w->jobs()->job(w->jobs()->runningJob());
         return job && job->fraction > 0.3 && job->etaSeconds > 0;
       }},
      {"dark",
       [w] {
         w->jobs()->cancelAll();
         for (QDialog* d : w->findChildren<QDialog*>()) d->close();
         w->setTheme(ui::MainWindow::Theme::Dark);
         w->tabs()->setCurrentWidget(w->animationView());
       },
       settled},
  };
  index_ = 0;
  next();
}

void ScreenshotTour::next() {
  if (index_ >= stops_.size()) {
    window_->setTheme(ui::MainWindow::Theme::System);
    Q_EMIT done(true);
    return;
  }
  const Stop& stop = stops_[index_];
  stop.prepare();
  waitThenShoot(stop, 0);
}

void ScreenshotTour::waitThenShoot(const Stop& stop, int attempts) {
  if (!stop.ready()) {
    if (attempts > kMaxPolls) return fail(stop.name + ": timed out waiting for the view");
    QTimer::singleShot(kPollMilliseconds, this, [this, stop, attempts] { waitThenShoot(stop, attempts + 1); });
    return;
  }
  QTimer::singleShot(kSettleMilliseconds, this, [this, stop] {
    QWidget* target = window_->findChild<QDialog*>("tour-" + stop.name);
    if (!target) target = window_;
    const QString path = QDir(directory_).filePath(stop.name + ".png");
    QPixmap shot = target->grab();
    if (stop.withPopups && target->screen()) {
      // Tooltips are windows of their own: take what the screen shows where the window is.
      const QRect area = target->frameGeometry();
      const QPixmap screen = target->screen()->grabWindow(0, area.x(), area.y(), area.width(), area.height());
      if (!screen.isNull()) shot = screen;
    }
    if (!shot.save(path)) return fail(path + ": cannot write the screenshot");
    std::cout << path.toStdString() << std::endl;
    if (target != window_) target->close();
    ++index_;
    next();
  });
}

void ScreenshotTour::fail(const QString& message) {
  std::cerr << "shellscope --screenshots: " << message.toStdString() << std::endl;
  Q_EMIT done(false);
}

}  // namespace shellscope::gui

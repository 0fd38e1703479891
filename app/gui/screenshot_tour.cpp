#include "gui/screenshot_tour.h"

#include <QDir>
#include <QPixmap>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>
#include <iostream>

#include "ui/charts/interactive_chart_view.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/document/session_document.h"
#include "ui/jobs/job_queue.h"
#include "ui/main_window.h"
#include "ui/views/animation_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/trends_view.h"

namespace shellscope::gui {

namespace {
constexpr int kPollMilliseconds = 200;
constexpr int kMaxPolls = 600;     // two minutes for opening and analysing a large session
constexpr int kSettleMilliseconds = 700;  // layout, chart animations and repaints
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
      dialogStop("export-dialog",
                 [w] {
                   w->tabs()->setCurrentWidget(w->profileView());
                   ui::ChartPage* page = w->currentPage();
                   return new ui::ExportDialog([page](const ui::ChartStyle& s) { return page->exportChart(s); },
                                               QDir::home().filePath("profile.pdf"), w);
                 }),
      dialogStop("compute-dialog", [w] { return new ui::ComputeDialog(w); }),
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
    if (!target->grab().save(path)) return fail(path + ": cannot write the screenshot");
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

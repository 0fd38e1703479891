// shellscope: the desktop explorer. Everything lives in ui/; this file only starts it.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>
#include <iostream>

#include "gui/screenshot_tour.h"
#include "shellscope/base/tuned_runtime.h"
#include "shellscope/engine/runtime.h"
#include "ui/jobs/compute_worker.h"
#include "ui/main_window.h"

int main(int argc, char** argv) {
  shellscope::reexecWithTunedRuntime(argc, argv);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("ShellScope");
  QApplication::setApplicationName("ShellScope");
  QApplication::setApplicationVersion(QString::fromStdString(shellscope::runtimeInfo().shellscopeVersion));
  QApplication::setDesktopFileName("io.github.shellscope.ShellScope");
  shellscope::ui::registerComputeTypes();

  QCommandLineParser parser;
  parser.setApplicationDescription("ShellScope: spectral-shell dynamics of neural-network training.");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("session", "A session file (.h5) to open.", "[SESSION.h5]");
  const QCommandLineOption theme("theme", "Colour theme: system (default), light or dark.", "THEME");
  const QCommandLineOption screenshots("screenshots",
                                       "Open SESSION, save a PNG of every view into DIR, then quit (for the documentation).",
                                       "DIR");
  parser.addOption(theme);
  parser.addOption(screenshots);
  parser.process(app);

  shellscope::ui::MainWindow window;
  if (parser.isSet(theme)) {
    const QString name = parser.value(theme);
    using Theme = shellscope::ui::MainWindow::Theme;
    window.setTheme(name == "dark" ? Theme::Dark : name == "light" ? Theme::Light : Theme::System);
  }
  window.show();
  const QStringList sessions = parser.positionalArguments();
  if (parser.isSet(screenshots)) {
    if (sessions.isEmpty()) {
      std::cerr << "shellscope: --screenshots needs a session file\n";
      return 2;
    }
    auto* tour = new shellscope::gui::ScreenshotTour(&window, parser.value(screenshots), &app);
    QObject::connect(tour, &shellscope::gui::ScreenshotTour::done, &app, [&app](bool ok) { app.exit(ok ? 0 : 1); });
    tour->start(sessions.front());
  } else if (!sessions.isEmpty()) {
    window.openSession(QDir::current().absoluteFilePath(sessions.front()));
  }
  return app.exec();
}

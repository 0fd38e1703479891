#pragma once
// `shellscope --screenshots DIR SESSION.h5`: opens the session, walks through the views the way a
// user would (checking runs, playing the animation, aligning models, opening the dialogs) and
// saves a PNG of the window at each stop. The documentation's screenshots come from this.

#include <QObject>
#include <QString>
#include <functional>
#include <vector>

namespace shellscope::ui {
class MainWindow;
}

namespace shellscope::gui {

class ScreenshotTour : public QObject {
  Q_OBJECT
 public:
  ScreenshotTour(ui::MainWindow* window, const QString& directory, QObject* parent = nullptr);
  void start(const QString& sessionPath);

 Q_SIGNALS:
  void done(bool ok);

 private:
  struct Stop {
    QString name;
    std::function<void()> prepare;
    std::function<bool()> ready;  ///< polled until true (analysis, alignments)
    bool withPopups = false;      ///< grab the screen under the window, so tooltips show too
  };
  void next();
  void waitThenShoot(const Stop& stop, int attempts);
  void fail(const QString& message);

  ui::MainWindow* window_;
  QString directory_;
  std::vector<Stop> stops_;
  std::size_t index_ = 0;
};

}  // namespace shellscope::gui

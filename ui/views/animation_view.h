#pragma once
// Paper Fig. 2: the frontier animation. A timeline over one model's checkpoints with play/pause,
// speed, checkpoint steps and scrubbing; the profile morphs between checkpoints (ProfileAnimation),
// the frontier leaves a trail, passed checkpoints stay as ghosts; side charts show λ*, κ and the
// loss against step with their fitted trends and a cursor at the current step.

#include <QElapsedTimer>
#include <QTimer>
#include <memory>
#include <string>

#include "ui/charts/animation_chart.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QChartView;
class QComboBox;
class QLabel;
class QLineSeries;
class QSlider;
class QStackedWidget;
class QToolButton;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class AnimationView : public ChartPage {
  Q_OBJECT
 public:
  explicit AnimationView(SessionDocument* document, QWidget* parent = nullptr);
  ~AnimationView() override;

  QString figureName() const override { return QStringLiteral("animation"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  QString shownDataXColumn() const override { return QStringLiteral("lambda"); }
  void setDarkTheme(bool dark) override;

  QString modelName() const;
  void setModel(const QString& model);
  /// Null when the model has no runs.
  const ProfileAnimation* animation() const { return animation_.get(); }
  AnimationLayers layers() const;
  int checkpointCount() const;
  double position() const { return position_; }
  /// The (interpolated) training step at the current position.
  double currentStep() const;
  bool isPlaying() const { return timer_.isActive(); }
  /// Checkpoints per second while playing.
  double speed() const;
  InteractiveChartView* chartView() const { return view_; }
  /// The page's state with the position in time (view states).
  QJsonObject saveState() const override;
  void restoreState(const QJsonObject& state) override;
  void rebuildNow() override { rebuild(); }
  bool hasCursorAxis(CursorAxis axis) const override { return axis == CursorAxis::Lambda; }

 public Q_SLOTS:
  void setPosition(double position);
  void play();
  void pause();
  void togglePlay();
  void stepForward();   ///< to the next checkpoint
  void stepBackward();  ///< to the previous checkpoint
  void rebuild();       ///< after the session, its analysis or the model changed

 Q_SIGNALS:
  void positionChanged(double position);

 private:
  void tick();
  void updateModels();
  void updateSideCharts();
  void updateCursor();
  void showFrame();

  SessionDocument* document_;
  InteractiveChartView* view_;
  QStackedWidget* stack_;
  QComboBox* model_;
  QComboBox* speed_;
  QCheckBox* loop_;
  QSlider* slider_;
  QLabel* stepLabel_;
  QToolButton* playButton_;
  std::vector<std::pair<QCheckBox*, bool AnimationLayers::*>> layerBoxes_;
  std::vector<QChartView*> sideViews_;
  std::vector<QLineSeries*> cursors_;

  std::unique_ptr<ProfileAnimation> animation_;
  std::unique_ptr<AnimationChart> chart_;
  double position_ = 0;
  QTimer timer_;
  QElapsedTimer clock_;
  QTimer rebuild_;
  bool dark_ = false;
  bool updatingSlider_ = false;
};

}  // namespace shellscope::ui

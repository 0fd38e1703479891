#pragma once
// The chart of the frontier animation: the interpolated profile of one model, the frontier with
// its trail, and earlier checkpoints as faint ghosts. The series are made once and updated in bulk
// (replace) for every frame, so playing stays smooth and frames can be exported one by one.

#include <QSize>
#include <QString>

#include "ui/charts/chart_builders.h"
#include "ui/charts/profile_animation.h"

QT_BEGIN_NAMESPACE
class QLineSeries;
class QScatterSeries;
QT_END_NAMESPACE

namespace shellscope::ui {

struct AnimationLayers {
  bool raw = true;        ///< the interpolated shell energies
  bool smoothed = true;   ///< the interpolated smoothed profile
  bool trail = true;      ///< the frontier's path so far
  bool ghosts = true;     ///< the checkpoints passed so far, faint
};

class AnimationChart {
 public:
  /// Creates the chart; the caller owns chart() (a view or an exporter), and `animation` must
  /// outlive this object.
  AnimationChart(const ProfileAnimation& animation, const QString& modelName, const ChartStyle& style = {});

  QChart* chart() const { return chart_; }
  void setLayers(const AnimationLayers& layers);
  /// Draws the frame at timeline position `position` (0 .. checkpointCount() - 1).
  void show(double position);
  double position() const { return position_; }

 private:
  const ProfileAnimation& animation_;
  QString modelName_;
  ChartStyle style_;
  AnimationLayers layers_;
  double position_ = 0;
  QChart* chart_ = nullptr;
  std::vector<QLineSeries*> ghosts_;
  QLineSeries* raw_ = nullptr;
  QLineSeries* smoothed_ = nullptr;
  QLineSeries* trail_ = nullptr;
  QScatterSeries* trailPoints_ = nullptr;
  QScatterSeries* frontier_ = nullptr;
};

/// Writes an animation as numbered PNG frames (frame_0000.png, ...): `framesPerCheckpoint` frames
/// between consecutive checkpoints, then the last checkpoint. One frame per writeFrame() call, so a
/// GUI can spread the work over its event loop and a command line can simply loop.
class AnimationFrameWriter {
 public:
  AnimationFrameWriter(const ProfileAnimation& animation, const QString& modelName, const QString& directory,
                       int framesPerCheckpoint, const ChartStyle& style, QSize size, int dpi);
  ~AnimationFrameWriter();
  int frameCount() const;
  void setLayers(const AnimationLayers& layers) { chart_.setLayers(layers); }
  /// Renders frame `index` and returns its path; throws std::runtime_error naming the file.
  QString writeFrame(int index);
  QString directory() const { return directory_; }

 private:
  const ProfileAnimation& animation_;
  AnimationChart chart_;
  QString directory_;
  int framesPerCheckpoint_;
  QSize size_;
  int dpi_;
};

/// ffmpeg on the PATH, or empty.
QString findFfmpeg();
/// The ffmpeg arguments that encode `directory`/frame_%04d.png at `fps` into `video` (H.264, yuv420p).
QStringList videoArguments(const QString& directory, int fps, const QString& video);

}  // namespace shellscope::ui

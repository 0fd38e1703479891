#pragma once
// Writes the frontier animation of one model as numbered PNG frames, one frame per turn of the
// event loop (charts can only be painted on the GUI thread, and the GUI must stay responsive),
// then encodes a video with ffmpeg in a separate process when asked. The job works on copies of
// the runs, so the session may change while it runs.

#include <QObject>
#include <QProcess>
#include <QTimer>
#include <memory>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "shellscope/spectral/run.h"
#include "ui/charts/animation_chart.h"

namespace shellscope::ui {

struct AnimationExportRequest {
  std::vector<Run> runs;                           ///< one model's runs
  std::vector<analysis::RunAnalysis> analyses;     ///< same order; empty entries allowed
  QString modelName;
  QString folder;
  int framesPerCheckpoint = 12;
  int framesPerSecond = 24;
  bool video = false;
  AnimationLayers layers;
  ChartStyle style;
  QSize size{900, 600};
  int dpi = 150;
  double smoothingWidth = 0.25;
};

class AnimationExportJob : public QObject {
  Q_OBJECT
 public:
  explicit AnimationExportJob(AnimationExportRequest request, QObject* parent = nullptr);
  ~AnimationExportJob() override;

  /// Creates the folder and starts; failed() when the folder cannot be made.
  void start();
  void cancel();
  int frameCount() const;

 Q_SIGNALS:
  void progress(int done, int total, const QString& stage);
  void finished(const QString& summary);
  void failed(const QString& message);
  void cancelled();

 private:
  void writeNextFrame();
  void encodeVideo();

  AnimationExportRequest request_;
  std::unique_ptr<ProfileAnimation> animation_;
  std::unique_ptr<AnimationFrameWriter> writer_;
  QTimer timer_;
  QProcess* ffmpeg_ = nullptr;
  int next_ = 0;
  bool cancelled_ = false;
};

}  // namespace shellscope::ui

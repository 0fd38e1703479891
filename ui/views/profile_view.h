#pragma once
// Paper Fig. 1: the log-log shell profiles of the runs checked in the session tree, with the
// layers the researcher picks (raw, smoothed, band, minimum, frontier, fits and their components).
// The chart is rebuilt when the checked runs, their analysis or the layers change, keeping the zoom.
// With a base checkpoint chosen ("Difference from"), it shows instead what changed since it:
// ΔE_α or the ratio E_α/E_α(base) of every other checked run of that model, with paired bootstrap
// bands (difference_chart.h, analysis/checkpoint_difference.h).

#include <QTimer>
#include <string>
#include <vector>

#include "ui/charts/difference_chart.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QStackedWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class ProfileView : public ChartPage {
  Q_OBJECT
 public:
  explicit ProfileView(SessionDocument* document, QWidget* parent = nullptr);

  QString figureName() const override { return QStringLiteral("profile"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  QString shownDataXColumn() const override { return QStringLiteral("lambda_centre"); }
  bool hasCursorAxis(CursorAxis axis) const override { return axis == CursorAxis::Lambda; }
  /// Each drawn run's E_α (or ΔE_α, or the ratio, in the difference view) in the shell of each pinned λ.
  std::vector<CursorReading> cursorReadings() const override;
  void setDarkTheme(bool dark) override;

  ProfileLayers layers() const;
  void setLayers(const ProfileLayers& layers);
  InteractiveChartView* chartView() const { return view_; }
  /// The base checkpoint of the difference view ("" when the profiles are shown); false when no
  /// run of that id is offered (the offered runs: those of the checked runs' model).
  std::string baseRun() const;
  bool setBaseRun(const std::string& runId);
  DifferenceQuantity differenceQuantity() const;
  void setDifferenceQuantity(DifferenceQuantity quantity);
  /// The differences drawn now (empty when no base is chosen), computed at the last rebuild.
  const std::vector<DifferenceEntry>& differences() const { return differences_; }
  /// Rebuilds now instead of on the next turn of the event loop (tests, view states).
  void rebuildNow() override;

 private:
  std::vector<ProfileEntry> entries() const;
  QString title() const;
  QString hoverText(const QPointF& value) const;
  void scheduleRebuild();
  void refreshBaseChoices();
  QString differenceTitle() const;
  /// ΔE and the ratio of every other checked run of the base's model, with their paired bootstraps.
  std::vector<DifferenceEntry> computeDifferences() const;
  std::vector<DifferenceEntry> differences_;

  SessionDocument* document_;
  InteractiveChartView* view_;
  QStackedWidget* stack_;
  std::vector<std::pair<QCheckBox*, bool ProfileLayers::*>> layerBoxes_;
  QComboBox* base_;
  QComboBox* quantity_;
  QTimer rebuild_;
  bool dark_ = false;
};

}  // namespace shellscope::ui

#pragma once
// Paper Fig. 3: the profiles of several model sizes at one training step, optionally aligned onto
// the smallest chosen model by the fitted peak displacement (Δ log10 λ) and amplitude shift
// (Δ log10 E). Alignments are computed in the background (they bootstrap over batches) and their
// numbers are shown in a table under the chart.

#include <QTimer>
#include <map>
#include <string>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QStackedWidget;
class QTableWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class OverlayView : public ChartPage {
  Q_OBJECT
 public:
  explicit OverlayView(SessionDocument* document, QWidget* parent = nullptr);
  ~OverlayView() override;

  QString figureName() const override { return QStringLiteral("overlay"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  void setDarkTheme(bool dark) override;

  void setModelsChecked(const std::vector<std::string>& models);
  std::vector<std::string> checkedModels() const;
  void setStep(std::int64_t step);
  std::int64_t step() const;
  void setAligned(bool aligned);
  /// True while alignments are being computed.
  bool isAligning() const { return aligning_; }
  /// Alignments of the chosen models against the reference (the smallest), at the chosen step.
  const std::vector<analysis::Alignment>& alignments() const { return alignments_; }
  InteractiveChartView* chartView() const { return view_; }
  void rebuildNow() override { rebuild(); }
  bool hasCursorAxis(CursorAxis axis) const override { return axis == CursorAxis::Lambda; }
  /// Each model's drawn energy (aligned when aligned) in the shell of each pinned λ.
  std::vector<CursorReading> cursorReadings() const override;
  /// False while the alignment of the checked models is computed.
  bool isSettled() const override { return !aligning_; }

 Q_SIGNALS:
  void alignmentsReady();

 private:
  void refreshModels();
  void refreshSteps();
  void requestAlignment();
  void rebuild();
  std::vector<ProfileEntry> entries() const;
  void fillTable();

  SessionDocument* document_;
  InteractiveChartView* view_;
  QStackedWidget* stack_;
  QListWidget* models_;
  QComboBox* step_;
  QCheckBox* align_;
  QCheckBox* smoothed_;
  QTableWidget* table_;
  QLabel* note_;
  std::vector<analysis::Alignment> alignments_;
  int generation_ = 0;
  bool aligning_ = false;
  bool dark_ = false;
  QTimer rebuild_;
};

}  // namespace shellscope::ui

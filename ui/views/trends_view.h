#pragma once
// Trends across training: one quantity (λ*, κ, p, amplitude, loss) of every chosen model against
// step or accumulated learning rate, with the power laws fitted over each model's trend window,
// and below it each model's window, transport exponent c0 and its predicted and measured loss
// exponents with their bootstrap intervals. The window is detected, typed (steps from/to), or
// dragged along the time axis; it applies to the checked models and is saved with the session.

#include <QTimer>
#include <optional>

#include "ui/charts/trend_charts.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QComboBox;
class QListWidget;
class QPushButton;
class QLineEdit;
class QStackedWidget;
class QTextBrowser;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class TrendsView : public ChartPage {
  Q_OBJECT
 public:
  explicit TrendsView(SessionDocument* document, QWidget* parent = nullptr);
  ~TrendsView() override;

  QString figureName() const override { return QStringLiteral("trends"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  void setDarkTheme(bool dark) override;

  void setQuantity(TrendQuantity quantity);
  TrendQuantity quantity() const;
  /// "step" or "accumulated_lr".
  std::string timeAxis() const;
  InteractiveChartView* chartView() const { return view_; }
  /// Fits the checked models' trends over the checkpoints of steps first..last (as typed or dragged).
  void setWindow(std::int64_t first, std::int64_t last);
  /// Detects the checked models' windows again.
  void detectWindow();
  /// The checkpoints whose time on the current axis lies in [from, to], as a step range of the
  /// checked models (nullopt when none does).
  std::optional<analysis::StepRange> stepsBetween(double from, double to) const;
  /// Draws now rather than on the next event-loop turn (changes are coalesced that way).
  void rebuildNow() override { rebuild(); }
  /// The step cursor, when the time axis is the training step.
  bool hasCursorAxis(CursorAxis axis) const override;
  /// Each checked model's quantity at the checkpoint nearest each pinned step.
  std::vector<CursorReading> cursorReadings() const override;

 private:
  std::vector<std::string> checkedModels() const;
  std::vector<QColor> colors(const std::vector<std::string>& models) const;
  void refreshModels();
  void rebuild();
  QString summaryHtml() const;

  SessionDocument* document_;
  InteractiveChartView* view_;
  QStackedWidget* stack_;
  QComboBox* quantity_;
  QComboBox* axis_;
  QListWidget* models_;
  QTextBrowser* summary_;
  QLineEdit* windowFrom_;
  QLineEdit* windowTo_;
  QPushButton* applyWindow_;
  QPushButton* autoWindow_;
  QTimer rebuild_;
  bool dark_ = false;
};

}  // namespace shellscope::ui

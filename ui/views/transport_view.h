#pragma once
// Energy flux at scale (paper §3.5, §4.2-4.3; docs/lab.md "Flux at scale"): for a by-difference
// flux estimate stored in the session (/transport, shellscope/transport/transport_file.h), the
// cumulative flux J_{<=b} across every shell edge in every interval between checkpoints, as a
// heatmap (transport_chart.h) with the time unit it is measured in; hover gives J, its bootstrap
// interval and the two checkpoints. Estimates are read from the session file in the background.

#include <QTimer>
#include <vector>

#include "shellscope/transport/series_transport.h"
#include "ui/charts/transport_chart.h"
#include "ui/views/background_read.h"
#include "ui/views/chart_page.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QStackedWidget;
QT_END_NAMESPACE

namespace shellscope::ui {

class InteractiveChartView;
class SessionDocument;

class TransportView : public ChartPage {
  Q_OBJECT
 public:
  explicit TransportView(SessionDocument* document, QWidget* parent = nullptr);
  ~TransportView() override;

  QString figureName() const override { return QStringLiteral("transport"); }
  QChart* exportChart(const ChartStyle& style) const override;
  QString shownDataCsv() const override;
  void setDarkTheme(bool dark) override;

  const std::vector<transport::SeriesTransport>& transports() const { return transports_; }
  bool hasTransports() const { return !transports_.empty(); }
  bool isLoading() const { return loading_; }
  bool isSettled() const override { return !loading_; }
  /// The chosen estimate's index (-1 when there are none).
  int currentTransport() const;
  void setCurrentTransport(int index);
  bool setCurrentTransport(const std::string& id);
  /// The time axis drawn (τ or steps, linear or log).
  TransportAxis timeAxis() const;
  void setTimeAxis(const TransportAxis& axis);

  /// Shows `transports` in place of the file's (tests; a session without a file).
  void setTransports(std::vector<transport::SeriesTransport> transports);
  /// Reads the session file's estimates again (in the background).
  void reload();

  QString emptyText() const;
  InteractiveChartView* chartView() const { return view_; }
  void rebuildNow() override { rebuild(); }
  /// λ (the shell edges, the left axis) always; steps when the time axis is in steps.
  bool hasCursorAxis(CursorAxis axis) const override;
  Qt::Orientation cursorAlong(CursorAxis axis) const override {
    return axis == CursorAxis::Lambda ? Qt::Vertical : Qt::Horizontal;
  }

 Q_SIGNALS:
  void transportsChanged();

 private:
  void refreshTransports();
  void chooseDefaultAxis();
  void rebuild();
  void linkCursors();
  QString summaryHtml() const;

  SessionDocument* document_;
  std::vector<transport::SeriesTransport> transports_;
  BackgroundRead<std::vector<transport::SeriesTransport>> reader_;
  bool loading_ = false;
  QString readError_;
  QStackedWidget* stack_;
  QLabel* empty_;
  QComboBox* transport_;
  QComboBox* time_;
  QCheckBox* logTime_;
  QCheckBox* logColor_;
  QLabel* summary_;
  InteractiveChartView* view_;
  QTimer rebuild_;
  bool dark_ = false;
};

}  // namespace shellscope::ui

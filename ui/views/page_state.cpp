#include "ui/views/page_state.h"

#include <QAbstractSlider>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QListWidget>
#include <QSpinBox>

#include "ui/charts/interactive_chart_view.h"

namespace shellscope::ui {

namespace {

/// The page's named controls in creation order (findChildren's order), without those of nested
/// Qt internals (a combo box's own view and line edit have names starting "qt_").
QList<QWidget*> namedControls(const QWidget* page) {
  QList<QWidget*> out;
  for (QWidget* w : page->findChildren<QWidget*>()) {
    const QString name = w->objectName();
    if (name.isEmpty() || name.startsWith("qt_")) continue;
    if (qobject_cast<QCheckBox*>(w) || qobject_cast<QComboBox*>(w) || qobject_cast<QAbstractSpinBox*>(w) ||
        qobject_cast<QAbstractSlider*>(w) || qobject_cast<QListWidget*>(w)) {
      out << w;
    }
  }
  return out;
}

QJsonValue valueOf(const QWidget* w) {
  if (const auto* box = qobject_cast<const QCheckBox*>(w)) return box->isChecked();
  if (const auto* combo = qobject_cast<const QComboBox*>(w)) {
    const QVariant data = combo->currentData();
    if (data.isValid() && !data.isNull()) return QJsonObject{{"data", QJsonValue::fromVariant(data)}};
    return QJsonObject{{"text", combo->currentText()}};
  }
  if (const auto* spin = qobject_cast<const QSpinBox*>(w)) return spin->value();
  if (const auto* spin = qobject_cast<const QDoubleSpinBox*>(w)) return spin->value();
  if (const auto* slider = qobject_cast<const QAbstractSlider*>(w)) return slider->value();
  if (const auto* list = qobject_cast<const QListWidget*>(w)) {
    QJsonArray checked;
    for (int i = 0; i < list->count(); ++i) {
      if (list->item(i)->checkState() == Qt::Checked) checked.append(list->item(i)->text());
    }
    return checked;
  }
  return {};
}

void setValue(QWidget* w, const QJsonValue& v) {
  if (auto* box = qobject_cast<QCheckBox*>(w)) {
    if (v.isBool()) box->setChecked(v.toBool());
  } else if (auto* combo = qobject_cast<QComboBox*>(w)) {
    const QJsonObject o = v.toObject();
    int index = -1;
    if (o.contains("data")) {
      const QVariant wanted = o.value("data").toVariant();
      for (int i = 0; i < combo->count() && index < 0; ++i) {
        const QVariant data = combo->itemData(i);
        // JSON keeps numbers as doubles: compare as the item's own type.
        if (data.isValid() && (data == wanted || (data.canConvert<QString>() && data.toString() == wanted.toString()))) index = i;
      }
    } else if (o.contains("text")) {
      index = combo->findText(o.value("text").toString());
    }
    if (index >= 0) combo->setCurrentIndex(index);
  } else if (auto* spin = qobject_cast<QSpinBox*>(w)) {
    if (v.isDouble()) spin->setValue(v.toInt());
  } else if (auto* spin = qobject_cast<QDoubleSpinBox*>(w)) {
    if (v.isDouble()) spin->setValue(v.toDouble());
  } else if (auto* slider = qobject_cast<QAbstractSlider*>(w)) {
    if (v.isDouble()) slider->setValue(v.toInt());
  } else if (auto* list = qobject_cast<QListWidget*>(w)) {
    if (!v.isArray()) return;
    QSet<QString> wanted;
    for (const QJsonValue& item : v.toArray()) wanted.insert(item.toString());
    for (int i = 0; i < list->count(); ++i) {
      QListWidgetItem* item = list->item(i);
      const Qt::CheckState state = wanted.contains(item->text()) ? Qt::Checked : Qt::Unchecked;
      if (item->checkState() != state) item->setCheckState(state);
    }
  }
}

QJsonArray pair(double a, double b) { return QJsonArray{a, b}; }

}  // namespace

QJsonObject capturePageControls(const QWidget* page) {
  QJsonObject controls;
  for (const QWidget* w : namedControls(page)) {
    const QJsonValue v = valueOf(w);
    if (!v.isUndefined()) controls.insert(w->objectName(), v);
  }
  return controls;
}

void restorePageControls(QWidget* page, const QJsonObject& controls) {
  for (QWidget* w : namedControls(page)) {
    if (controls.contains(w->objectName())) setValue(w, controls.value(w->objectName()));
  }
}

QJsonArray capturePageCharts(const QWidget* page) {
  QJsonArray charts;
  for (const InteractiveChartView* view : page->findChildren<InteractiveChartView*>()) {
    const AxisRanges r = view->currentRanges();
    if (view->isZoomed() && r.valid()) {
      charts.append(QJsonObject{{"x", pair(r.xMin, r.xMax)}, {"y", pair(r.yMin, r.yMax)}});
    } else {
      charts.append(QJsonValue::Null);
    }
  }
  return charts;
}

void restorePageCharts(QWidget* page, const QJsonArray& charts) {
  const QList<InteractiveChartView*> views = page->findChildren<InteractiveChartView*>();
  for (int i = 0; i < views.size() && i < charts.size(); ++i) {
    const QJsonObject o = charts.at(i).toObject();
    const QJsonArray x = o.value("x").toArray(), y = o.value("y").toArray();
    if (x.size() != 2 || y.size() != 2) {
      views[i]->resetZoom();
      continue;
    }
    views[i]->setRanges({x.at(0).toDouble(), x.at(1).toDouble(), y.at(0).toDouble(), y.at(1).toDouble()});
  }
}

}  // namespace shellscope::ui

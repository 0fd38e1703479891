// Issue 17 item 6: every control has a tooltip. Walks the main window with a session open (every
// page showing its controls), and every dialog, and names each button, box, field and slider that
// has none, so a new control without one fails here with its class, text and place.
#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QLineEdit>
#include <QMenu>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QtCharts/QChart>

#include "session_fixtures.h"
#include "shellscope/session/session_file.h"
#include "ui/dialogs/analysis_options_dialog.h"
#include "ui/dialogs/compute_dialog.h"
#include "ui/dialogs/experiment_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/lab_run_dialog.h"
#include "ui/document/session_document.h"
#include "ui/main_window.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

/// Where `w` sits: its class, text or object name, and its parents' classes.
QString describe(const QWidget* w) {
  QString text;
  if (const auto* b = qobject_cast<const QAbstractButton*>(w)) text = b->text();
  if (const auto* c = qobject_cast<const QComboBox*>(w)) text = c->currentText();
  QString where;
  for (const QObject* p = w->parent(); p; p = p->parent()) {
    where += QStringLiteral(" < ") + p->metaObject()->className();
    if (!p->objectName().isEmpty()) where += "#" + p->objectName();
  }
  return QStringLiteral("%1 '%2' #%3%4").arg(w->metaObject()->className(), text, w->objectName(), where);
}

/// A control the user operates directly (not a part of another control, not Qt's own furniture).
bool isControl(const QWidget* w) {
  const QWidget* parent = w->parentWidget();
  if (qobject_cast<const QLineEdit*>(w) && parent &&
      (qobject_cast<const QAbstractSpinBox*>(parent) || qobject_cast<const QComboBox*>(parent))) {
    return false;  // the editor inside a spin box or an editable combo box
  }
  for (const QWidget* p = parent; p; p = p->parentWidget()) {
    if (qobject_cast<const QTabBar*>(p) || qobject_cast<const QMenu*>(p)) return false;
    if (p->inherits("QScrollBar") || p->inherits("QDialogButtonBox") || p->inherits("QCalendarWidget")) return false;
  }
  if (qobject_cast<const QToolButton*>(w) && parent && parent->inherits("QTabBar")) return false;
  if (w->objectName().startsWith("qt_") || w->inherits("QTableCornerButton")) return false;  // Qt's internal widgets
  return qobject_cast<const QAbstractButton*>(w) || qobject_cast<const QComboBox*>(w) ||
         qobject_cast<const QAbstractSpinBox*>(w) || qobject_cast<const QSlider*>(w) || qobject_cast<const QLineEdit*>(w);
}

QStringList withoutTooltip(const QWidget* root) {
  QStringList missing;
  for (const QWidget* w : root->findChildren<QWidget*>()) {
    if (isControl(w) && w->toolTip().trimmed().isEmpty()) missing << describe(w);
  }
  return missing;
}

}  // namespace

class TestTooltips : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void everyControlOfTheMainWindowHasATooltip() {
    const QString path = dir_.filePath("fixture.h5");
    writeSession(path.toStdString(), testing::fixtureSession(2, 5, 6));
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    window.openSession(path);
    QVERIFY(opened.wait(60000));
    QTRY_VERIFY_WITH_TIMEOUT(!window.document()->isBusy(), 60000);
    for (int i = 0; i < window.tabs()->count(); ++i) window.tabs()->setCurrentIndex(i);  // every page built
    const QStringList missing = withoutTooltip(&window);
    for (const QString& m : missing) qInfo("no tooltip: %s", qPrintable(m));
    QVERIFY2(missing.isEmpty(), qPrintable("controls without a tooltip:\n  " + missing.join("\n  ")));
  }

  void everyControlOfTheDialogsHasATooltip() {
    QStringList missing;
    const auto check = [&](QDialog& dialog) {
      for (const QString& m : withoutTooltip(&dialog)) missing << QString(dialog.metaObject()->className()) + ": " + m;
    };
    ComputeDialog compute;
    check(compute);
    ExperimentDialog experiment;
    check(experiment);
    AnalysisOptionsDialog analysisOptions(analysis::AnalysisOptions{});
    check(analysisOptions);
    ExportDialog exportDialog([](const ChartStyle&) { return new QChart; }, dir_.filePath("figure.png"));
    check(exportDialog);
    AnimationExportDialog animationExport(5, dir_.path());
    check(animationExport);
    LabRunDialog lab(QString{});
    check(lab);
    for (const QString& m : missing) qInfo("no tooltip: %s", qPrintable(m));
    QVERIFY2(missing.isEmpty(), qPrintable("controls without a tooltip:\n  " + missing.join("\n  ")));
  }
};

QTEST_MAIN(TestTooltips)
#include "test_tooltips.moc"

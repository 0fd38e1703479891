// Precompiled header of shellscope_ui: the Qt Widgets and Qt Charts headers almost every file
// here includes, and the core headers (with Eigen) the views read runs through. Parsing these
// dominated the library's build (11-18 s a file). Files still include what they use.
#pragma once

#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <QtConcurrent/QtConcurrent>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "shellscope/analysis/session_analysis.h"
#include "shellscope/analysis/trends.h"
#include "shellscope/engine/compute.h"
#include "shellscope/experiment/experiment.h"
#include "shellscope/spectral/run.h"
#include "shellscope/session/session.h"

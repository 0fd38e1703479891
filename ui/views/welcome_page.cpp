#include "ui/views/welcome_page.h"

#include <QCommandLinkButton>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QVBoxLayout>

namespace shellscope::ui {

WelcomePage::WelcomePage(QWidget* parent) : QWidget(parent), recent_(new QListWidget) {
  auto* title = new QLabel(tr("<h1>ShellScope</h1><p>Spectral-shell dynamics of neural-network training: where the error "
                              "energy sits on the spectrum of the function-space operator, and how its frontier moves.</p>"));
  title->setWordWrap(true);
  auto* open = new QCommandLinkButton(tr("Open a session…"), tr("An HDF5 session file written by ShellScope (Ctrl+O)"));
  auto* compute = new QCommandLinkButton(tr("Compute from checkpoints…"),
                                         tr("Shell energies of a checkpoint series on token data, in the background (Ctrl+R)"));
  auto* experiment = new QCommandLinkButton(tr("Run the built-in experiment…"),
                                            tr("Train three small models and measure every checkpoint (a few minutes)"));
  for (QCommandLinkButton* button : {open, compute, experiment}) button->setToolTip(button->description());
  recent_->setMaximumHeight(170);
  recent_->setToolTip(tr("Double-click or press Enter to open"));
  auto* column = new QVBoxLayout;
  column->addWidget(title);
  column->addSpacing(12);
  column->addWidget(open);
  column->addWidget(compute);
  column->addWidget(experiment);
  column->addSpacing(12);
  column->addWidget(new QLabel(tr("<b>Recent sessions</b>")));
  column->addWidget(recent_);
  column->addStretch();
  auto* centre = new QWidget;
  centre->setLayout(column);
  centre->setMaximumWidth(620);
  auto* layout = new QHBoxLayout(this);
  layout->addStretch();
  layout->addWidget(centre, 1);
  layout->addStretch();
  connect(open, &QCommandLinkButton::clicked, this, &WelcomePage::openRequested);
  connect(compute, &QCommandLinkButton::clicked, this, &WelcomePage::computeRequested);
  connect(experiment, &QCommandLinkButton::clicked, this, &WelcomePage::experimentRequested);
  connect(recent_, &QListWidget::itemActivated, this,
          [this](QListWidgetItem* item) {
            const QString path = item->data(Qt::UserRole).toString();
            if (!path.isEmpty()) Q_EMIT recentFileRequested(path);
          });
}

void WelcomePage::setRecentFiles(const QStringList& paths) {
  recent_->clear();
  for (const QString& path : paths) {
    auto* item = new QListWidgetItem(QString("%1 — %2").arg(QFileInfo(path).fileName(), QFileInfo(path).absolutePath()), recent_);
    item->setData(Qt::UserRole, path);
    item->setToolTip(path);
  }
  if (paths.isEmpty()) new QListWidgetItem(tr("(none yet)"), recent_);
}

}  // namespace shellscope::ui

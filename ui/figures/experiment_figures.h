#pragma once
// The built-in experiment's figures: one profile figure per model (all checkpoints, coloured by
// step), the frontier trajectory, and the model-size overlay at the last common step.

#include <QString>
#include <QStringList>

#include "shellscope/session/session.h"

namespace shellscope::ui {

/// Renders the figures as PNG files into `directory`; returns their paths.
QStringList renderSessionFigures(const Session& session, const QString& directory);

}  // namespace shellscope::ui

#pragma once
// The numbers behind a profile figure as CSV: one row per shell with energy of every entry, with
// the band, minimum and smoothed value where the analysis has them and the shifts it was drawn at.

#include <QString>
#include <vector>

#include "ui/charts/chart_builders.h"

namespace shellscope::ui {

QString profileCsv(const std::vector<ProfileEntry>& entries);

}  // namespace shellscope::ui

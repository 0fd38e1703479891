#pragma once
// What changed between checkpoints (issue 17; analysis/checkpoint_difference.h): per checked run,
// ΔE_α = E_α(t) − E_α(base) on a linear axis (zero line drawn) or the ratio E_α(t)/E_α(base) on a
// log axis (one drawn), against λ on a log axis, each with its 95% bootstrap band (paired over the
// same batches where both runs used them). The Profile view draws it when a base checkpoint is
// chosen; the CSV holds exactly the drawn points.

#include <QColor>
#include <QString>
#include <vector>

#include "shellscope/analysis/checkpoint_difference.h"
#include "ui/charts/chart_builders.h"

namespace shellscope::ui {

enum class DifferenceQuantity { Delta, Ratio };

struct DifferenceEntry {
  analysis::CheckpointDifference difference;
  QColor color;
  QString label;
};

QChart* differenceChart(const std::vector<DifferenceEntry>& entries, DifferenceQuantity quantity, const QString& title,
                        const ChartStyle& style = {});
/// One row per drawn point: run, base, paired, shell, λ edges and centre, the value and its interval.
QString differenceCsv(const std::vector<DifferenceEntry>& entries, DifferenceQuantity quantity);

}  // namespace shellscope::ui

#include "ui/views/chart_pages.h"

#include "ui/views/animation_view.h"
#include "ui/views/generalisation_view.h"
#include "ui/views/lab_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/transport_view.h"
#include "ui/views/trends_view.h"

namespace shellscope::ui {

QStringList chartPageNames() {
  return {"profile", "animation", "overlay", "trends", "lab", "transport", "generalisation"};
}

std::unique_ptr<ChartPage> createChartPage(const QString& name, SessionDocument* document) {
  if (name == "profile") return std::make_unique<ProfileView>(document);
  if (name == "animation") return std::make_unique<AnimationView>(document);
  if (name == "overlay") return std::make_unique<OverlayView>(document);
  if (name == "trends") return std::make_unique<TrendsView>(document);
  if (name == "lab") return std::make_unique<LabView>(document);
  if (name == "transport") return std::make_unique<TransportView>(document);
  if (name == "generalisation") return std::make_unique<GeneralisationView>(document);
  return nullptr;
}

}  // namespace shellscope::ui

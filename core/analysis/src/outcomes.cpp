#include "shellscope/analysis/outcomes.h"

#include <utility>
#include <vector>

namespace shellscope::analysis {

namespace {

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

/// Ok for "ok" and "ok (...)", else the first code whose phrase the message contains.
template <typename Code>
Status<Code> fromText(const std::string& text, const std::vector<std::pair<const char*, Code>>& phrases) {
  if (text == "ok") return Status<Code>::success();
  if (text.rfind("ok (", 0) == 0) return Status<Code>::success(text);
  for (const auto& [phrase, code] : phrases) {
    if (contains(text, phrase)) return Status<Code>::failure(code, text);
  }
  return Status<Code>::failure(Code::Other, text);
}

}  // namespace

FitStatus fitStatusFromText(const std::string& text) {
  return fromText<FitCode>(text, {{"not fitted", FitCode::NotFitted},
                                  {"too few points", FitCode::TooFewPoints},
                                  {"shells above the floor", FitCode::TooFewPoints},
                                  {"no peak", FitCode::NoPeak},
                                  {"not determined", FitCode::Undetermined},
                                  {"not finite", FitCode::NotFinite},
                                  {"non-finite", FitCode::NotFinite},
                                  {"did not converge", FitCode::NotConverged},
                                  {"no suppression", FitCode::NoSuppression},
                                  {"outside the fitted range", FitCode::OutsideRange},
                                  {"left the fitted range", FitCode::OutsideRange}});
}

FrontierStatus frontierStatusFromText(const std::string& text) {
  return fromText<FrontierCode>(text, {{"not computed", FrontierCode::NotComputed},
                                       {"every shell is empty", FrontierCode::EmptyProfile},
                                       {"monotone", FrontierCode::MonotoneProfile}});
}

TrendStatus trendStatusFromText(const std::string& text) {
  return fromText<TrendCode>(text, {{"not computed", TrendCode::NotComputed},
                                    {"too few points", TrendCode::TooFewPoints},
                                    {"not positive", TrendCode::NotPositive},
                                    {"not determined", TrendCode::FitFailed},
                                    {"non-finite", TrendCode::FitFailed},
                                    {"did not converge", TrendCode::FitFailed}});
}

TransportStatus transportStatusFromText(const std::string& text) {
  // A withheld prediction lists its failed assumptions, first failure first: its code is the
  // first clause's.
  const std::string predicted = "not predicted: ";
  if (text.rfind(predicted, 0) == 0) {
    const std::string first = text.substr(0, text.find("; "));
    TransportStatus status = transportStatusFromText(first.substr(predicted.size()));
    return TransportStatus::failure(status.code(), text);
  }
  // "no loss trend: <why>" first: the reason it wraps may contain the other phrases.
  return fromText<TransportCode>(text, {{"not computed", TransportCode::NotComputed},
                                        {"no loss trend", TransportCode::NoLossTrend},
                                        {"no scale-free window", TransportCode::NoWindow},
                                        {"does not grow", TransportCode::KappaNotGrowing},
                                        {"not supported by the data", TransportCode::NotLinearInTime},
                                        {"p drifts", TransportCode::PDrifting},
                                        {"cannot be tested", TransportCode::Untested},
                                        {"too few points", TransportCode::TooFewPoints}});
}

AlignmentStatus alignmentStatusFromText(const std::string& text) {
  return fromText<AlignmentCode>(text, {{"not computed", AlignmentCode::NotComputed},
                                        {"share no step", AlignmentCode::NoCommonStep},
                                        {"do not overlap", AlignmentCode::NoOverlap}});
}

}  // namespace shellscope::analysis

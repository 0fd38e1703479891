#pragma once
// How each analysis estimate ended: Ok, or the reason there is no value (base/status.h). The
// codes are for programs (the GUI, the trends that use the fits); the messages are for people,
// and sessions and `analyze --json` store the text ("ok" or the message) exactly as before the
// codes existed. Reading a stored text back recovers its code from the message.

#include <string>

#include "shellscope/base/status.h"

namespace shellscope::analysis {

enum class FitCode {
  Ok,
  NotFitted,        ///< no fit was attempted yet
  TooFewPoints,     ///< fewer shells (or checkpoints) than parameters
  NoPeak,           ///< the profile is monotone or peaks at the edge of the fitted range
  Undetermined,     ///< singular normal matrix: the data do not determine the parameters
  NotFinite,        ///< non-finite parameters or model values
  NotConverged,     ///< Levenberg-Marquardt ran out of iterations
  NoSuppression,    ///< fitted κ <= 0: nothing is suppressed beyond the frontier
  OutsideRange,     ///< the blend point or the fitted peak left the fitted range
  Other,            ///< a stored message this build does not know
};
using FitStatus = Status<FitCode>;

enum class FrontierCode { Ok, NotComputed, EmptyProfile, MonotoneProfile, Other };
using FrontierStatus = Status<FrontierCode>;

enum class TrendCode { Ok, NotComputed, TooFewPoints, NotPositive, FitFailed, Other };
using TrendStatus = Status<TrendCode>;

/// The transport exponent c0 and the loss exponents derived from the trends.
enum class TransportCode {
  Ok,
  NotComputed,
  TooFewPoints,     ///< too few checkpoints with a theory fit
  KappaNotGrowing,  ///< κ does not grow with training: no transport exponent
  NotLinearInTime,  ///< κ grows, but not like τ as the transport solution says
  NoLossTrend,      ///< the loss has no trend to compare with
  NoWindow,         ///< no range of checkpoints is a power law within the noise
  PDrifting,        ///< p changes across the window: the prediction assumes it constant
  Untested,         ///< an assumption cannot be tested: its estimate has no bootstrap interval
  Other,
};
using TransportStatus = Status<TransportCode>;

enum class AlignmentCode { Ok, NotComputed, NoCommonStep, NoOverlap, Other };
using AlignmentStatus = Status<AlignmentCode>;

/// The state of an estimate nobody has computed yet.
template <typename Code>
Status<Code> notComputed() {
  return Status<Code>::failure(Code::NotComputed, "not computed");
}

/// A status from its stored text ("ok...", or a message these functions wrote).
FitStatus fitStatusFromText(const std::string& text);
FrontierStatus frontierStatusFromText(const std::string& text);
TrendStatus trendStatusFromText(const std::string& text);
TransportStatus transportStatusFromText(const std::string& text);
AlignmentStatus alignmentStatusFromText(const std::string& text);

}  // namespace shellscope::analysis

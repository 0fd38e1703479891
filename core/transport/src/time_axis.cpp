// The time axis of a checkpoint series: τ(t) = Σ_{k<t} η(k) from a training log, a stated
// learning-rate schedule (GPT-NeoX's warm-up and cosine decay, or step/rate pairs), or steps.
// Tested against hand sums and Pythia's schedule in tests/core/transport/test_time_axis.cpp.
#include "shellscope/transport/time_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>

#include "shellscope/session/session.h"

namespace shellscope::transport {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

double parseNumber(const std::string& text, const std::string& what) {
  const std::string t = trim(text);
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(value)) {
    throw std::invalid_argument("learning-rate schedule: " + what + " '" + t + "' is not a finite number");
  }
  return value;
}

std::int64_t parseStep(const std::string& text, const std::string& what) {
  const double value = parseNumber(text, what);
  if (value != std::floor(value) || value < 0 || value > 1e15) {
    throw std::invalid_argument("learning-rate schedule: " + what + " '" + trim(text) + "' is not a step (a whole number >= 0)");
  }
  return static_cast<std::int64_t>(value);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

/// The shortest text that reads back to the same double ("0.003", not "0.0030000000000000001").
std::string formatNumber(double value) {
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.precision(precision);
    out << value;
    if (std::strtod(out.str().c_str(), nullptr) == value) return out.str();
  }
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

}  // namespace

std::string toString(TimeSource source) {
  switch (source) {
    case TimeSource::TrainingLog: return "training-log";
    case TimeSource::Schedule: return "schedule";
    case TimeSource::Steps: return "steps";
  }
  return "steps";
}

TimeSource parseTimeSource(const std::string& text) {
  if (text == "training-log") return TimeSource::TrainingLog;
  if (text == "schedule") return TimeSource::Schedule;
  if (text == "steps") return TimeSource::Steps;
  throw std::invalid_argument("unknown time source '" + text + "' (training-log, schedule or steps)");
}

LearningRateSchedule LearningRateSchedule::warmupCosine(double peak, std::int64_t warmup, std::int64_t total,
                                                        double final) {
  if (!(peak > 0) || !std::isfinite(peak)) throw std::invalid_argument("learning-rate schedule: peak must be positive");
  if (warmup < 0) throw std::invalid_argument("learning-rate schedule: warmup must be >= 0");
  if (total <= warmup) throw std::invalid_argument("learning-rate schedule: total must exceed warmup");
  if (!(final >= 0 && final <= 1)) throw std::invalid_argument("learning-rate schedule: final must lie in [0, 1]");
  LearningRateSchedule s;
  s.kind_ = Kind::WarmupCosine;
  s.peak_ = peak;
  s.warmup_ = warmup;
  s.total_ = total;
  s.final_ = final;
  return s;
}

LearningRateSchedule LearningRateSchedule::pairs(std::vector<std::pair<std::int64_t, double>> points) {
  if (points.empty()) throw std::invalid_argument("learning-rate schedule: no step/rate pairs");
  std::sort(points.begin(), points.end());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].first < 0) throw std::invalid_argument("learning-rate schedule: negative step");
    if (!(points[i].second >= 0) || !std::isfinite(points[i].second)) {
      throw std::invalid_argument("learning-rate schedule: the rate at step " + std::to_string(points[i].first) +
                                  " must be finite and >= 0");
    }
    if (i > 0 && points[i].first == points[i - 1].first) {
      throw std::invalid_argument("learning-rate schedule: step " + std::to_string(points[i].first) + " given twice");
    }
  }
  LearningRateSchedule s;
  s.kind_ = Kind::Pairs;
  s.points_ = std::move(points);
  return s;
}

LearningRateSchedule LearningRateSchedule::parse(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    throw std::invalid_argument("learning-rate schedule '" + text +
                                "': expected cosine:peak=..,warmup=..,total=..,final=.. or pairs:STEP=RATE,... or constant:RATE");
  }
  const std::string kind = trim(text.substr(0, colon)), body = text.substr(colon + 1);
  if (kind == "constant") return pairs({{0, parseNumber(body, "rate")}});
  if (kind == "pairs") {
    std::vector<std::pair<std::int64_t, double>> points;
    for (const std::string& item : split(body, ',')) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("learning-rate schedule: pair '" + trim(item) + "' is not STEP=RATE");
      points.emplace_back(parseStep(item.substr(0, eq), "step"), parseNumber(item.substr(eq + 1), "rate"));
    }
    return pairs(std::move(points));
  }
  if (kind == "cosine") {
    double peak = -1, final = 0.1;
    std::int64_t warmup = 0, total = -1;
    for (const std::string& item : split(body, ',')) {
      const auto eq = item.find('=');
      const std::string key = trim(item.substr(0, eq));
      if (eq == std::string::npos) throw std::invalid_argument("learning-rate schedule: '" + trim(item) + "' is not KEY=VALUE");
      const std::string value = item.substr(eq + 1);
      if (key == "peak") peak = parseNumber(value, "peak");
      else if (key == "warmup") warmup = parseStep(value, "warmup");
      else if (key == "total") total = parseStep(value, "total");
      else if (key == "final") final = parseNumber(value, "final");
      else throw std::invalid_argument("learning-rate schedule: unknown key '" + key + "' (peak, warmup, total, final)");
    }
    if (peak < 0) throw std::invalid_argument("learning-rate schedule: cosine needs peak=RATE");
    if (total < 0) throw std::invalid_argument("learning-rate schedule: cosine needs total=STEPS");
    return warmupCosine(peak, warmup, total, final);
  }
  throw std::invalid_argument("learning-rate schedule: unknown kind '" + kind + "' (cosine, pairs or constant)");
}

double LearningRateSchedule::rate(std::int64_t step) const {
  if (kind_ == Kind::WarmupCosine) {
    if (warmup_ > 0 && step <= warmup_) return peak_ * static_cast<double>(step) / static_cast<double>(warmup_);
    const double floor = final_ * peak_;
    if (step >= total_) return floor;
    const double progress = static_cast<double>(step - warmup_) / static_cast<double>(total_ - warmup_);
    return floor + (peak_ - floor) * 0.5 * (1.0 + std::cos(kPi * progress));
  }
  if (step <= points_.front().first) return points_.front().second;
  if (step >= points_.back().first) return points_.back().second;
  const auto after = std::upper_bound(points_.begin(), points_.end(), std::make_pair(step, 1e308));
  const auto before = after - 1;
  const double t = static_cast<double>(step - before->first) / static_cast<double>(after->first - before->first);
  return before->second + t * (after->second - before->second);
}

double LearningRateSchedule::accumulated(std::int64_t step) const {
  return timeFromSchedule(*this, {step}).tau.front();  // the one compensated sum (below)
}

std::string LearningRateSchedule::describe() const {
  if (kind_ == Kind::WarmupCosine) {
    return "cosine:peak=" + formatNumber(peak_) + ",warmup=" + std::to_string(warmup_) + ",total=" +
           std::to_string(total_) + ",final=" + formatNumber(final_);
  }
  std::string text = "pairs:";
  for (std::size_t i = 0; i < points_.size(); ++i) {
    text += (i ? "," : "") + std::to_string(points_[i].first) + "=" + formatNumber(points_[i].second);
  }
  return text;
}

SeriesTime timeFromLog(const TrainingLog& log, const std::vector<std::int64_t>& steps) {
  SeriesTime time;
  time.source = TimeSource::TrainingLog;
  time.description = "training log of " + log.modelName;
  // τ sums the rate of every step, so the log must hold every step (a log of every 10th step would
  // make τ ten times too small).
  for (std::size_t i = 0; i < log.steps.size(); ++i) {
    if (log.steps[i] != static_cast<std::int64_t>(i)) {
      throw std::invalid_argument("the training log of " + log.modelName + " does not hold every step from 0 (entry " +
                                  std::to_string(i) + " is step " + std::to_string(log.steps[i]) +
                                  "): give the learning-rate schedule with --schedule");
    }
  }
  const std::int64_t logged = static_cast<std::int64_t>(log.steps.size());
  for (std::int64_t step : steps) {
    if (step < 0 || step > logged) {
      throw std::invalid_argument("the training log of " + log.modelName + " covers steps 0.." + std::to_string(logged) +
                                  ", not step " + std::to_string(step));
    }
    time.tau.push_back(log.accumulatedLearningRate(step));
  }
  return time;
}

SeriesTime timeFromSchedule(const LearningRateSchedule& schedule, const std::vector<std::int64_t>& steps) {
  SeriesTime time;
  time.source = TimeSource::Schedule;
  time.description = schedule.describe();
  // One pass of compensated (Kahan) sums up to the last step, read off at every checkpoint, so that
  // 143,000 terms lose nothing visible.
  constexpr std::int64_t kLargestStep = 1000000000;
  std::vector<std::int64_t> sorted = steps;
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty() && sorted.front() < 0) throw std::invalid_argument("a checkpoint at an unknown step has no τ");
  if (!sorted.empty() && sorted.back() > kLargestStep) {
    throw std::invalid_argument("step " + std::to_string(sorted.back()) + " is beyond the schedule's range (10⁹ steps)");
  }
  std::map<std::int64_t, double> at;
  double sum = 0, carry = 0;
  std::int64_t k = 0;
  for (std::int64_t step : sorted) {
    for (; k < step; ++k) {
      const double y = schedule.rate(k) - carry;
      const double t = sum + y;
      carry = (t - sum) - y;
      sum = t;
    }
    at[step] = sum;
  }
  for (std::int64_t step : steps) time.tau.push_back(at[step]);
  return time;
}

SeriesTime timeInSteps(const std::vector<std::int64_t>& steps) {
  SeriesTime time;
  time.source = TimeSource::Steps;
  time.description = "steps (no learning rates known)";
  for (std::int64_t step : steps) time.tau.push_back(static_cast<double>(step));
  return time;
}

}  // namespace shellscope::transport

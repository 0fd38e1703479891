#include "shellscope/benchmark.h"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>

#include "engine/builtin_models.h"
#include "engine/linearization.h"
#include "engine/operators.h"
#include "shellscope/runtime.h"

namespace shellscope {

namespace {

/// Median seconds of `repeats` calls after one warm-up call.
template <typename Work>
double medianSeconds(int repeats, Work work) {
  work();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double start = monotonicSeconds();
    work();
    times.push_back(monotonicSeconds() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

std::vector<OperatorBenchmarkResult> runOperatorBenchmark(const OperatorBenchmarkOptions& options,
                                                          ProgressToken& progress) {
  configureThreads(options.threads);
  const at::ScalarType dtype = options.dtype == ComputeDType::Float64 ? at::kDouble : at::kFloat;
  const at::Device device = (options.device != DevicePreference::Cpu && at::hasCUDA()) ? at::Device(at::kCUDA)
                                                                                       : at::Device(at::kCPU);
  std::vector<OperatorBenchmarkResult> results;
  for (size_t i = 0; i < options.models.size(); ++i) {
    progress.throwIfCancelled();
    progress.report(static_cast<double>(i) / options.models.size(), options.models[i]);
    auto model = engine::makeBuiltinModel(options.models[i], options.seed);
    auto data = engine::makeBuiltinData(*model, 1, options.batchSize, options.seqLen, options.seed);
    model->to(device, dtype);
    engine::Batch batch = data->batch(0, dtype);
    batch.inputs = batch.inputs.to(device);
    batch.targets = batch.targets.to(device);

    OperatorBenchmarkResult r;
    r.model = options.models[i];
    r.nParams = model->parameterCount();
    r.nPoints = batch.pointCount();
    const int reps = options.repeats;
    r.forward = medianSeconds(reps, [&] { model->outputs(model->parameters(), batch); });
    r.forwardBackward = medianSeconds(reps, [&] {
      const at::Tensor f = model->outputs(model->parameters(), batch);
      torch::autograd::grad({f.sum()}, model->parameters(), {}, false, false, true);
    });

    engine::BatchLinearization forwardMode(*model, batch, JvpMethod::ForwardMode);
    const at::Tensor u = at::randn({r.nPoints}, forwardMode.outputs().options());
    const std::vector<at::Tensor> g = forwardMode.vjp(u);
    r.vjp = medianSeconds(reps, [&] { forwardMode.vjp(u); });
    r.jvpForwardMode = medianSeconds(reps, [&] { forwardMode.jvp(g); });
    engine::FunctionSpaceOperator forwardOp(forwardMode);
    const Eigen::VectorXd uVector = engine::toEigen(u);
    Eigen::VectorXd out(uVector.size());
    r.productForwardMode = medianSeconds(reps, [&] { forwardOp.apply(uVector, out); });

    {
      const double start = monotonicSeconds();
      engine::BatchLinearization doubleBackward(*model, batch, JvpMethod::DoubleBackward);
      doubleBackward.jvp(g);  // builds the graph of w -> J^T w
      r.doubleBackwardSetup = monotonicSeconds() - start - r.forward;
      r.jvpDoubleBackward = medianSeconds(reps, [&] { doubleBackward.jvp(g); });
      engine::FunctionSpaceOperator doubleOp(doubleBackward);
      r.productDoubleBackward = medianSeconds(reps, [&] { doubleOp.apply(uVector, out); });
    }
    results.push_back(r);
  }
  progress.report(1.0, "done");
  return results;
}

}  // namespace shellscope

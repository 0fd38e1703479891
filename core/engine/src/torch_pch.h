// Precompiled header of the LibTorch translation units: ATen plus the autograd entry points.
// (<torch/torch.h> would cost about three times as much to parse; nothing here needs torch::nn.)
#pragma once
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/csrc/autograd/grad_mode.h>

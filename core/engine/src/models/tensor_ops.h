#pragma once
// Small tensor building blocks shared by the GPT-NeoX and GPT-2 forward passes and their tangent
// passes.

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace shellscope::engine {

/// rotate_half(x) = cat(-x[..., r/2:], x[..., :r/2])  (the half-split convention).
inline at::Tensor rotateHalf(const at::Tensor& x) {
  const std::int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

/// Rotary embedding on the first r dimensions: x_rot cos + rotate_half(x_rot) sin. Linear in x.
inline at::Tensor applyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, std::int64_t r) {
  if (r == 0) return x;
  const at::Tensor rotated = x.narrow(-1, 0, r);
  const at::Tensor passed = x.narrow(-1, r, x.size(-1) - r);
  return at::cat({rotated * cos + rotateHalf(rotated) * sin, passed}, -1);
}

/// cos and sin tables [T, r] of the rotary embedding: angle(t, d) = t · inv_freq[d mod r/2] with
/// inv_freq = 1 / base^(arange(0, r, 2) / r) / positionDivisor, in fp32 as Hugging Face computes it.
inline std::pair<at::Tensor, at::Tensor> rotaryTables(std::int64_t length, std::int64_t r, double base,
                                                      const at::Tensor& like, double positionDivisor = 1.0) {
  const at::Tensor exponents = at::arange(0, r, 2, at::kFloat) / static_cast<float>(r);
  at::Tensor invFreq = at::pow(static_cast<float>(base), exponents).reciprocal();
  if (positionDivisor != 1.0) invFreq = invFreq / static_cast<float>(positionDivisor);
  const at::Tensor freqs = at::outer(at::arange(length, at::kFloat), invFreq);
  const at::Tensor angles = at::cat({freqs, freqs}, -1);
  return {angles.cos().to(like.options()), angles.sin().to(like.options())};
}

/// The parameter in `slot`, or an undefined tensor for an absent one (slot < 0).
inline at::Tensor optionalParameter(const std::vector<at::Tensor>& p, int slot) {
  return slot >= 0 ? p[static_cast<size_t>(slot)] : at::Tensor();
}

/// Tangent of y = x W^T + b:  ẏ = ẋ W^T + x Ẇ^T + ḃ  (ḃ may be undefined).
inline at::Tensor linearTangent(const at::Tensor& x, const at::Tensor& xDot, const at::Tensor& w,
                                const at::Tensor& wDot, const at::Tensor& bDot) {
  return at::linear(xDot, w).add_(at::linear(x, wDot, bDot));
}

/// Causal attention probabilities P = softmax(s) over the last dimension with the future (key
/// position > query position) masked out; s is [..., T, T].
inline at::Tensor causalSoftmax(const at::Tensor& scores) {
  const std::int64_t T = scores.size(-1);
  const at::Tensor future = at::ones({T, T}, at::TensorOptions().dtype(at::kBool).device(scores.device())).triu(1);
  // The mask value is the dtype's lowest finite number (torch.finfo(dtype).min, as Hugging Face).
  const at::ScalarType type = scores.scalar_type();
  const double lowest = type == at::kDouble     ? std::numeric_limits<double>::lowest()
                        : type == at::kBFloat16 ? static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest())
                        : type == at::kHalf     ? static_cast<double>(std::numeric_limits<c10::Half>::lowest())
                                                : static_cast<double>(std::numeric_limits<float>::lowest());
  return at::softmax(scores.masked_fill(future, lowest), -1);
}

/// Tangent of P = softmax(s):  Ṗ = P ⊙ (ṡ - Σ_j P ṡ)  (masked entries have P = 0 and drop out).
inline at::Tensor softmaxTangent(const at::Tensor& P, const at::Tensor& scoresDot) {
  return P * (scoresDot - (P * scoresDot).sum(-1, true));
}

/// Causal attention on heads [B, heads, T, d]: P = softmax(scale · q k^T + mask) and the heads of
/// P v merged to [B, T, heads · d]. Returns {P, merged}.
inline std::pair<at::Tensor, at::Tensor> causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                         double scale) {
  const at::Tensor probabilities = causalSoftmax(at::matmul(q, k.transpose(-1, -2)) * scale);
  const at::Tensor merged =
      at::matmul(probabilities, v).permute({0, 2, 1, 3}).reshape({q.size(0), q.size(2), q.size(1) * v.size(-1)});
  return {probabilities, merged};
}

/// Tangent of causalAttention's merged output at (q, k, v, P):
///   ṡ = scale (q̇ k^T + q k̇^T),  Ṗ = P ⊙ (ṡ - Σ_j P ṡ),  ȯ = Ṗ v + P v̇, heads merged.
inline at::Tensor causalAttentionTangent(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const at::Tensor& P, const at::Tensor& qDot, const at::Tensor& kDot,
                                         const at::Tensor& vDot, double scale) {
  const at::Tensor scoresDot =
      (at::matmul(qDot, k.transpose(-1, -2)) + at::matmul(q, kDot.transpose(-1, -2))).mul_(scale);
  return (at::matmul(softmaxTangent(P, scoresDot), v) + at::matmul(P, vDot))
      .permute({0, 2, 1, 3})
      .reshape({q.size(0), q.size(2), q.size(1) * v.size(-1)});
}

/// LayerNorm statistics for its tangent: x̂ = (x - mean) / σ and 1/σ, σ = sqrt(var + eps).
struct NormStatistics {
  at::Tensor normalised, inverseStd;
  NormStatistics() = default;
  NormStatistics(const at::Tensor& x, double eps) {
    const at::Tensor centred = x - x.mean(-1, true);
    inverseStd = (centred.square().mean(-1, true) + eps).rsqrt();
    normalised = centred * inverseStd;
  }
  /// Tangent of y = x̂ γ + β:  ẏ = γ (ẋ - mean ẋ - x̂ mean(ẋ x̂)) / σ + x̂ γ̇ + β̇.
  at::Tensor tangent(const at::Tensor& xDot, const at::Tensor& gamma, const at::Tensor& gammaDot,
                     const at::Tensor& betaDot) const {
    const at::Tensor hatDot =
        (xDot - xDot.mean(-1, true) - normalised * (xDot * normalised).mean(-1, true)) * inverseStd;
    return (hatDot * gamma).add_(normalised * gammaDot).add_(betaDot);
  }
};

/// d/dx GELU(x) for the exact (erf) GELU: Φ(x) + x φ(x).
inline at::Tensor geluSlope(const at::Tensor& x) {
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  constexpr double kInvSqrt2Pi = 0.39894228040143267794;
  return (at::erf(x * kInvSqrt2) + 1.0) * 0.5 + x * at::exp(x.square() * -0.5) * kInvSqrt2Pi;
}

/// GELU, tanh approximation (Hugging Face gelu_new): 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
inline at::Tensor geluTanh(const at::Tensor& x) {
  constexpr double kSqrt2OverPi = 0.79788456080286535588;
  return x * 0.5 * (at::tanh((x + x.pow(3) * 0.044715) * kSqrt2OverPi) + 1.0);
}

/// d/dx of geluTanh: 0.5 (1 + t) + 0.5 x (1 - t²) √(2/π) (1 + 3·0.044715 x²), t = tanh(u).
inline at::Tensor geluTanhSlope(const at::Tensor& x) {
  constexpr double kSqrt2OverPi = 0.79788456080286535588;
  const at::Tensor t = at::tanh((x + x.pow(3) * 0.044715) * kSqrt2OverPi);
  return (t + 1.0) * 0.5 + x * 0.5 * (1.0 - t.square()) * kSqrt2OverPi * (x.square() * (3 * 0.044715) + 1.0);
}

}  // namespace shellscope::engine

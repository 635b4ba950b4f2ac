#pragma once
// The checks of score tensors that the library shares: "these numbers are finite" (a model's
// logits, scores, features) and "these rows are probabilities" (conformal prediction,
// calibrators, calibration metrics).

#include <ATen/core/Tensor.h>

namespace bulwark {

// Half precision (float16, bfloat16) as float32, other tensors as they are. Scores, features and
// probabilities in half precision are checked and computed in float32 — their range (65504 for
// float16) and precision are too small for the sums, exponentials and distances of the metrics,
// calibrators and detectors — and what is computed from them comes back in float32.
at::Tensor widen_half(const at::Tensor& t);

// Throws NonFiniteError unless every value of t is finite, naming `where`, `arg`, how many
// samples (rows along dim 0) hold NaN or +-inf and the first of them. One min/max pass when
// all is well.
void check_finite(const at::Tensor& t, const char* where, const char* arg);

// Throws unless probs (N, K) is free of NaN/Inf, lies in [0, 1] and every row sums to 1
// within 1e-3 (plus half the machine epsilon for float16 and bfloat16, whose rounding moves a
// row's sum by that much). Two vectorised reductions (min/max, then the row sums), no float64 copy.
// `where` and `arg` name the call and the argument; `hint` ends the message (e.g. how to pass
// logits instead).
void check_probability_rows(const at::Tensor& probs, const char* where, const char* arg,
                            const char* hint);

}  // namespace bulwark

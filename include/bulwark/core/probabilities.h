#pragma once
// The one check of "these rows are probabilities" that conformal prediction, calibrators and
// calibration metrics share.

#include <ATen/core/Tensor.h>

namespace bulwark {

// Throws unless probs (N, K) is free of NaN/Inf, lies in [0, 1] and every row sums to 1
// within 1e-3. One min/max pass and one row-sum pass. `where` and `arg` name the call and the
// argument; `hint` ends the message (e.g. how to pass logits instead).
void check_probability_rows(const at::Tensor& probs, const char* where, const char* arg,
                            const char* hint);

}  // namespace bulwark

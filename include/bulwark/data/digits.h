#pragma once
// sklearn's 8x8 handwritten digits (UCI optdigits test set, 1,797 images), from Debian's
// python3-sklearn, enlarged to 28x28: an out-of-distribution set for Fashion-MNIST models.

#include <string>

#include <bulwark/data/dataset.h>

namespace bulwark::data {

// $BULWARK_DIGITS_PATH, else sklearn's digits.csv.gz under /usr/lib/python3/dist-packages.
std::string digits_path();

// inputs: float32 (1797, 1, 28, 28) in [0, 1] (pixel / 16, bilinear resize, align_corners=false);
// labels: int64 digits 0-9. Throws FileError if missing, FormatError if a line is malformed.
TensorDataset digits(const std::string& path = "");

}  // namespace bulwark::data

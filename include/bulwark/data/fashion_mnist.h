#pragma once
// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from Debian's dataset-fashion-mnist package.

#include <string>
#include <vector>

#include <bulwark/data/dataset.h>

namespace bulwark::data {

// Where the idx files are looked for when no directory is given: $BULWARK_FASHION_MNIST_DIR,
// else /usr/share/datasets/fashion-mnist.
std::string fashion_mnist_dir();

// split: "train" (60,000) or "test" (10,000). images: float32 (N, 1, 28, 28) in [0, 1];
// labels: int64 (N,) in [0, 10). dir: empty for fashion_mnist_dir().
TensorDataset fashion_mnist(const std::string& split, const std::string& dir = "");

// The names of the 10 classes, by label: "T-shirt/top", "Trouser", ..., "Ankle boot".
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace bulwark::data

#include <bulwark/data/fashion_mnist.h>

#include <cstdlib>
#include <filesystem>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/data/idx.h>

namespace bulwark::data {

std::string fashion_mnist_dir() {
  const char* env = std::getenv("BULWARK_FASHION_MNIST_DIR");
  return (env != nullptr && *env != '\0') ? env : "/usr/share/datasets/fashion-mnist";
}

TensorDataset fashion_mnist(const std::string& split, const std::string& dir) {
  BULWARK_CHECK(split == "train" || split == "test",
                "fashion_mnist: split must be 'train' or 'test', got '", split, "'");
  const std::filesystem::path root = dir.empty() ? fashion_mnist_dir() : dir;
  const std::string prefix = split == "train" ? "train" : "t10k";
  const auto images_path = root / (prefix + "-images-idx3-ubyte.gz");
  const auto labels_path = root / (prefix + "-labels-idx1-ubyte.gz");
  for (const auto& p : {images_path, labels_path}) {
    BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(p), "fashion_mnist: '",
                     p.string(), "' not found; install Debian's dataset-fashion-mnist "
                     "(apt-get install dataset-fashion-mnist) or set BULWARK_FASHION_MNIST_DIR");
  }
  const at::Tensor images = read_idx(images_path.string());
  const at::Tensor labels = read_idx(labels_path.string());
  BULWARK_CHECK_AS(FormatError, images.dim() == 3 && images.size(1) == 28 && images.size(2) == 28,
                   "fashion_mnist: '", images_path.string(), "' must hold N x 28 x 28 images, got ",
                   images.sizes());
  BULWARK_CHECK_AS(FormatError, labels.dim() == 1 && labels.size(0) == images.size(0),
                   "fashion_mnist: '", labels_path.string(), "' must hold ", images.size(0),
                   " labels, got shape ", labels.sizes());
  BULWARK_CHECK_AS(FormatError, labels.numel() == 0 || labels.max().item<int64_t>() < 10,
                   "fashion_mnist: '", labels_path.string(), "' holds labels >= 10");
  return {images.unsqueeze(1).to(at::kFloat).div_(255.0f), labels.to(at::kLong)};
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace bulwark::data

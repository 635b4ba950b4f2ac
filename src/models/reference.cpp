#include <bulwark/models/reference.h>

#include <bulwark/core/error.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/version.h>

namespace bulwark::models {

std::string cache_key(const FashionCNNRecipe& r) {
  // Major.minor only: a patch release does not change how reference models are trained.
  return detail::str("fashion_cnn-fashion_mnist-e", r.epochs, "-b", r.batch_size, "-lr", r.lr,
                     "-s", r.seed, "-v", BULWARK_VERSION_MAJOR, ".", BULWARK_VERSION_MINOR);
}

FashionCNN trained_fashion_cnn(const FashionCNNRecipe& r, bool* from_cache) {
  FashionCNN net(r.seed);
  auto train_it = [&] {
    TrainOptions o;
    o.epochs = r.epochs;
    o.batch_size = r.batch_size;
    o.lr = r.lr;
    o.seed = r.seed;
    o.progress = r.progress;
    o.on_batch = r.on_batch;
    train(*net, [&](const at::Tensor& x) { return net->forward(x); },
          data::fashion_mnist("train", r.data_dir), o);
  };
  bool cached = false;
  if (r.use_cache) {
    cached = load_or_train(*net, cache_key(r), train_it, r.cache_dir);
  } else {
    train_it();
  }
  if (from_cache != nullptr) *from_cache = cached;
  net->eval();
  return net;
}

}  // namespace bulwark::models

// Attack a small LibTorch model with bulwark's FGSM, from C++ alone.
#include <cstdio>

#include <torch/torch.h>

#include <bulwark/bulwark.h>

int main() {
  torch::nn::Sequential net(torch::nn::Flatten(), torch::nn::Linear(16, 3));
  bulwark::ClassifierOptions opts;
  opts.bounds = {0.0, 1.0};  // inputs live in [0, 1]
  bulwark::ModuleClassifier model(net, opts);

  const auto x = torch::rand({8, 1, 4, 4}, torch::Generator(bulwark::make_generator(0)));
  const auto y = model.predict(x);

  bulwark::attacks::FGSMOptions options;
  options.eps = 0.1;
  bulwark::attacks::FGSM fgsm(options);
  const auto result = fgsm.run(model, x, y);

  const double max_norm = result.norm.max().item<double>();
  std::printf("bulwark %s: %s flipped %lld/8 predictions, max Linf norm %.4f\n",
              bulwark::version().c_str(), fgsm.repr().c_str(),
              static_cast<long long>(result.success.sum().item<int64_t>()), max_norm);
  return max_norm <= 0.1 + 1e-6 ? 0 : 1;
}

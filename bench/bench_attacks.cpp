// Attack overhead: time of an S-step attack / (S x one forward+backward of the same model and
// batch), both measured in this run. The physical limit is 1.0. Reference FashionCNN.
// Usage: bench_attacks [batch=256] [steps=40] [reps=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>
#include <bulwark/losses/classification.h>
#include <bulwark/models/fashion_cnn.h>

#include "fashion_batch.h"

using namespace bulwark;
using Clock = std::chrono::steady_clock;

namespace {
template <typename F>
double median_ms(int reps, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return bench::median(t);
}
}  // namespace

int main(int argc, char** argv) {
  tune_malloc();
  configure_threads();
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  const int64_t steps = argc > 2 ? std::atoll(argv[2]) : 40;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  bench::FashionBatch b(batch);
  ModuleClassifier model(b.net);
  const at::Tensor& x = b.x;
  const at::Tensor& y = b.y;
  auto fwd_bwd = [&] { return b.direct_gradient(); };
  for (int i = 0; i < 3; ++i) fwd_bwd();
  std::printf("bench_attacks: FashionCNN, batch %lld, %d threads\n", static_cast<long long>(batch),
              at::get_num_threads());
  const double fb = median_ms(5 * reps, fwd_bwd);
  std::printf("  forward+backward                        %9.2f ms\n", fb);
  {
    const auto loss = losses::against(losses::Loss::CrossEntropy, y);
    const double t = median_ms(reps, [&] {
      for (int64_t i = 0; i < steps; ++i) model.logits_and_grad(x, loss);
    });
    std::printf("  %lld x Classifier::logits_and_grad        %9.2f ms   overhead %.3f\n",
                static_cast<long long>(steps), t, t / (static_cast<double>(steps) * fb));
  }
  for (auto norm : {ops::Norm::Linf, ops::Norm::L2, ops::Norm::L1}) {
    attacks::PGDOptions o;
    o.eps = norm == ops::Norm::Linf ? 0.1 : norm == ops::Norm::L2 ? 1.5 : 10.0;
    o.norm = norm;
    o.steps = steps;
    attacks::PGD pgd(o);
    const double t = median_ms(reps, [&] { pgd(model, x, y); });
    std::printf("  PGD-%lld %-4s                             %9.2f ms   overhead %.3f\n",
                static_cast<long long>(steps), ops::to_string(norm).c_str(), t,
                t / (static_cast<double>(steps) * fb));
  }
  return 0;
}

// The cost of the classifier abstraction: Classifier::logits_and_grad (input checks, eval-mode
// guard, query counting, autograd::grad) against the same forward+backward written directly,
// on the reference FashionCNN. Runs alternate so drift hits both alike; prints medians and the
// ratio. Usage: bench_classifier [batch=256] [reps=100]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>
#include <bulwark/losses/classification.h>
#include <bulwark/models/fashion_cnn.h>

#include "fashion_batch.h"

using namespace bulwark;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  tune();  // threads and malloc for the whole process (core/runtime.h)
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 100;
  bench::FashionBatch b(batch);
  ModuleClassifier model(b.net);
  const auto loss = losses::against(losses::Loss::CrossEntropy, b.y);

  auto direct = [&] { return b.direct_gradient(); };
  auto through = [&] { return model.logits_and_grad(b.x, loss).grad; };

  for (int i = 0; i < 3; ++i) {  // warm up both paths
    direct();
    through();
  }
  std::vector<double> t_direct, t_through;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    direct();
    auto t1 = Clock::now();
    through();
    auto t2 = Clock::now();
    t_direct.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    t_through.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const double d = bench::median(t_direct), c = bench::median(t_through);
  std::printf("bench_classifier: FashionCNN, batch %lld, %d reps, %d threads\n",
              static_cast<long long>(batch), reps, at::get_num_threads());
  std::printf("  direct forward+backward (autograd::grad)  %8.2f ms\n", d);
  std::printf("  Classifier::logits_and_grad              %8.2f ms\n", c);
  std::printf("  overhead ratio                           %8.3f\n", c / d);
  return 0;
}

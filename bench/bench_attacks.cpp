// Attack overhead: time of an S-step attack / (S x one forward+backward of the same model and
// batch). The two are timed alternately, rep by rep, and the median of the per-rep ratios is
// reported, so machine noise hits both sides alike. The physical limit is 1.0. FashionCNN.
// Usage: bench_attacks [batch=256] [steps=40] [reps=7]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/mifgsm.h>
#include <bulwark/attacks/pgd.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/runtime.h>
#include <bulwark/losses/classification.h>

#include "fashion_batch.h"

using namespace bulwark;
using Clock = std::chrono::steady_clock;

namespace {
double ms(const std::function<void()>& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  tune();  // threads and malloc for the whole process (core/runtime.h)
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  const int64_t steps = argc > 2 ? std::atoll(argv[2]) : 40;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 7;
  bench::FashionBatch b(batch);
  ModuleClassifier model(b.net);
  const at::Tensor& x = b.x;
  const at::Tensor& y = b.y;
  auto physical = [&] {
    for (int64_t i = 0; i < steps; ++i) b.direct_gradient();
  };
  for (int i = 0; i < 3; ++i) b.direct_gradient();
  std::printf("bench_attacks: FashionCNN, batch %lld, %lld steps, %d threads, %d reps "
              "(median of per-rep ratios)\n",
              static_cast<long long>(batch), static_cast<long long>(steps), at::get_num_threads(),
              reps);
  std::printf("  %-34s %12s %12s %9s\n", "attack", "attack ms", "S x f+b ms", "overhead");

  const auto loss = losses::against(losses::Loss::CrossEntropy, y);
  std::vector<std::pair<std::string, std::function<void()>>> rows;
  rows.emplace_back("Classifier::logits_and_grad x S", [&] {
    for (int64_t i = 0; i < steps; ++i) model.logits_and_grad(x, loss);
  });
  for (auto norm : {ops::Norm::Linf, ops::Norm::L2, ops::Norm::L1}) {
    attacks::PGDOptions o;
    o.eps = norm == ops::Norm::Linf ? 0.1 : norm == ops::Norm::L2 ? 1.5 : 10.0;
    o.norm = norm;
    o.steps = steps;
    auto pgd = std::make_shared<attacks::PGD>(o);
    rows.emplace_back("PGD " + ops::to_string(norm), [&model, &x, &y, pgd] { (*pgd)(model, x, y); });
  }
  attacks::MIFGSMOptions mo;
  mo.eps = 0.1;
  mo.steps = steps;
  auto mifgsm = std::make_shared<attacks::MIFGSM>(mo);
  rows.emplace_back("MIFGSM linf", [&model, &x, &y, mifgsm] { (*mifgsm)(model, x, y); });
  // APGD stops early on nothing: with a random y most samples start misclassified, so attack
  // the model's own predictions (all "correct") to make every step count.
  const at::Tensor own = model.predict(x);
  for (auto norm : {ops::Norm::Linf, ops::Norm::L2}) {
    attacks::APGDOptions ao;
    ao.eps = norm == ops::Norm::Linf ? 0.02 : 0.3;  // small: few samples break early
    ao.norm = norm;
    ao.steps = steps;
    auto apgd = std::make_shared<attacks::APGD>(ao);
    rows.emplace_back("APGD-CE " + ops::to_string(norm) + " (own labels)",
                      [&model, &x, own, apgd] { (*apgd)(model, x, own); });
  }
  for (const auto& [name, run] : rows) {
    std::vector<double> ratio, ta, tp;
    run();  // warm-up
    for (int r = 0; r < reps; ++r) {
      const double a = ms(run);
      const double p = ms(physical);
      ta.push_back(a);
      tp.push_back(p);
      ratio.push_back(a / p);
    }
    std::printf("  %-34s %12.1f %12.1f %9.3f\n", name.c_str(), bench::median(ta),
                bench::median(tp), bench::median(ratio));
  }
  return 0;
}

// AutoAttack (standard) on the first N Fashion-MNIST test images against the reference
// FashionCNN: robust accuracy after each sub-attack, its time and share of the total, and the
// samples it queried (each attack only runs on the samples still robust).
// Usage: bench_autoattack [n=1000] [eps=0.1] [batch=250] [version=standard]
// (batch: AutoAttack's chunk size; the whole set is one AutoAttack call.)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/attacks/autoattack.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/runtime.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/models/reference.h>

using namespace bulwark;

int main(int argc, char** argv) {
  tune();  // threads and malloc for the whole process (core/runtime.h)
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000;
  const double eps = argc > 2 ? std::atof(argv[2]) : 0.1;
  const int64_t batch = argc > 3 ? std::atoll(argv[3]) : 250;
  const std::string version = argc > 4 ? argv[4] : "standard";
  models::FashionCNNRecipe recipe;
  recipe.training.progress = false;
  models::FashionCNN net = models::trained_fashion_cnn(recipe);
  ModuleClassifier model(net);
  const auto test = data::fashion_mnist("test").slice(0, n);

  attacks::AutoAttackOptions o;
  o.eps = eps;
  o.version = version;
  o.batch_size = batch;
  attacks::AutoAttack aa(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto [result, report] = aa.run_with_report(model, test.inputs, test.labels);
  const auto& total = report.attacks;
  const int64_t clean = std::llround(report.clean_accuracy * static_cast<double>(n));
  const int64_t robust = result.success.logical_not().sum().item<int64_t>();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double attack_seconds = 0;
  for (const auto& t : total) attack_seconds += t.seconds;
  std::printf("bench_autoattack: AutoAttack %s, Linf eps=%.4g, FashionCNN, %lld test images, "
              "batch %lld, %d threads\n",
              version.c_str(), eps, static_cast<long long>(n), static_cast<long long>(batch),
              at::get_num_threads());
  std::printf("  clean accuracy %.2f%%\n", 100.0 * static_cast<double>(clean) / static_cast<double>(n));
  std::printf("  %-10s %9s %7s %13s %9s %7s %16s %16s\n", "attack", "attacked", "broken",
              "robust acc", "seconds", "share", "fwd samples", "bwd samples");
  int64_t left = clean;
  for (const auto& t : total) {
    left -= t.broken;
    std::printf("  %-10s %9lld %7lld %12.2f%% %9.1f %6.1f%% %16lld %16lld\n", t.name.c_str(),
                static_cast<long long>(t.attacked), static_cast<long long>(t.broken),
                100.0 * static_cast<double>(left) / static_cast<double>(n), t.seconds,
                100.0 * t.seconds / attack_seconds, static_cast<long long>(t.queries.forward_samples),
                static_cast<long long>(t.queries.backward_samples));
  }
  std::printf("  robust accuracy %.2f%%, total %.1f s\n",
              100.0 * static_cast<double>(robust) / static_cast<double>(n), seconds);
  return 0;
}

// The smoothing stage: randomized smoothing (Cohen et al. 2019). A FashionCNN trained with
// Gaussian data augmentation (noise sigma on every training batch; or loaded from the model
// cache) is certified by Monte-Carlo CERTIFY on the first smoothing.samples evaluation images:
// certified accuracy against the L2 radius, and how often the smoothed classifier abstains.
#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>
#include <bulwark/defenses/randomized_smoothing.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/training.h>

#include "experiment.h"

namespace bulwark::experiments {

void smoothing_stage(Experiment& e) {
  const Config& c = e.config();
  const models::FashionCNNRecipe recipe = fashion_cnn_recipe(c, c.smoothing_epochs);
  models::FashionCNN net(recipe.training.seed);
  const std::string key = models::cache_key(recipe, detail::str("gaussian-sigma", c.sigma));
  auto train = [&] {
    at::Generator noise = make_generator(derive_seed(recipe.training.seed, 500));
    net->train();
    models::train(*net, [&](const at::Tensor& x) {
      return net->forward(defenses::gaussian_augmentation(x, c.sigma, noise));
    }, e.train_set(), recipe.training);
  };
  const bool cached = c.cache ? models::load_or_train(*net, key, train) : (train(), false);
  net->eval();
  std::fprintf(stderr, "  Gaussian-augmented model (sigma %g): %s\n", c.sigma,
               cached ? "loaded from the model cache" : "trained");
  e.timings()["smoothing_from_cache"] = cached;

  ModuleClassifier model(net);
  const auto x = e.eval_set().slice(0, c.smoothing_samples);
  defenses::RandomizedSmoothing rs(c.sigma, /*batch_size=*/1000, derive_seed(static_cast<uint64_t>(c.seed), 501));
  // Certify image by image chunks so the progress bar moves.
  std::vector<at::Tensor> prediction, radius, p_lower;
  const int64_t chunk = 10;
  Progress bar("smoothing", x.size());
  for (int64_t start = 0; start < x.size(); start += chunk) {
    const auto part = x.slice(start, chunk);
    const auto cert = rs.certify(model, part.inputs, c.smoothing_n0, c.smoothing_n, c.smoothing_alpha);
    prediction.push_back(cert.prediction);
    radius.push_back(cert.radius);
    p_lower.push_back(cert.p_lower);
    bar.update(std::min(x.size(), start + chunk));
  }
  bar.finish();
  const defenses::Certificate cert{at::cat(prediction), at::cat(radius), at::cat(p_lower)};
  const at::Tensor curve_radii = at::linspace(0, 1, 51, at::kDouble);
  const at::Tensor curve = defenses::certified_accuracy(cert, x.labels, curve_radii);
  const at::Tensor table_radii = at::tensor(c.smoothing_radius_list, at::kDouble);
  const at::Tensor at_radii = defenses::certified_accuracy(cert, x.labels, table_radii);

  Json& r = e.results()["smoothing"];
  r["sigma"] = c.sigma;
  r["samples"] = x.size();
  r["n0"] = c.smoothing_n0;
  r["n"] = c.smoothing_n;
  r["alpha"] = c.smoothing_alpha;
  r["abstain_rate"] = cert.prediction.eq(-1).to(at::kDouble).mean().item<double>();
  r["smoothed_accuracy"] = cert.prediction.eq(x.labels).to(at::kDouble).mean().item<double>();
  // The largest radius n samples can certify: p_A is at most alpha^(1/n) (all n votes for c_A).
  const double p_max = std::pow(c.smoothing_alpha, 1.0 / static_cast<double>(c.smoothing_n));
  r["max_certifiable_radius"] =
      c.sigma * std::sqrt(2.0) * at::erfinv(at::scalar_tensor(2.0 * p_max - 1.0, at::kDouble)).item<double>();
  r["radii"] = c.smoothing_radius_list;
  r["certified_accuracy"] = tensor_json(at_radii);
  r["curve_radii"] = tensor_json(curve_radii);
  r["curve_certified_accuracy"] = tensor_json(curve);
  Table& table = e.new_table("smoothing", {"radius", "certified_accuracy"});
  for (size_t k = 0; k < c.smoothing_radius_list.size(); ++k) {
    table.rows.push_back({cell(c.smoothing_radius_list[k]), cell(at_radii[static_cast<int64_t>(k)].item<double>())});
  }
}

}  // namespace bulwark::experiments

#include <bulwark/defenses/randomized_smoothing.h>

#include <cmath>

#include <ATen/ATen.h>
#include <boost/math/distributions/normal.hpp>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/metrics/binomial.h>

namespace bulwark::defenses {

RandomizedSmoothing::RandomizedSmoothing(double sigma, int64_t batch_size, uint64_t seed)
    : sigma_(sigma), batch_size_(batch_size), seed_(seed) {
  BULWARK_CHECK(std::isfinite(sigma) && sigma > 0, "RandomizedSmoothing: sigma must be > 0, got ", sigma);
  BULWARK_CHECK(batch_size >= 1, "RandomizedSmoothing: batch_size must be >= 1, got ", batch_size);
}

at::Tensor gaussian_augmentation(const at::Tensor& x, double sigma, at::Generator& generator) {
  BULWARK_CHECK(std::isfinite(sigma) && sigma >= 0, "gaussian_augmentation: sigma must be >= 0, got ", sigma);
  BULWARK_CHECK_TYPE(x.defined() && at::isFloatingType(x.scalar_type()), "gaussian_augmentation: x must be a "
                     "floating-point tensor");
  const at::Tensor e = at::randn(x.sizes(), generator, x.options().device(at::kCPU));
  return x + sigma * e.to(x.device());
}

at::Tensor RandomizedSmoothing::sample_counts(Classifier& model, const at::Tensor& x, int64_t num,
                                              at::Generator& generator) const {
  constexpr const char* where = "RandomizedSmoothing";
  BULWARK_CHECK(num >= 1, where, ": the number of samples must be >= 1, got ", num);
  model.check_input(x, where);  // the clean inputs are checked; their noisy copies are not
  at::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  at::Tensor counts;
  Classifier::TrustedInputs trusted(model);
  for (int64_t i = 0; i < n; ++i) {
    const at::Tensor xi = x.narrow(0, i, 1);
    for (int64_t done = 0; done < num;) {
      const int64_t b = std::min(batch_size_, num - done);
      std::vector<int64_t> shape(xi.sizes().begin(), xi.sizes().end());
      shape[0] = b;
      const at::Tensor noisy = gaussian_augmentation(xi.expand(shape), sigma_, generator);
      const at::Tensor pred = model.predict(noisy);
      if (!counts.defined()) counts = at::zeros({n, model.num_classes()}, at::kLong);
      counts[i] += at::bincount(pred.to(at::kCPU), {}, model.num_classes());
      done += b;
    }
  }
  return counts;
}

at::Tensor RandomizedSmoothing::predict(Classifier& model, const at::Tensor& x, int64_t n, double alpha) const {
  BULWARK_CHECK(alpha > 0 && alpha < 1, "RandomizedSmoothing.predict: alpha must be in (0, 1), got ", alpha);
  at::Generator g = make_generator(seed_);
  const at::Tensor counts = sample_counts(model, x, n, g);
  const auto [top, idx] = counts.topk(2, 1);
  at::Tensor out = at::empty({x.size(0)}, at::kLong);
  for (int64_t i = 0; i < x.size(0); ++i) {
    const int64_t na = top[i][0].item<int64_t>(), nb = top[i][1].item<int64_t>();
    out[i] = metrics::binomial_test_half(na, na + nb) <= alpha ? idx[i][0].item<int64_t>() : -1;
  }
  return out;
}

Certificate RandomizedSmoothing::certify(Classifier& model, const at::Tensor& x, int64_t n0, int64_t n,
                                         double alpha) const {
  BULWARK_CHECK(alpha > 0 && alpha < 1, "RandomizedSmoothing.certify: alpha must be in (0, 1), got ", alpha);
  at::Generator g = make_generator(seed_);
  const at::Tensor guess = sample_counts(model, x, n0, g).argmax(1);      // selection
  const at::Tensor counts = sample_counts(model, x, n, g);                 // estimation, fresh noise
  const int64_t m = x.size(0);
  Certificate c{at::empty({m}, at::kLong), at::zeros({m}, at::kDouble), at::empty({m}, at::kDouble)};
  const boost::math::normal_distribution<double> normal;
  for (int64_t i = 0; i < m; ++i) {
    const int64_t ca = guess[i].item<int64_t>();
    const double p = metrics::clopper_pearson_lower(counts[i][ca].item<int64_t>(), n, alpha);
    c.p_lower[i] = p;
    if (p > 0.5) {
      c.prediction[i] = ca;
      c.radius[i] = sigma_ * boost::math::quantile(normal, p);
    } else {
      c.prediction[i] = -1;
    }
  }
  return c;
}

at::Tensor certified_accuracy(const Certificate& c, const at::Tensor& labels, const at::Tensor& radii) {
  BULWARK_CHECK_SHAPE(labels.dim() == 1 && labels.size(0) == c.prediction.size(0),
                      "certified_accuracy: labels must have shape (N,) = (", c.prediction.size(0), ",)");
  const at::Tensor right = c.prediction.eq(labels.to(at::kCPU, at::kLong));
  const at::Tensor r = radii.to(at::kCPU, at::kDouble).reshape({-1, 1});
  return (right.unsqueeze(0) & c.radius.unsqueeze(0).ge(r)).to(at::kDouble).mean(1);
}

}  // namespace bulwark::defenses

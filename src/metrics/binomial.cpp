#include <bulwark/metrics/binomial.h>

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/binomial.hpp>

#include <bulwark/core/error.h>

namespace bulwark::metrics {

namespace {
void check(int64_t k, int64_t n, double alpha, const char* where) {
  BULWARK_CHECK(n >= 1 && k >= 0 && k <= n, where, ": need 0 <= k <= n and n >= 1, got k = ", k, ", n = ", n);
  BULWARK_CHECK(alpha > 0 && alpha < 1, where, ": alpha must be in (0, 1), got ", alpha);
}
}  // namespace

double clopper_pearson_lower(int64_t k, int64_t n, double alpha) {
  check(k, n, alpha, "clopper_pearson_lower");
  if (k == 0) return 0.0;
  const boost::math::beta_distribution<double> b(static_cast<double>(k), static_cast<double>(n - k + 1));
  return boost::math::quantile(b, alpha);
}

double clopper_pearson_upper(int64_t k, int64_t n, double alpha) {
  check(k, n, alpha, "clopper_pearson_upper");
  if (k == n) return 1.0;
  const boost::math::beta_distribution<double> b(static_cast<double>(k + 1), static_cast<double>(n - k));
  return boost::math::quantile(b, 1 - alpha);
}

double binomial_test_half(int64_t k, int64_t n) {
  check(k, n, 0.5, "binomial_test_half");
  // p = 1/2 is symmetric: outcomes no more likely than k are those at least |k - n/2| from n/2.
  const int64_t lo = std::min(k, n - k);
  const boost::math::binomial_distribution<double> d(static_cast<double>(n), 0.5);
  if (2 * lo == n) return 1.0;
  return std::min(1.0, 2 * boost::math::cdf(d, static_cast<double>(lo)));
}

}  // namespace bulwark::metrics

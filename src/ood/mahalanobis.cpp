#include <bulwark/ood/mahalanobis.h>

#include <cmath>

#include <ATen/ATen.h>
#include <Eigen/Eigenvalues>

#include <bulwark/core/error.h>
#include <bulwark/core/tensor_codec.h>
#include <bulwark/losses/classification.h>

namespace bulwark::ood {

Mahalanobis::Mahalanobis(double rcond, double rcond_shrink) : rcond_(rcond), rcond_shrink_(rcond_shrink) {
  BULWARK_CHECK(rcond > 0 && rcond < 1, "Mahalanobis: rcond must be in (0, 1), got ", rcond);
  BULWARK_CHECK(rcond_shrink > 0 && rcond_shrink < 1, "Mahalanobis: rcond_shrink must be in (0, 1), got ",
                rcond_shrink);
}

void Mahalanobis::fit_impl(const at::Tensor& features, const at::Tensor& labels) {
  constexpr const char* where = "Mahalanobis.fit";
  BULWARK_CHECK_TYPE(labels.defined(), where, ": labels (N,) are required (class means)");
  BULWARK_CHECK_TYPE(!at::isFloatingType(labels.scalar_type()) && labels.scalar_type() != at::kBool, where,
                     ": labels must be integer class labels, got ", labels.scalar_type());
  const int64_t k = labels.numel() ? labels.max().item<int64_t>() + 1 : 0;
  // Every class 0..K-1 needs a sample, so K <= N: checked before the (K, D) means are allocated.
  BULWARK_CHECK(k <= features.size(0), where, ": labels go up to ", k - 1, ", but every class 0..", k - 1,
                " needs a training sample and there are only ", features.size(0), " samples");
  losses::check_labels(labels, features.size(0), std::max<int64_t>(k, 1), where, "labels");
  const at::Tensor f = features.to(at::kCPU, at::kDouble);
  const at::Tensor y = labels.to(at::kCPU, at::kLong);
  const int64_t n = f.size(0), d = f.size(1);
  // Class means by one scatter-add; classes without samples are an error (no mean to use).
  const at::Tensor counts = at::zeros({k}, at::kDouble).index_add_(0, y, at::ones({n}, at::kDouble));
  BULWARK_CHECK(counts.min().item<double>() > 0, where, ": every class 0..", k - 1,
                " needs at least one training sample (labels skip a class)");
  at::Tensor means = at::zeros({k, d}, at::kDouble).index_add_(0, y, f) / counts.unsqueeze(1);
  const at::Tensor centred = f - means.index_select(0, y);
  at::Tensor cov = centred.t().mm(centred) / static_cast<double>(n);
  // Precision by eigendecomposition; shrink a singular covariance towards its mean variance.
  Eigen::Map<const Eigen::MatrixXd> c(cov.data_ptr<double>(), d, d);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c);
  Eigen::VectorXd lambda = eig.eigenvalues();
  regularization_ = 0;
  if (lambda.minCoeff() <= rcond_ * std::max(lambda.maxCoeff(), 0.0)) {
    regularization_ = std::max(rcond_shrink_ * c.trace() / static_cast<double>(d), 1e-300);
    lambda.array() += regularization_;
  }
  BULWARK_CHECK(lambda.maxCoeff() > 0, where, ": the features do not vary within classes (zero covariance)");
  const Eigen::MatrixXd p = eig.eigenvectors() * lambda.cwiseInverse().asDiagonal() * eig.eigenvectors().transpose();
  precision_ = at::empty({d, d}, at::kDouble);
  Eigen::Map<Eigen::MatrixXd>(precision_.data_ptr<double>(), d, d) = p;
  precision_ = 0.5 * (precision_ + precision_.t());  // exactly symmetric
  means_ = means;
}

at::Tensor Mahalanobis::score_impl(const at::Tensor& features) const {
  const at::Tensor f = features.to(at::kCPU, at::kDouble);
  const at::Tensor fp = f.mm(precision_);                                   // (M, D)
  const at::Tensor quad = (fp * f).sum(1, true);                            // f'Pf, (M, 1)
  const at::Tensor mp = means_.mm(precision_);                              // (K, D)
  const at::Tensor mu_quad = (mp * means_).sum(1).unsqueeze(0);             // mu'P mu, (1, K)
  const at::Tensor dist = quad - 2 * f.mm(mp.t()) + mu_quad;                // (M, K)
  return std::get<0>(dist.min(1)).clamp_min(0).to(features.device(), features.scalar_type());
}

at::Tensor Mahalanobis::means() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "Mahalanobis.means: call fit() first");
  return means_;
}

at::Tensor Mahalanobis::precision() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "Mahalanobis.precision: call fit() first");
  return precision_;
}

void Mahalanobis::write(json::Object& o) const {
  o.set("rcond", rcond_)
      .set("rcond_shrink", rcond_shrink_)
      .set("regularization", regularization_)
      .set("means", encode_tensor(means_))
      .set("precision", encode_tensor(precision_));
}

void Mahalanobis::read(const json::Object& o, const std::string& path) {
  rcond_ = o.number("rcond");
  rcond_shrink_ = o.number("rcond_shrink");
  regularization_ = o.number("regularization");
  means_ = decode_tensor(o.string("means"), path).to(at::kDouble);
  precision_ = decode_tensor(o.string("precision"), path).to(at::kDouble);
  BULWARK_CHECK_AS(FormatError, means_.dim() == 2 && precision_.dim() == 2 && precision_.size(0) == means_.size(1) &&
                                    precision_.size(1) == means_.size(1),
                   path, ": means (K, D) and precision (D, D) do not match");
  dim_ = means_.size(1);
}

}  // namespace bulwark::ood

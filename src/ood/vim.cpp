#include <bulwark/ood/vim.h>

#include <cmath>

#include <ATen/ATen.h>
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <bulwark/core/error.h>
#include <bulwark/core/tensor_codec.h>

namespace bulwark::ood {

namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

ViM::ViM(const at::Tensor& weight, const at::Tensor& bias, int64_t principal_dim) : principal_dim_(principal_dim) {
  check_last_layer(weight, bias, "ViM");
  const int64_t d = weight.size(1);
  if (principal_dim_ == 0) principal_dim_ = d >= 2048 ? 1000 : d >= 768 ? 512 : d / 2;
  BULWARK_CHECK(principal_dim_ >= 1 && principal_dim_ < d, "ViM: principal_dim must be in [1, D) = [1, ", d,
                "), got ", principal_dim_);
  weight_ = weight.detach().to(at::kCPU, at::kDouble).contiguous();
  bias_ = bias.detach().to(at::kCPU, at::kDouble).contiguous();
}

void ViM::fit_impl(const at::Tensor& features, const at::Tensor& /*labels*/) {
  constexpr const char* where = "ViM.fit";
  BULWARK_CHECK(weight_.defined(), where, ": construct ViM with the last layer (weight, bias)");
  const at::Tensor f = features.to(at::kCPU, at::kDouble);
  const int64_t n = f.size(0), d = f.size(1);
  // u = -pinv(W) b, by complete orthogonal decomposition (least-norm solution of W u = -b).
  const Eigen::Map<const RowMatrix> w(weight_.data_ptr<double>(), weight_.size(0), d);
  const Eigen::Map<const Eigen::VectorXd> b(bias_.data_ptr<double>(), bias_.size(0));
  const Eigen::VectorXd u = -w.completeOrthogonalDecomposition().pseudoInverse() * b;
  origin_ = at::empty({d}, at::kDouble);
  Eigen::Map<Eigen::VectorXd>(origin_.data_ptr<double>(), d) = u;
  const at::Tensor c = f - origin_;
  const at::Tensor cov = (c.t().mm(c) / static_cast<double>(n)).contiguous();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Eigen::Map<const Eigen::MatrixXd>(cov.data_ptr<double>(), d, d));
  // Eigenvalues ascending: the residual space is the first D - principal_dim eigenvectors.
  const int64_t r = d - principal_dim_;
  residual_ = at::empty({d, r}, at::kDouble);
  Eigen::Map<RowMatrix>(residual_.data_ptr<double>(), d, r) = eig.eigenvectors().leftCols(r);
  const at::Tensor vlogit = c.mm(residual_).norm(2, 1);
  const at::Tensor max_logit = std::get<0>(at::addmm(bias_, f, weight_.t()).max(1));
  const double mean_v = vlogit.mean().item<double>();
  BULWARK_CHECK(mean_v > 0, where, ": the training features have no component in the residual space");
  alpha_ = max_logit.mean().item<double>() / mean_v;
}

at::Tensor ViM::score_impl(const at::Tensor& features) const {
  const at::Tensor f = features.to(at::kCPU, at::kDouble);
  const at::Tensor vlogit = (f - origin_).mm(residual_).norm(2, 1) * alpha_;
  const at::Tensor energy = at::logsumexp(at::addmm(bias_, f, weight_.t()), 1);
  return (vlogit - energy).to(features.device(), features.scalar_type());
}

void ViM::write(json::Object& o) const {
  o.set("principal_dim", static_cast<double>(principal_dim_))
      .set("alpha", alpha_)
      .set("weight", encode_tensor(weight_))
      .set("bias", encode_tensor(bias_))
      .set("origin", encode_tensor(origin_))
      .set("residual", encode_tensor(residual_));
}

void ViM::read(const json::Object& o, const std::string& path) {
  principal_dim_ = o.integer("principal_dim", 0, int64_t{1} << 40);  // and below the feature dimension
  alpha_ = o.number("alpha");
  weight_ = decode_tensor(o.string("weight"), path).to(at::kDouble);
  bias_ = decode_tensor(o.string("bias"), path).to(at::kDouble);
  origin_ = decode_tensor(o.string("origin"), path).to(at::kDouble);
  residual_ = decode_tensor(o.string("residual"), path).to(at::kDouble);
  BULWARK_CHECK_AS(FormatError, weight_.dim() == 2 && bias_.dim() == 1 && bias_.size(0) == weight_.size(0) &&
                                    origin_.dim() == 1 && origin_.size(0) == weight_.size(1) && residual_.dim() == 2 &&
                                    residual_.size(0) == weight_.size(1) &&
                                    residual_.size(1) == weight_.size(1) - principal_dim_,
                   path, ": weight, bias, origin and residual do not fit together");
  dim_ = weight_.size(1);
}

}  // namespace bulwark::ood

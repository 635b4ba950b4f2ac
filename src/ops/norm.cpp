#include <bulwark/ops/norm.h>

#include <algorithm>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/strings.h>

namespace bulwark::ops {

Norm parse_norm(std::string_view name, const char* arg) {
  const std::string s = detail::lowercase(name);
  if (s == "linf" || s == "inf") return Norm::Linf;
  if (s == "l2") return Norm::L2;
  if (s == "l1") return Norm::L1;
  throw InvalidArgument(
      detail::str(arg, " must be one of 'linf', 'l2', 'l1', got '", std::string(name), "'"));
}

std::string to_string(Norm norm) {
  switch (norm) {
    case Norm::Linf: return "linf";
    case Norm::L2: return "l2";
    case Norm::L1: return "l1";
  }
  BULWARK_ASSERT(false);
  return {};
}

at::Tensor per_sample_norm(const at::Tensor& x, Norm norm) {
  BULWARK_CHECK_SHAPE(x.dim() >= 1, "per_sample_norm: x must have shape (N, ...), got a scalar");
  BULWARK_CHECK_TYPE(at::isFloatingType(x.scalar_type()),
                     "per_sample_norm: x must be floating point, got ", x.scalar_type());
  const at::Tensor flat = x.reshape({x.size(0), -1});
  switch (norm) {
    case Norm::Linf: return flat.numel() == 0 ? at::zeros({x.size(0)}, x.options())
                                             : flat.abs().amax(1);
    case Norm::L2: return at::linalg_vector_norm(flat, 2, {1});
    case Norm::L1: return at::linalg_vector_norm(flat, 1, {1});
  }
  BULWARK_ASSERT(false);
  return {};
}

at::Tensor per_sample_view(const at::Tensor& v, const at::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(std::max<int64_t>(like.dim(), 1)), 1);
  shape[0] = -1;
  return v.reshape(shape);
}

}  // namespace bulwark::ops

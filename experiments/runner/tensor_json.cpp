#include "tensor_json.h"

#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::experiments {

Json tensor_json(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kCPU).contiguous().view({-1});
  if (at::isFloatingType(c.scalar_type())) {
    const at::Tensor d = c.to(at::kDouble);
    return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  }
  const at::Tensor l = c.to(at::kLong);
  return std::vector<int64_t>(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
}

double number_at(const Json& j, const std::string& key) {
  const auto it = j.find(key);
  if (!j.is_object() || it == j.end()) {
    throw InvalidArgument(detail::str("results: no number under \"", key, "\""));
  }
  try {
    return json::number(*it, detail::str("results: \"", key, "\""));
  } catch (const FormatError& e) {
    throw InvalidArgument(e.what());
  }
}

}  // namespace bulwark::experiments

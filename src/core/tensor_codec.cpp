#include <bulwark/core/tensor_codec.h>

#include <cstring>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/base64.h>
#include <bulwark/core/error.h>

namespace bulwark {

namespace {
const char* dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    default: return nullptr;
  }
}
}  // namespace

std::string encode_tensor(const at::Tensor& t) {
  const char* name = dtype_name(t.scalar_type());
  BULWARK_CHECK_TYPE(name != nullptr, "encode_tensor: dtype must be float32, float64 or int64, got ",
                     t.scalar_type());
  const at::Tensor c = t.detach().to(at::kCPU).contiguous();
  std::string out = std::string(name) + ";";
  for (int64_t d = 0; d < c.dim(); ++d) out += (d ? "," : "") + std::to_string(c.size(d));
  out += ";";
  out += base64_encode(std::string_view(static_cast<const char*>(c.data_ptr()), c.nbytes()));
  return out;
}

at::Tensor decode_tensor(const std::string& text, const std::string& where) {
  const size_t a = text.find(';'), b = a == std::string::npos ? a : text.find(';', a + 1);
  if (b == std::string::npos) throw FormatError(detail::str(where, ": not an encoded tensor"));
  const std::string dtype = text.substr(0, a);
  at::ScalarType type;
  if (dtype == "float32") type = at::kFloat;
  else if (dtype == "float64") type = at::kDouble;
  else if (dtype == "int64") type = at::kLong;
  else throw FormatError(detail::str(where, ": unknown tensor dtype '", dtype, "'"));
  std::vector<int64_t> shape;
  const std::string dims = text.substr(a + 1, b - a - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    const size_t comma = dims.find(',', pos);
    const std::string d = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos || d.size() > 12) {
      throw FormatError(detail::str(where, ": malformed tensor shape '", dims, "'"));
    }
    shape.push_back(std::stoll(d));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const std::string bytes = base64_decode(std::string_view(text).substr(b + 1));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  if (bytes.size() != t.nbytes()) {
    throw FormatError(detail::str(where, ": tensor data holds ", bytes.size(), " bytes, shape ", t.sizes(),
                                  " needs ", t.nbytes()));
  }
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

}  // namespace bulwark

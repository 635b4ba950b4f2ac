#include <bulwark/core/bounds.h>

#include <cmath>

#include <bulwark/core/error.h>

namespace bulwark {

bool Bounds::is_bounded() const { return std::isfinite(lower) && std::isfinite(upper); }

void Bounds::validate(const char* where) const {
  BULWARK_CHECK(lower < upper, where, ": bounds must satisfy lower < upper, got (", lower, ", ",
                upper, ")");
}

std::string Bounds::repr() const { return detail::str("(", lower, ", ", upper, ")"); }

}  // namespace bulwark

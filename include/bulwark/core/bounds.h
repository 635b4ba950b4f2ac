#pragma once
// The box a classifier's inputs live in, e.g. [0, 1] for images.

#include <limits>
#include <string>

namespace bulwark {

struct Bounds {
  double lower = 0.0;
  double upper = 1.0;

  // (-inf, inf): no box, e.g. for embeddings or standardised tabular features.
  static Bounds unbounded() {
    return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  }
  bool is_bounded() const;
  // Throws InvalidArgument unless lower < upper (NaN is rejected). `where` names the caller.
  void validate(const char* where) const;
  std::string repr() const;
};

}  // namespace bulwark

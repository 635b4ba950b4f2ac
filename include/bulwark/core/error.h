#pragma once
// The exceptions bulwark throws on purpose, and the checks that throw them.
//
// Every message names the function, the argument, what was expected and what came:
//   BULWARK_CHECK(eps >= 0, "PGD: eps must be >= 0, got ", eps);
// Python sees InvalidArgument and ShapeError as ValueError, TypeError as TypeError,
// FileError as OSError, and everything else as bulwark.Error (a RuntimeError).

#include <sstream>
#include <stdexcept>
#include <string>

namespace bulwark {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An argument has a value outside what the function accepts (Python ValueError).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A tensor or array has the wrong shape (Python ValueError).
class ShapeError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// An object is used before fit/load (Python ValueError, like sklearn's NotFittedError).
class NotFittedError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// A file's content is malformed: wrong magic number, truncated, bad field (Python ValueError).
class FormatError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// A tensor holds NaN or +-inf where only finite numbers make sense: inputs, or a model's
// logits (Python bulwark.NonFiniteError, a ValueError). The message names the samples. One rule
// everywhere: a non-finite logit is an error, never an attack success, a robust sample, a
// calibrated probability, a prediction set or an OOD score.
class NonFiniteError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// An argument has the wrong type or a tensor the wrong dtype (Python TypeError).
class TypeError : public Error {
 public:
  using Error::Error;
};

// A file is missing or cannot be read or written (Python OSError).
class FileError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace bulwark

#define BULWARK_CHECK_AS(ErrorType, cond, ...)                      \
  do {                                                              \
    if (__builtin_expect(!(cond), 0)) {                             \
      throw ErrorType(::bulwark::detail::str(__VA_ARGS__));         \
    }                                                               \
  } while (0)

// A user error: an argument's value (ValueError in Python).
#define BULWARK_CHECK(cond, ...) BULWARK_CHECK_AS(::bulwark::InvalidArgument, cond, __VA_ARGS__)
// A user error: a tensor's shape (ValueError in Python).
#define BULWARK_CHECK_SHAPE(cond, ...) BULWARK_CHECK_AS(::bulwark::ShapeError, cond, __VA_ARGS__)
// A user error: an argument's type or a tensor's dtype (TypeError in Python).
#define BULWARK_CHECK_TYPE(cond, ...) BULWARK_CHECK_AS(::bulwark::TypeError, cond, __VA_ARGS__)
// An internal invariant; always on, a failure is a bug in bulwark.
#define BULWARK_ASSERT(cond)                                                                      \
  BULWARK_CHECK_AS(::bulwark::Error, cond, "bulwark internal error: ", #cond, " failed at ", \
                   __FILE__, ":", __LINE__, "; please report it")

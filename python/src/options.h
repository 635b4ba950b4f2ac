#pragma once
// Options structs bound as typed Python classes. Each field is a property whose setter accepts
// only its C++ type — a bool for a bool (not 1), an integer for an integer (not True or 2.5), a
// real number for a double, None for an unset optional, a name for an enum — and otherwise
// raises bw.ArgumentTypeError naming "<owner>: <field>". Values are checked once, by the C++
// object that takes the options; a misspelled field is an AttributeError.
//
//   py::class_<attacks::PGDOptions> c(a, "PGDOptions");
//   c.def(py::init<>());
//   Fields<attacks::PGDOptions> f(c, "PGD");
//   f.add("eps", &attacks::PGDOptions::eps).add("steps", &attacks::PGDOptions::steps);
//   f.add_enum("norm", &attacks::PGDOptions::norm, ops::parse_norm, ops::to_string);

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <bulwark/core/error.h>

namespace bulwark::python {

namespace py = pybind11;

namespace options_detail {

inline std::string type_name(const py::handle& v) {
  return py::str(py::type::handle_of(v).attr("__name__")).cast<std::string>();
}

inline bool is_bool(const py::handle& v) {
  return py::isinstance<py::bool_>(v) || type_name(v) == "bool_";  // numpy.bool_
}

template <typename T>
struct Strict;

template <>
struct Strict<bool> {
  static constexpr const char* what = "a bool";
  static bool ok(const py::handle& v) { return is_bool(v); }
  static bool cast(const py::handle& v, const std::string&) { return py::bool_(py::reinterpret_borrow<py::object>(v)); }
};

template <typename Int>
struct StrictInt {
  static constexpr const char* what = "an integer";
  static bool ok(const py::handle& v) { return !is_bool(v) && PyIndex_Check(v.ptr()); }
  static Int cast(const py::handle& v, const std::string& where) {
    py::int_ i(py::reinterpret_borrow<py::object>(v));
    if (std::is_unsigned_v<Int> && i < py::int_(0)) {
      throw InvalidArgument(where + " must be >= 0, got " + py::str(i).cast<std::string>());
    }
    try {
      return i.cast<Int>();
    } catch (const py::cast_error&) {
      throw InvalidArgument(where + " must fit in " + (std::is_unsigned_v<Int> ? "64 unsigned" : "64 signed") +
                            " bits, got " + py::str(i).cast<std::string>());
    }
  }
};
template <>
struct Strict<int64_t> : StrictInt<int64_t> {};
template <>
struct Strict<uint64_t> : StrictInt<uint64_t> {};

template <>
struct Strict<double> {
  static constexpr const char* what = "a real number";
  static bool ok(const py::handle& v) {
    return !is_bool(v) && (PyFloat_Check(v.ptr()) || PyIndex_Check(v.ptr()) || py::hasattr(v, "__float__")) &&
           !py::isinstance<py::str>(v) && !py::isinstance<py::bytes>(v);
  }
  static double cast(const py::handle& v, const std::string&) { return py::float_(py::reinterpret_borrow<py::object>(v)); }
};

template <>
struct Strict<std::string> {
  static constexpr const char* what = "a str";
  static bool ok(const py::handle& v) { return py::isinstance<py::str>(v); }
  static std::string cast(const py::handle& v, const std::string&) { return v.cast<std::string>(); }
};

template <>
struct Strict<std::vector<std::string>> {
  static constexpr const char* what = "a list of str";
  static bool ok(const py::handle& v) {
    if (py::isinstance<py::str>(v) || !(py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v))) return false;
    for (const py::handle& e : v) {
      if (!py::isinstance<py::str>(e)) return false;
    }
    return true;
  }
  static std::vector<std::string> cast(const py::handle& v, const std::string&) {
    return v.cast<std::vector<std::string>>();
  }
};

template <typename T>
T strict_cast(const py::handle& v, const std::string& where) {
  if (!Strict<T>::ok(v)) {
    throw TypeError(where + " must be " + Strict<T>::what + ", got " + type_name(v));
  }
  return Strict<T>::cast(v, where);
}

template <typename T>
struct Field {
  static T set(const py::handle& v, const std::string& where) { return strict_cast<T>(v, where); }
  static py::object get(const T& v) { return py::cast(v); }
};
template <typename T>
struct Field<std::optional<T>> {
  static std::optional<T> set(const py::handle& v, const std::string& where) {
    if (v.is_none()) return std::nullopt;
    if (!Strict<T>::ok(v)) {
      throw TypeError(where + " must be " + Strict<T>::what + " or None, got " + type_name(v));
    }
    return Strict<T>::cast(v, where);
  }
  static py::object get(const std::optional<T>& v) { return v ? py::cast(*v) : py::none(); }
};

}  // namespace options_detail

template <typename Options>
class Fields {
 public:
  // `owner` names the object the options are for in messages ("PGD: steps must be ...").
  Fields(py::class_<Options>& cls, std::string owner)
      : cls_(cls), owner_(std::move(owner)), names_(std::make_shared<std::vector<std::string>>()) {
    cls_.def("__repr__", [names = names_, owner = owner_](const py::object& o) {
      std::string s = owner + "Options(";
      for (size_t i = 0; i < names->size(); ++i) {
        s += (i ? ", " : "") + (*names)[i] + "=" + py::repr(o.attr((*names)[i].c_str())).cast<std::string>();
      }
      return s + ")";
    });
  }

  template <typename T, typename Owner>  // Owner: Options or one of its bases
  Fields& add(const char* name, T Owner::*member) {
    static_assert(std::is_base_of_v<Owner, Options>, "the field must be a member of Options");
    const std::string where = owner_ + ": " + name;
    cls_.def_property(
        name, [member](const Options& o) { return options_detail::Field<T>::get(o.*member); },
        [member, where](Options& o, const py::object& v) { o.*member = options_detail::Field<T>::set(v, where); });
    return named(name);
  }

  // A field inside a nested struct (or under another name): `at(options)` returns a reference
  // to it, e.g. [](auto& o) -> double& { return o.score.lam; }.
  template <typename At>
  Fields& add_at(const char* name, At at) {
    using T = std::decay_t<decltype(at(std::declval<Options&>()))>;
    const std::string where = owner_ + ": " + name;
    cls_.def_property(
        name, [at](Options& o) { return options_detail::Field<T>::get(at(o)); },
        [at, where](Options& o, const py::object& v) { at(o) = options_detail::Field<T>::set(v, where); });
    return named(name);
  }

  // An optional field held in C++ as a sentinel value (e.g. -1 for "no limit"): None in Python.
  template <typename At, typename T>
  Fields& add_sentinel(const char* name, At at, T sentinel) {
    const std::string where = owner_ + ": " + name;
    cls_.def_property(
        name, [at, sentinel](Options& o) { return at(o) == sentinel ? py::none() : py::cast(at(o)); },
        [at, sentinel, where](Options& o, const py::object& v) {
          const auto value = options_detail::Field<std::optional<T>>::set(v, where);
          at(o) = value ? *value : sentinel;
        });
    return named(name);
  }

  // An enum field set by name: parse(name, "<owner>: <field>") throws InvalidArgument for an
  // unknown one; to_string gives the name back.
  template <typename E, typename Owner, typename Parse, typename ToString>
  Fields& add_enum(const char* name, E Owner::*member, Parse parse, ToString to_string) {
    return add_enum_at(name, [member](Options& o) -> E& { return o.*member; }, parse, to_string);
  }
  template <typename At, typename Parse, typename ToString>
  Fields& add_enum_at(const char* name, At at, Parse parse, ToString to_string) {
    const std::string where = owner_ + ": " + name;
    cls_.def_property(
        name, [at, to_string](Options& o) { return to_string(at(o)); },
        [at, where, parse](Options& o, const py::object& v) {
          at(o) = parse(options_detail::strict_cast<std::string>(v, where), where.c_str());
        });
    return named(name);
  }

 private:
  // The field names in order, as the class's `fields` tuple (the Python wrappers and the
  // defaults-parity test read it).
  Fields& named(const char* name) {
    names_->push_back(name);
    cls_.attr("fields") = py::tuple(py::cast(*names_));
    return *this;
  }

  py::class_<Options>& cls_;
  std::string owner_;
  std::shared_ptr<std::vector<std::string>> names_;
};

}  // namespace bulwark::python

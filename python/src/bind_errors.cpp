// C++ exceptions -> Python: bulwark.Error and subclasses that are also the builtin Python
// exception users catch (ValueError, TypeError, OSError).
#include <torch/extension.h>

#include <bulwark/core/error.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
PyObject* new_exception(py::module_& m, const char* name, std::initializer_list<PyObject*> bases,
                        const char* doc) {
  py::tuple b(bases.size());
  size_t i = 0;
  for (PyObject* base : bases) b[i++] = py::reinterpret_borrow<py::object>(base);
  const std::string qualified = std::string("bulwark.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, b.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // the module keeps the reference
  return type;
}
}  // namespace

void bind_errors(py::module_& m) {
  static PyObject* error = new_exception(m, "Error", {PyExc_Exception},
                                         "Base class of the errors bulwark raises on purpose.");
  static PyObject* internal = new_exception(m, "InternalError", {error, PyExc_RuntimeError},
                                            "A failed internal invariant: a bug in bulwark.");
  static PyObject* invalid = new_exception(m, "InvalidArgumentError", {error, PyExc_ValueError},
                                           "An argument's value is not accepted.");
  static PyObject* shape = new_exception(m, "ShapeError", {invalid},
                                         "A tensor or array has the wrong shape.");
  static PyObject* not_fitted = new_exception(m, "NotFittedError", {invalid},
                                              "An object was used before fit() or load().");
  static PyObject* non_finite = new_exception(m, "NonFiniteError", {invalid},
                                              "A tensor (inputs, or a model's logits) holds NaN or +-inf; "
                                              "the message names the samples.");
  static PyObject* format = new_exception(m, "FormatError", {invalid},
                                          "A file's content is malformed.");
  static PyObject* type = new_exception(m, "ArgumentTypeError", {error, PyExc_TypeError},
                                        "An argument has the wrong type or dtype.");
  static PyObject* file = new_exception(m, "FileError", {error, PyExc_OSError},
                                        "A file is missing or unreadable.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      PyErr_SetString(shape, e.what());
    } catch (const NotFittedError& e) {
      PyErr_SetString(not_fitted, e.what());
    } catch (const NonFiniteError& e) {
      PyErr_SetString(non_finite, e.what());
    } catch (const FormatError& e) {
      PyErr_SetString(format, e.what());
    } catch (const InvalidArgument& e) {
      PyErr_SetString(invalid, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(type, e.what());
    } catch (const FileError& e) {
      PyErr_SetString(file, e.what());
    } catch (const Error& e) {
      PyErr_SetString(internal, e.what());
    } catch (const c10::Error& e) {
      // An error inside torch (e.g. the user's model rejected the input): no C++ backtrace.
      PyErr_SetString(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });
}

}  // namespace bulwark::python

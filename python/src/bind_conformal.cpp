#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/conformal/class_conditional.h>
#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/raps_tuning.h>
#include <bulwark/conformal/risk_control.h>
#include <bulwark/conformal/scores.h>
#include <bulwark/conformal/split_conformal.h>

#include "bindings.h"
#include "options.h"

namespace bulwark::python {

namespace {
// ConformalOptions::logits by the name Python uses: input="probs" | "logits".
bool parse_input(const std::string& name, const char* where) {
  if (name == "probs") return false;
  if (name == "logits") return true;
  throw InvalidArgument(std::string(where) + " must be 'probs' or 'logits', got '" + name + "'");
}
}  // namespace

void bind_conformal(py::module_& m) {
  py::module_ c = m.def_submodule("conformal", "Conformal prediction sets.");
  using namespace conformal;
  using release = py::call_guard<py::gil_scoped_release>;

  // The predictors' options: a typed class (options.h); C++ checks the values.
  py::class_<ConformalOptions> co(c, "ConformalOptions");
  co.def(py::init<>());
  Fields<ConformalOptions>(co, "SplitConformal")
      .add_enum_at("score", [](ConformalOptions& o) -> ScoreKind& { return o.score.kind; }, parse_score,
                   [](ScoreKind k) { return to_string(k); })
      .add("alpha", &ConformalOptions::alpha)
      .add_at("randomized", [](ConformalOptions& o) -> bool& { return o.score.randomized; })
      .add_at("lam", [](ConformalOptions& o) -> std::optional<double>& { return o.score.lam; })
      .add_at("k_reg", [](ConformalOptions& o) -> int64_t& { return o.score.k_reg; })
      .add_enum_at("input", [](ConformalOptions& o) -> bool& { return o.logits; }, parse_input,
                   [](bool logits) { return std::string(logits ? "logits" : "probs"); })
      .add("seed", &ConformalOptions::seed);

  py::class_<SplitConformal, std::shared_ptr<SplitConformal>>(c, "SplitConformal")
      .def(py::init<ConformalOptions>(), py::arg("options"))
      .def("fit", [](SplitConformal& s, const at::Tensor& x, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             s.fit(x, y);
           }, py::arg("scores"), py::arg("labels"))
      .def("predict", &SplitConformal::predict, py::arg("scores"), release())
      .def_property_readonly("fitted", &SplitConformal::fitted)
      .def_property_readonly("threshold", &SplitConformal::threshold)
      .def_property_readonly("n_calibration", &SplitConformal::n_calibration)
      .def("save", &SplitConformal::save, py::arg("path"), release())
      .def_static("load", &SplitConformal::load, py::arg("path"))
      .def_property_readonly("options", &SplitConformal::options)
      .def("__repr__", &SplitConformal::repr);

  py::class_<ClassConditionalConformal, SplitConformal, std::shared_ptr<ClassConditionalConformal>>(
      c, "ClassConditionalConformal")
      .def(py::init<ConformalOptions>(), py::arg("options"))
      .def_property_readonly("thresholds", &ClassConditionalConformal::thresholds)
      .def_property_readonly("small_classes", &ClassConditionalConformal::small_classes);

  c.def("coverage", &coverage, py::arg("sets"), py::arg("labels"));
  c.def("set_sizes", &set_sizes, py::arg("sets"));
  c.def("size_stratified_coverage_violation", &size_stratified_coverage_violation,
        py::arg("sets"), py::arg("labels"), py::arg("alpha"), py::arg("edges"));
  c.def("class_coverage", &class_coverage, py::arg("sets"), py::arg("labels"), py::arg("k"));
  py::class_<RiskControl>(c, "RiskControl")
      .def_readonly("lambda_", &RiskControl::lambda)
      .def_readonly("index", &RiskControl::index)
      .def_readonly("bound_value", &RiskControl::bound_value);
  c.def("check_risk_control_options", &check_risk_control_options, py::arg("alpha"), py::arg("bound"),
        py::arg("where"));
  c.def("risk_control", &risk_control, py::arg("losses"), py::arg("lambdas"), py::arg("alpha"), py::arg("bound"));
  c.def("fnr_losses", &fnr_losses, py::arg("scores"), py::arg("targets"), py::arg("lambdas"));
  c.def("quantile_rank", &conformal_rank, py::arg("n"), py::arg("alpha"));
  py::class_<RAPSParameters>(c, "RAPSParameters")
      .def_readonly("k_reg", &RAPSParameters::k_reg)
      .def_readonly("lam", &RAPSParameters::lam)
      .def_readonly("mean_sizes", &RAPSParameters::mean_sizes);
  c.def("tune_raps", &tune_raps, py::arg("probs"), py::arg("labels"), py::arg("alpha"), py::arg("randomized"),
        py::arg("lams"), py::arg("seed"), release());
}

}  // namespace bulwark::python

#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/conformal/class_conditional.h>
#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/raps_tuning.h>
#include <bulwark/conformal/risk_control.h>
#include <bulwark/conformal/scores.h>
#include <bulwark/conformal/split_conformal.h>

#include "bindings.h"

namespace bulwark::python {

void bind_conformal(py::module_& m) {
  py::module_ c = m.def_submodule("conformal", "Conformal prediction sets.");
  using namespace conformal;
  using release = py::call_guard<py::gil_scoped_release>;

  auto options = [](const std::string& score, double alpha, bool randomized, double lam,
                    int64_t k_reg, bool logits, std::optional<uint64_t> seed, const char* who) {
    ConformalOptions o;
    o.score.kind = parse_score(score, (std::string(who) + ": score").c_str());
    o.score.randomized = randomized;
    o.score.lam = lam;
    o.score.k_reg = k_reg;
    o.alpha = alpha;
    o.logits = logits;
    o.seed = seed;
    return o;
  };

  py::class_<SplitConformal, std::shared_ptr<SplitConformal>>(c, "SplitConformal")
      .def(py::init([options](const std::string& score, double alpha, bool randomized, double lam,
                              int64_t k_reg, bool logits, std::optional<uint64_t> seed) {
             return std::make_shared<SplitConformal>(
                 options(score, alpha, randomized, lam, k_reg, logits, seed, "SplitConformal"));
           }),
           py::arg("score"), py::arg("alpha"), py::arg("randomized"), py::arg("lam"),
           py::arg("k_reg"), py::arg("logits"), py::arg("seed"))
      .def("fit", [](SplitConformal& s, const at::Tensor& x, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             s.fit(x, y);
           }, py::arg("scores"), py::arg("labels"))
      .def("predict", &SplitConformal::predict, py::arg("scores"), release())
      .def_property_readonly("fitted", &SplitConformal::fitted)
      .def_property_readonly("threshold", &SplitConformal::threshold)
      .def_property_readonly("n_calibration", &SplitConformal::n_calibration)
      .def_property_readonly("seed", [](const SplitConformal& s) { return *s.options().seed; })
      .def("save", &SplitConformal::save, py::arg("path"), release())
      .def_static("load", &SplitConformal::load, py::arg("path"))
      .def_property_readonly("options", [](const SplitConformal& s) {
        const auto& o = s.options();
        py::dict d;
        d["score"] = to_string(o.score.kind);
        d["alpha"] = o.alpha;
        d["randomized"] = o.score.randomized;
        d["lam"] = o.score.lam;
        d["k_reg"] = o.score.k_reg;
        d["input"] = o.logits ? "logits" : "probs";
        d["seed"] = *o.seed;
        return d;
      })
      .def("__repr__", &SplitConformal::repr);

  py::class_<ClassConditionalConformal, SplitConformal, std::shared_ptr<ClassConditionalConformal>>(
      c, "ClassConditionalConformal")
      .def(py::init([options](const std::string& score, double alpha, bool randomized, double lam,
                              int64_t k_reg, bool logits, std::optional<uint64_t> seed) {
             return std::make_shared<ClassConditionalConformal>(options(
                 score, alpha, randomized, lam, k_reg, logits, seed, "ClassConditionalConformal"));
           }),
           py::arg("score"), py::arg("alpha"), py::arg("randomized"), py::arg("lam"),
           py::arg("k_reg"), py::arg("logits"), py::arg("seed"))
      .def_property_readonly("thresholds", &ClassConditionalConformal::thresholds)
      .def_property_readonly("small_classes", &ClassConditionalConformal::small_classes);

  c.def("coverage", &coverage, py::arg("sets"), py::arg("labels"));
  c.def("set_sizes", &set_sizes, py::arg("sets"));
  c.def("size_stratified_coverage_violation", &size_stratified_coverage_violation,
        py::arg("sets"), py::arg("labels"), py::arg("alpha"), py::arg("edges"));
  c.def("class_coverage", &class_coverage, py::arg("sets"), py::arg("labels"), py::arg("k"));
  c.def(
      "risk_control",
      [](const at::Tensor& losses, const at::Tensor& lambdas, double alpha, double bound) {
        const RiskControl r = risk_control(losses, lambdas, alpha, bound);
        return py::make_tuple(r.lambda, r.index, r.bound_value);
      },
      py::arg("losses"), py::arg("lambdas"), py::arg("alpha"), py::arg("bound"));
  c.def("fnr_losses", &fnr_losses, py::arg("scores"), py::arg("targets"), py::arg("lambdas"));
  c.def("quantile_rank", &conformal_rank, py::arg("n"), py::arg("alpha"));
  c.def(
      "tune_raps",
      [](const at::Tensor& probs, const at::Tensor& labels, double alpha, bool randomized,
         const std::vector<double>& lams, std::optional<uint64_t> seed) {
        RAPSParameters r;
        {
          py::gil_scoped_release nogil;
          r = tune_raps(probs, labels, alpha, randomized, lams, seed);
        }
        return py::make_tuple(r.k_reg, r.lam, r.mean_sizes);
      },
      py::arg("probs"), py::arg("labels"), py::arg("alpha"), py::arg("randomized"),
      py::arg("lams"), py::arg("seed"));
}

}  // namespace bulwark::python

#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/calibration/binary_calibrators.h>
#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/calibrator.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/metrics/calibration_metrics.h>

#include "bindings.h"

namespace bulwark::python {

void bind_calibration(py::module_& m) {
  py::module_ c = m.def_submodule("calibration", "Calibrators.");
  using release = py::call_guard<py::gil_scoped_release>;
  using calibration::Calibrator;
  // Every calibrator: fit (GIL released), predict_proba, save; load_calibrator returns the
  // most-derived type the file holds.
  py::class_<Calibrator, std::shared_ptr<Calibrator>>(c, "Calibrator")
      .def("fit", [](Calibrator& cal, const at::Tensor& s, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             cal.fit(s, y);
           }, py::arg("scores"), py::arg("labels"))
      .def("predict_proba", &Calibrator::predict_proba, py::arg("scores"), release())
      .def_property_readonly("fitted", &Calibrator::fitted)
      .def_property_readonly("kind", &Calibrator::kind)
      .def_property_readonly("num_classes", &Calibrator::num_classes)
      .def("save", &Calibrator::save, py::arg("path"));
  c.def("load_calibrator", [](const std::string& path) {
    return std::shared_ptr<Calibrator>(calibration::load_calibrator(path));
  }, py::arg("path"));

  using calibration::TemperatureScaling;
  py::class_<TemperatureScaling, Calibrator, std::shared_ptr<TemperatureScaling>>(c, "TemperatureScaling")
      .def(py::init<>())  // C++'s defaults (tests/python/core/test_options.py compares them)
      .def(py::init<double, int64_t>(), py::arg("tol"), py::arg("max_iter"))
      .def("transform", &TemperatureScaling::transform, py::arg("logits"), release())
      .def_property_readonly("temperature", &TemperatureScaling::temperature)
      .def_property_readonly("iterations", &TemperatureScaling::iterations)
      .def_property_readonly("nll", &TemperatureScaling::nll)
      .def_property_readonly("tol", &TemperatureScaling::tol)
      .def_property_readonly("max_iter", &TemperatureScaling::max_iter)
      .def("__repr__", &TemperatureScaling::repr);
  py::class_<calibration::NLLDerivatives>(c, "NLLDerivatives")
      .def_readonly("value", &calibration::NLLDerivatives::value)
      .def_readonly("first", &calibration::NLLDerivatives::first)
      .def_readonly("second", &calibration::NLLDerivatives::second);
  c.def("nll_derivatives", &calibration::nll_derivatives, py::arg("logits"), py::arg("labels"), py::arg("beta"));

  using calibration::AffineCalibrator;
  using calibration::AffineFitOptions;
  auto fit_options = [](double gtol, int64_t max_iter) {
    AffineFitOptions o;
    o.gtol = gtol;
    o.max_iter = max_iter;
    return o;
  };
  py::class_<AffineCalibrator, Calibrator, std::shared_ptr<AffineCalibrator>>(c, "AffineCalibrator")
      .def("transform", &AffineCalibrator::transform, py::arg("scores"), release())
      .def_property_readonly("weight", &AffineCalibrator::weight)
      .def_property_readonly("bias", &AffineCalibrator::bias)
      .def_property_readonly("iterations", &AffineCalibrator::iterations)
      .def_property_readonly("objective", &AffineCalibrator::objective)
      .def_property_readonly("grad_max", &AffineCalibrator::grad_max)
      .def_property_readonly("logits", &AffineCalibrator::logits)
      .def_property_readonly("gtol", [](const AffineCalibrator& a) { return a.fit_options().gtol; })
      .def_property_readonly("max_iter", [](const AffineCalibrator& a) { return a.fit_options().max_iter; });
  using calibration::ScalingToIdentity;
  py::class_<ScalingToIdentity, AffineCalibrator, std::shared_ptr<ScalingToIdentity>>(c, "ScalingToIdentity")
      .def_property_readonly("reg", &ScalingToIdentity::reg);
  py::class_<calibration::VectorScaling, ScalingToIdentity, std::shared_ptr<calibration::VectorScaling>>(c, "VectorScaling")
      .def(py::init<>())
      .def(py::init([fit_options](double reg, double gtol, int64_t max_iter) {
        return std::make_shared<calibration::VectorScaling>(reg, fit_options(gtol, max_iter));
      }), py::arg("reg"), py::arg("gtol"), py::arg("max_iter"));
  py::class_<calibration::MatrixScaling, ScalingToIdentity, std::shared_ptr<calibration::MatrixScaling>>(c, "MatrixScaling")
      .def(py::init<>())
      .def(py::init([fit_options](double reg, double gtol, int64_t max_iter) {
        return std::make_shared<calibration::MatrixScaling>(reg, fit_options(gtol, max_iter));
      }), py::arg("reg"), py::arg("gtol"), py::arg("max_iter"));
  py::class_<calibration::DirichletCalibration, AffineCalibrator,
             std::shared_ptr<calibration::DirichletCalibration>>(c, "DirichletCalibration")
      .def(py::init<>())
      .def(py::init([fit_options](double lambda, double mu, bool logits, double gtol, int64_t max_iter) {
        return std::make_shared<calibration::DirichletCalibration>(lambda, mu, logits, fit_options(gtol, max_iter));
      }), py::arg("reg_lambda"), py::arg("reg_mu"), py::arg("logits"), py::arg("gtol"), py::arg("max_iter"))
      .def_property_readonly("reg_lambda", &calibration::DirichletCalibration::reg_lambda)
      .def_property_readonly("reg_mu", &calibration::DirichletCalibration::reg_mu);

  using calibration::HistogramBinning;
  using calibration::IsotonicCalibration;
  py::class_<HistogramBinning, Calibrator, std::shared_ptr<HistogramBinning>>(c, "HistogramBinning")
      .def(py::init<>())
      .def(py::init<int64_t, bool, bool>(), py::arg("bins"), py::arg("classwise"), py::arg("logits"))
      .def_property_readonly("bin_values", &HistogramBinning::bin_values)
      .def_property_readonly("bins", &HistogramBinning::bins)
      .def_property_readonly("classwise", &HistogramBinning::classwise)
      .def_property_readonly("logits", &HistogramBinning::logits);
  py::class_<IsotonicCalibration, Calibrator, std::shared_ptr<IsotonicCalibration>>(c, "IsotonicCalibration")
      .def(py::init<>())
      .def(py::init<bool>(), py::arg("logits"))
      .def_property_readonly("logits", &IsotonicCalibration::logits);

  using calibration::BetaCalibration;
  using calibration::PlattScaling;
  py::class_<PlattScaling, Calibrator, std::shared_ptr<PlattScaling>>(c, "PlattScaling")
      .def(py::init<>())
      .def(py::init<bool>(), py::arg("smooth_targets"))
      .def("transform", &PlattScaling::transform, py::arg("scores"), release())
      .def_property_readonly("a", &PlattScaling::a)
      .def_property_readonly("c", &PlattScaling::c)
      .def_property_readonly("smooth_targets", &PlattScaling::smooth_targets);
  py::class_<BetaCalibration, Calibrator, std::shared_ptr<BetaCalibration>>(c, "BetaCalibration")
      .def(py::init<>())
      .def("transform", &BetaCalibration::transform, py::arg("scores"), release())
      .def_property_readonly("parameters", &BetaCalibration::parameters);

  py::module_ mt = m.def_submodule("metrics", "Calibration metrics.");
  auto binning = [](int64_t bins, bool equal_mass, double p) {
    metrics::Binning b;
    b.bins = bins;
    b.equal_mass = equal_mass;
    b.p = p;
    return b;
  };
  mt.def("ece", [binning](const at::Tensor& s, const at::Tensor& y, bool logits, int64_t bins,
                          bool equal_mass, double p) {
    return metrics::ece(s, y, logits, binning(bins, equal_mass, p));
  }, py::arg("scores"), py::arg("labels"), py::arg("logits"), py::arg("bins"), py::arg("equal_mass"), py::arg("p"));
  mt.def("mce", [binning](const at::Tensor& s, const at::Tensor& y, bool logits, int64_t bins,
                          bool equal_mass) {
    return metrics::mce(s, y, logits, binning(bins, equal_mass, 1));
  }, py::arg("scores"), py::arg("labels"), py::arg("logits"), py::arg("bins"), py::arg("equal_mass"));
  mt.def("classwise_ece", &metrics::classwise_ece, py::arg("scores"), py::arg("labels"),
         py::arg("logits"), py::arg("bins"));
  mt.def("nll", &metrics::nll, py::arg("scores"), py::arg("labels"), py::arg("logits"));
  mt.def("brier", &metrics::brier, py::arg("scores"), py::arg("labels"), py::arg("logits"));
  py::class_<metrics::ReliabilityCurve>(mt, "ReliabilityCurve")
      .def_readonly("confidence", &metrics::ReliabilityCurve::confidence)
      .def_readonly("accuracy", &metrics::ReliabilityCurve::accuracy)
      .def_readonly("count", &metrics::ReliabilityCurve::count)
      .def_readonly("edges", &metrics::ReliabilityCurve::edges);
  mt.def("reliability_curve", [binning](const at::Tensor& s, const at::Tensor& y, bool logits,
                                        int64_t bins, bool equal_mass) {
    const auto [conf, correct] = metrics::top_label(s, y, logits, "reliability_curve");
    return metrics::reliability_curve(conf, correct, binning(bins, equal_mass, 1));
  }, py::arg("scores"), py::arg("labels"), py::arg("logits"), py::arg("bins"), py::arg("equal_mass"));
}

}  // namespace bulwark::python

#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/metrics/calibration_metrics.h>

#include "bindings.h"

namespace bulwark::python {

void bind_calibration(py::module_& m) {
  py::module_ c = m.def_submodule("calibration", "Calibrators.");
  using calibration::TemperatureScaling;
  using release = py::call_guard<py::gil_scoped_release>;
  py::class_<TemperatureScaling, std::shared_ptr<TemperatureScaling>>(c, "TemperatureScaling")
      .def(py::init<double, int64_t>(), py::arg("tol"), py::arg("max_iter"))
      .def("fit", [](TemperatureScaling& t, const at::Tensor& z, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             t.fit(z, y);
           }, py::arg("logits"), py::arg("labels"))
      .def("transform", &TemperatureScaling::transform, py::arg("logits"), release())
      .def("predict_proba", &TemperatureScaling::predict_proba, py::arg("logits"), release())
      .def_property_readonly("fitted", &TemperatureScaling::fitted)
      .def_property_readonly("temperature", &TemperatureScaling::temperature)
      .def_property_readonly("iterations", &TemperatureScaling::iterations)
      .def_property_readonly("nll", &TemperatureScaling::nll)
      .def("save", &TemperatureScaling::save, py::arg("path"))
      .def_static("load", [](const std::string& path) {
        return std::make_shared<TemperatureScaling>(TemperatureScaling::load(path));
      }, py::arg("path"))
      .def("__repr__", &TemperatureScaling::repr);
  c.def("nll_derivatives", [](const at::Tensor& z, const at::Tensor& y, double beta) {
    const auto d = calibration::nll_derivatives(z, y, beta);
    return py::make_tuple(d.value, d.first, d.second);
  }, py::arg("logits"), py::arg("labels"), py::arg("beta"));

  using calibration::HistogramBinning;
  using calibration::IsotonicCalibration;
  py::class_<HistogramBinning, std::shared_ptr<HistogramBinning>>(c, "HistogramBinning")
      .def(py::init<int64_t, bool, bool>(), py::arg("bins"), py::arg("classwise"), py::arg("logits"))
      .def("fit", [](HistogramBinning& h, const at::Tensor& s, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             h.fit(s, y);
           }, py::arg("scores"), py::arg("labels"))
      .def("predict_proba", &HistogramBinning::predict_proba, py::arg("scores"), release())
      .def_property_readonly("bin_values", &HistogramBinning::bin_values);
  py::class_<IsotonicCalibration, std::shared_ptr<IsotonicCalibration>>(c, "IsotonicCalibration")
      .def(py::init<bool>(), py::arg("logits"))
      .def("fit", [](IsotonicCalibration& h, const at::Tensor& s, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             h.fit(s, y);
           }, py::arg("scores"), py::arg("labels"))
      .def("predict_proba", &IsotonicCalibration::predict_proba, py::arg("scores"), release());

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
  mt.def("reliability_curve", [binning](const at::Tensor& s, const at::Tensor& y, bool logits,
                                        int64_t bins, bool equal_mass) {
    const auto [conf, correct] = metrics::top_label(s, y, logits, "reliability_curve");
    const auto c = metrics::reliability_curve(conf, correct, binning(bins, equal_mass, 1));
    return py::make_tuple(c.confidence, c.accuracy, c.count, c.edges);
  }, py::arg("scores"), py::arg("labels"), py::arg("logits"), py::arg("bins"), py::arg("equal_mass"));
}

}  // namespace bulwark::python

#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/metrics/ood_metrics.h>
#include <bulwark/ood/detector.h>
#include <bulwark/ood/gradnorm.h>
#include <bulwark/ood/knn.h>
#include <bulwark/ood/logit_detectors.h>
#include <bulwark/ood/mahalanobis.h>
#include <bulwark/ood/odin.h>
#include <bulwark/ood/react.h>
#include <bulwark/ood/vim.h>

#include "bindings.h"

namespace bulwark::python {

void bind_ood(py::module_& m) {
  py::module_ o = m.def_submodule("ood", "Out-of-distribution detectors and metrics.");
  using release = py::call_guard<py::gil_scoped_release>;
  using namespace bulwark::ood;

  py::class_<Detector, std::shared_ptr<Detector>>(o, "Detector")
      .def_property_readonly("kind", &Detector::kind)
      .def_property_readonly("fitted", &Detector::fitted)
      .def("save", &Detector::save, py::arg("path"));
  o.def("load_detector", [](const std::string& path) { return std::shared_ptr<Detector>(load_detector(path)); },
        py::arg("path"));

  py::class_<LogitDetector, Detector, std::shared_ptr<LogitDetector>>(o, "LogitDetector")
      .def("score", &LogitDetector::score, py::arg("logits"), release());
  py::class_<MSP, LogitDetector, std::shared_ptr<MSP>>(o, "MSP").def(py::init<>());
  py::class_<MaxLogit, LogitDetector, std::shared_ptr<MaxLogit>>(o, "MaxLogit").def(py::init<>());
  py::class_<Energy, LogitDetector, std::shared_ptr<Energy>>(o, "Energy")
      .def(py::init<>())
      .def(py::init<double>(), py::arg("temperature"))
      .def_property_readonly("temperature", &Energy::temperature);
  py::class_<Entropy, LogitDetector, std::shared_ptr<Entropy>>(o, "Entropy").def(py::init<>());

  py::class_<ODIN, Detector, std::shared_ptr<ODIN>>(o, "ODIN")
      .def(py::init<>())
      .def(py::init<double, double>(), py::arg("temperature"), py::arg("eps"))
      .def("score", &ODIN::score, py::arg("model"), py::arg("x"), release())
      .def_property_readonly("temperature", &ODIN::temperature)
      .def_property_readonly("eps", &ODIN::eps);

  py::class_<FeatureDetector, Detector, std::shared_ptr<FeatureDetector>>(o, "FeatureDetector")
      .def("fit", [](FeatureDetector& d, const at::Tensor& f, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             d.fit(f, y);
           }, py::arg("features"), py::arg("labels"))
      .def("score", &FeatureDetector::score, py::arg("features"), release())
      .def_property_readonly("dim", &FeatureDetector::dim);
  py::class_<Mahalanobis, FeatureDetector, std::shared_ptr<Mahalanobis>>(o, "Mahalanobis")
      .def(py::init<>())
      .def(py::init<double, double>(), py::arg("rcond"), py::arg("rcond_shrink"))
      .def_property_readonly("rcond", &Mahalanobis::rcond)
      .def_property_readonly("rcond_shrink", &Mahalanobis::rcond_shrink)
      .def_property_readonly("means", &Mahalanobis::means)
      .def_property_readonly("precision", &Mahalanobis::precision)
      .def_property_readonly("regularization", &Mahalanobis::regularization);
  py::class_<KNN, FeatureDetector, std::shared_ptr<KNN>>(o, "KNN")
      .def(py::init<>())
      .def(py::init<int64_t, bool, int64_t>(), py::arg("k"), py::arg("normalize"), py::arg("block_elements"))
      .def_property_readonly("k", &KNN::k)
      .def_property_readonly("normalize", &KNN::normalize)
      .def_property_readonly("block_elements", &KNN::block_elements);
  // Each class is also constructible from its required arguments alone, taking C++'s defaults
  // for the rest: tests/python/core/test_options.py compares them with the Python signatures'.
  py::class_<ViM, FeatureDetector, std::shared_ptr<ViM>>(o, "ViM")
      .def(py::init<const at::Tensor&, const at::Tensor&>(), py::arg("weight"), py::arg("bias"))
      .def(py::init<const at::Tensor&, const at::Tensor&, int64_t>(), py::arg("weight"), py::arg("bias"),
           py::arg("principal_dim"))
      .def_property_readonly("principal_dim", &ViM::principal_dim)
      .def_property_readonly("alpha", &ViM::alpha);
  py::class_<ReAct, FeatureDetector, std::shared_ptr<ReAct>>(o, "ReAct")
      .def(py::init<const at::Tensor&, const at::Tensor&, double, double>(), py::arg("weight"), py::arg("bias"),
           py::arg("percentile"), py::arg("temperature"))
      .def(py::init<const at::Tensor&, const at::Tensor&>(), py::arg("weight"), py::arg("bias"))
      .def_property_readonly("threshold", &ReAct::threshold)
      .def_property_readonly("percentile", &ReAct::percentile)
      .def_property_readonly("temperature", &ReAct::temperature);
  py::class_<GradNorm, FeatureDetector, std::shared_ptr<GradNorm>>(o, "GradNorm")
      .def(py::init<const at::Tensor&, const at::Tensor&, double>(), py::arg("weight"), py::arg("bias"),
           py::arg("temperature"))
      .def(py::init<const at::Tensor&, const at::Tensor&>(), py::arg("weight"), py::arg("bias"))
      .def_property_readonly("temperature", &GradNorm::temperature);

  py::class_<metrics::OODMetrics>(o, "OODMetrics")
      .def_readonly("auroc", &metrics::OODMetrics::auroc)
      .def_readonly("aupr_in", &metrics::OODMetrics::aupr_in)
      .def_readonly("aupr_out", &metrics::OODMetrics::aupr_out)
      .def_readonly("fpr_at_tpr", &metrics::OODMetrics::fpr_at_tpr);
  o.def("ood_metrics", &metrics::ood_metrics, py::arg("id_scores"), py::arg("ood_scores"), py::arg("tpr"),
        py::arg("in_positive"), py::call_guard<py::gil_scoped_release>());
}

}  // namespace bulwark::python

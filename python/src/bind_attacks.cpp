#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/attacks/fgsm.h>
#include <bulwark/attacks/pgd.h>

#include "bindings.h"

namespace bulwark::python {

void bind_attacks(py::module_& m) {
  py::module_ a = m.def_submodule("attacks", "Attacks on continuous inputs.");
  using attacks::Attack;
  using attacks::AttackResult;
  using release = py::call_guard<py::gil_scoped_release>;

  py::class_<AttackResult>(a, "AttackResult")
      .def_readonly("x_adv", &AttackResult::x_adv)
      .def_readonly("success", &AttackResult::success)
      .def_readonly("norm", &AttackResult::norm)
      .def_property_readonly("queries", [](const AttackResult& r) { return counts_dict(r.queries); });

  py::class_<Attack, std::shared_ptr<Attack>>(a, "Attack")
      .def("__call__", &Attack::operator(), py::arg("model"), py::arg("x"), py::arg("y"), release())
      .def("run", &Attack::run, py::arg("model"), py::arg("x"), py::arg("y"), release())
      .def_property_readonly("norm", [](const Attack& at) { return ops::to_string(at.norm()); })
      .def_property_readonly("targeted", &Attack::targeted)
      .def("__repr__", &Attack::repr);

  py::class_<attacks::FGSM, Attack, std::shared_ptr<attacks::FGSM>>(a, "FGSM")
      .def(py::init([](double eps, const std::string& norm, const std::string& loss,
                       bool random_start, std::optional<double> step_size, bool targeted,
                       std::optional<uint64_t> seed) {
             attacks::FGSMOptions o;
             o.eps = eps;
             o.norm = ops::parse_norm(norm, "FGSM: norm");
             o.loss = losses::parse_loss(loss, "FGSM: loss");
             o.random_start = random_start;
             o.step_size = step_size;
             o.targeted = targeted;
             o.seed = seed;
             return std::make_shared<attacks::FGSM>(o);
           }),
           py::arg("eps"), py::arg("norm"), py::arg("loss"), py::arg("random_start"),
           py::arg("step_size"), py::arg("targeted"), py::arg("seed"))
      .def_property_readonly("step_size", &attacks::FGSM::step_size);

  py::class_<attacks::PGD, Attack, std::shared_ptr<attacks::PGD>>(a, "PGD")
      .def(py::init([](double eps, const std::string& norm, int64_t steps,
                       std::optional<double> step_size, bool random_start, int64_t restarts,
                       const std::string& loss, bool targeted, double l1_sparsity,
                       std::optional<uint64_t> seed) {
             attacks::PGDOptions o;
             o.eps = eps;
             o.norm = ops::parse_norm(norm, "PGD: norm");
             o.steps = steps;
             o.step_size = step_size;
             o.random_start = random_start;
             o.restarts = restarts;
             o.loss = losses::parse_loss(loss, "PGD: loss");
             o.targeted = targeted;
             o.l1_sparsity = l1_sparsity;
             o.seed = seed;
             return std::make_shared<attacks::PGD>(o);
           }),
           py::arg("eps"), py::arg("norm"), py::arg("steps"), py::arg("step_size"),
           py::arg("random_start"), py::arg("restarts"), py::arg("loss"), py::arg("targeted"),
           py::arg("l1_sparsity"), py::arg("seed"))
      .def_property_readonly("step_size", &attacks::PGD::step_size)
      .def_property_readonly("seed", [](const attacks::PGD& p) { return *p.options().seed; });
}

}  // namespace bulwark::python

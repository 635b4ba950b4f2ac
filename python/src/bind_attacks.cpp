#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/autoattack.h>
#include <bulwark/attacks/cw.h>
#include <bulwark/attacks/deepfool.h>
#include <bulwark/attacks/evaluate.h>
#include <bulwark/attacks/fab.h>
#include <bulwark/attacks/fgsm.h>
#include <bulwark/attacks/mifgsm.h>
#include <bulwark/attacks/pgd.h>
#include <bulwark/attacks/square.h>
#include <bulwark/attacks/targets.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
// Options arrive from the Python wrappers, already type-checked, as keyword arguments.
template <typename T>
T get(const py::dict& d, const char* key) {
  return d[key].cast<T>();
}
ops::Norm norm_of(const py::dict& d, const char* who) {
  return ops::parse_norm(get<std::string>(d, "norm"), (std::string(who) + ": norm").c_str());
}
losses::Loss loss_of(const py::dict& d, const char* who) {
  return losses::parse_loss(get<std::string>(d, "loss"), (std::string(who) + ": loss").c_str());
}
std::optional<uint64_t> seed_of(const py::dict& d) {
  return get<std::optional<uint64_t>>(d, "seed");
}

py::dict report_dict(const attacks::SubAttackReport& r) {
  py::dict d;
  d["attack"] = r.name;
  d["attacked"] = r.attacked;
  d["broken"] = r.broken;
  d["robust_accuracy"] = r.robust_accuracy;
  d["seconds"] = r.seconds;
  d["queries"] = counts_dict(r.queries);
  return d;
}
}  // namespace

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
      .def(py::init([](const py::dict& d) {
        attacks::FGSMOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "FGSM");
        o.loss = loss_of(d, "FGSM");
        o.random_start = get<bool>(d, "random_start");
        o.step_size = get<std::optional<double>>(d, "step_size");
        o.targeted = get<bool>(d, "targeted");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        o.seed = seed_of(d);
        return std::make_shared<attacks::FGSM>(o);
      }))
      .def_property_readonly("step_size", &attacks::FGSM::step_size)
      .def_property_readonly("seed", [](const attacks::FGSM& f) { return *f.options().seed; });

  py::class_<attacks::PGD, Attack, std::shared_ptr<attacks::PGD>>(a, "PGD")
      .def(py::init([](const py::dict& d) {
        attacks::PGDOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "PGD");
        o.steps = get<int64_t>(d, "steps");
        o.step_size = get<std::optional<double>>(d, "step_size");
        o.random_start = get<bool>(d, "random_start");
        o.restarts = get<int64_t>(d, "restarts");
        o.loss = loss_of(d, "PGD");
        o.targeted = get<bool>(d, "targeted");
        o.l1_sparsity = get<double>(d, "l1_sparsity");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        o.seed = seed_of(d);
        return std::make_shared<attacks::PGD>(o);
      }))
      .def_property_readonly("step_size", &attacks::PGD::step_size)
      .def_property_readonly("seed", [](const attacks::PGD& p) { return *p.options().seed; });

  py::class_<attacks::MIFGSM, Attack, std::shared_ptr<attacks::MIFGSM>>(a, "MIFGSM")
      .def(py::init([](const py::dict& d) {
        attacks::MIFGSMOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "MIFGSM");
        o.steps = get<int64_t>(d, "steps");
        o.step_size = get<std::optional<double>>(d, "step_size");
        o.decay = get<double>(d, "decay");
        o.loss = loss_of(d, "MIFGSM");
        o.targeted = get<bool>(d, "targeted");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        return std::make_shared<attacks::MIFGSM>(o);
      }))
      .def_property_readonly("step_size", &attacks::MIFGSM::step_size);

  py::class_<attacks::APGD, Attack, std::shared_ptr<attacks::APGD>>(a, "APGD")
      .def(py::init([](const py::dict& d) {
        attacks::APGDOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "APGD");
        o.steps = get<int64_t>(d, "steps");
        o.restarts = get<int64_t>(d, "restarts");
        o.loss = loss_of(d, "APGD");
        o.rho = get<double>(d, "rho");
        o.targeted = get<bool>(d, "targeted");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        o.seed = seed_of(d);
        return std::make_shared<attacks::APGD>(o);
      }))
      .def_property_readonly("seed", [](const attacks::APGD& p) { return *p.options().seed; });

  py::class_<attacks::APGDT, Attack, std::shared_ptr<attacks::APGDT>>(a, "APGDT")
      .def(py::init([](const py::dict& d) {
        attacks::APGDTOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "APGDT");
        o.steps = get<int64_t>(d, "steps");
        o.restarts = get<int64_t>(d, "restarts");
        o.num_targets = get<int64_t>(d, "num_targets");
        o.rho = get<double>(d, "rho");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        o.seed = seed_of(d);
        return std::make_shared<attacks::APGDT>(o);
      }))
      .def_property_readonly("seed", [](const attacks::APGDT& p) { return *p.options().seed; });

  auto fab_options = [](const py::dict& d, const char* who) {
    attacks::FABOptions o;
    o.eps = get<double>(d, "eps");
    o.norm = norm_of(d, who);
    o.steps = get<int64_t>(d, "steps");
    o.restarts = get<int64_t>(d, "restarts");
    o.alpha_max = get<double>(d, "alpha_max");
    o.eta = get<double>(d, "eta");
    o.beta = get<double>(d, "beta");
    o.num_targets = get<int64_t>(d, "num_targets");
    o.seed = seed_of(d);
    return o;
  };
  py::class_<attacks::FAB, Attack, std::shared_ptr<attacks::FAB>>(a, "FAB")
      .def(py::init([fab_options](const py::dict& d) {
        return std::make_shared<attacks::FAB>(fab_options(d, "FAB"));
      }))
      .def_property_readonly("seed", [](const attacks::FAB& p) { return *p.options().seed; });
  py::class_<attacks::FABT, attacks::FAB, std::shared_ptr<attacks::FABT>>(a, "FABT")
      .def(py::init([fab_options](const py::dict& d) {
        return std::make_shared<attacks::FABT>(fab_options(d, "FABT"));
      }));

  py::class_<attacks::Square, Attack, std::shared_ptr<attacks::Square>>(a, "Square")
      .def(py::init([](const py::dict& d) {
        attacks::SquareOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "Square");
        o.queries = get<int64_t>(d, "queries");
        o.p_init = get<double>(d, "p_init");
        o.rescale_schedule = get<bool>(d, "rescale_schedule");
        o.loss = loss_of(d, "Square");
        o.targeted = get<bool>(d, "targeted");
        o.seed = seed_of(d);
        return std::make_shared<attacks::Square>(o);
      }))
      .def_property_readonly("seed", [](const attacks::Square& p) { return *p.options().seed; });

  py::class_<attacks::CW, Attack, std::shared_ptr<attacks::CW>>(a, "CW").def(
      py::init([](const py::dict& d) {
        attacks::CWOptions o;
        o.c = get<double>(d, "c");
        o.kappa = get<double>(d, "kappa");
        o.steps = get<int64_t>(d, "steps");
        o.binary_search_steps = get<int64_t>(d, "binary_search_steps");
        o.lr = get<double>(d, "lr");
        o.abort_early = get<bool>(d, "abort_early");
        o.targeted = get<bool>(d, "targeted");
        return std::make_shared<attacks::CW>(o);
      }));

  py::class_<attacks::DeepFool, Attack, std::shared_ptr<attacks::DeepFool>>(a, "DeepFool")
      .def(py::init([](const py::dict& d) {
        attacks::DeepFoolOptions o;
        o.norm = norm_of(d, "DeepFool");
        o.steps = get<int64_t>(d, "steps");
        o.overshoot = get<double>(d, "overshoot");
        o.candidates = get<int64_t>(d, "candidates");
        return std::make_shared<attacks::DeepFool>(o);
      }));

  py::class_<attacks::AutoAttack, Attack, std::shared_ptr<attacks::AutoAttack>>(a, "AutoAttack")
      .def(py::init([](const py::dict& d) {
        attacks::AutoAttackOptions o;
        o.eps = get<double>(d, "eps");
        o.norm = norm_of(d, "AutoAttack");
        o.version = get<std::string>(d, "version");
        o.steps = get<int64_t>(d, "steps");
        o.square_queries = get<int64_t>(d, "square_queries");
        o.eot_samples = get<int64_t>(d, "eot_samples");
        o.batch_size = get<int64_t>(d, "batch_size");
        o.seed = seed_of(d);
        return std::make_shared<attacks::AutoAttack>(o);
      }))
      .def("run_with_report",
           [](attacks::AutoAttack& aa, Classifier& model, const at::Tensor& x, const at::Tensor& y) {
             std::pair<AttackResult, attacks::AutoAttackReport> r;
             {
               py::gil_scoped_release nogil;
               r = aa.run_with_report(model, x, y);
             }
             py::list rows;
             for (const auto& s : r.second.attacks) rows.append(report_dict(s));
             return py::make_tuple(r.first, r.second.clean_accuracy, rows);
           },
           py::arg("model"), py::arg("x"), py::arg("y"))
      .def_property_readonly("attacks",
                             [](const attacks::AutoAttack& aa) {
                               py::list out;
                               for (const auto& [name, attack] : aa.attacks()) {
                                 out.append(py::make_tuple(name, attack));
                               }
                               return out;
                             })
      .def_property_readonly("seed", [](const attacks::AutoAttack& p) { return *p.options().seed; });

  a.def(
      "select_targets",
      [](Classifier& model, const at::Tensor& x, const at::Tensor& y, const std::string& rule,
         std::optional<uint64_t> seed) {
        const auto r = attacks::parse_target_rule(rule, "select_targets: rule");
        py::gil_scoped_release nogil;
        return attacks::select_targets(model, x, y, r, seed);
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("rule"), py::arg("seed"));

  a.def(
      "evaluate",
      [](Classifier& model, const at::Tensor& x, const at::Tensor& y, const py::list& named,
         int64_t batch_size, std::function<void(int64_t, int64_t)> on_batch) {
        std::vector<attacks::NamedAttack> list;
        for (const auto& item : named) {
          auto pair = item.cast<py::tuple>();
          list.emplace_back(pair[0].cast<std::string>(), pair[1].cast<std::shared_ptr<Attack>>());
        }
        attacks::EvaluateOptions o;
        o.batch_size = batch_size;
        o.progress = false;
        if (on_batch) {
          o.on_batch = [on_batch](int64_t done, int64_t total) {
            py::gil_scoped_acquire gil;
            on_batch(done, total);
          };
        }
        attacks::Evaluation ev;
        {
          py::gil_scoped_release nogil;
          ev = attacks::evaluate(model, x, y, list, o);
        }
        py::list queries;
        for (const auto& q : ev.queries) queries.append(counts_dict(q));
        return py::make_tuple(ev.names, ev.correct, ev.robust, ev.worst_case, ev.seconds, queries);
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("attacks"), py::arg("batch_size"),
      py::arg("on_batch"));
}

}  // namespace bulwark::python

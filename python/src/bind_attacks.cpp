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
#include "options.h"

namespace bulwark::python {

namespace {
std::string norm_name(ops::Norm n) { return ops::to_string(n); }
std::string loss_name(losses::Loss l) { return losses::to_string(l); }

// An attack class constructed from its Options class, which it exposes as `options` (a copy,
// the seed resolved).
template <typename A>
py::class_<A, attacks::Attack, std::shared_ptr<A>> bind_attack(py::module_& a, const char* name) {
  using Options = std::decay_t<decltype(std::declval<const A&>().options())>;
  py::class_<A, attacks::Attack, std::shared_ptr<A>> c(a, name);
  c.def(py::init<Options>(), py::arg("options"));
  c.def_property_readonly("options", [](const A& at) { return at.options(); });
  return c;
}

// AutoAttack.run's answer: the result and the report of each sub-attack.
struct AutoAttackRun {
  attacks::AttackResult result;
  attacks::AutoAttackReport report;
};
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
      .def_readonly("queries", &AttackResult::queries);

  py::class_<attacks::SubAttackReport>(a, "SubAttackReport")
      .def_readonly("name", &attacks::SubAttackReport::name)
      .def_readonly("attacked", &attacks::SubAttackReport::attacked)
      .def_readonly("broken", &attacks::SubAttackReport::broken)
      .def_readonly("robust_accuracy", &attacks::SubAttackReport::robust_accuracy)
      .def_readonly("seconds", &attacks::SubAttackReport::seconds)
      .def_readonly("queries", &attacks::SubAttackReport::queries)
      .def("__repr__", [](const attacks::SubAttackReport& r) {
        return "SubAttackReport(name='" + r.name + "', attacked=" + std::to_string(r.attacked) +
               ", broken=" + std::to_string(r.broken) + ", robust_accuracy=" +
               py::repr(py::float_(r.robust_accuracy)).cast<std::string>() +
               ", seconds=" + py::repr(py::float_(r.seconds)).cast<std::string>() + ")";
      });
  py::class_<attacks::AutoAttackReport>(a, "AutoAttackReport")
      .def_readonly("clean_accuracy", &attacks::AutoAttackReport::clean_accuracy)
      .def_readonly("attacks", &attacks::AutoAttackReport::attacks);
  py::class_<AutoAttackRun>(a, "AutoAttackRun")
      .def_readonly("result", &AutoAttackRun::result)
      .def_readonly("report", &AutoAttackRun::report);

  using attacks::Evaluation;
  py::class_<Evaluation>(a, "Evaluation")
      .def_readonly("names", &Evaluation::names)
      .def_readonly("correct", &Evaluation::correct)
      .def_readonly("robust", &Evaluation::robust)
      .def_readonly("worst_case", &Evaluation::worst_case)
      .def_readonly("seconds", &Evaluation::seconds)
      .def_readonly("queries", &Evaluation::queries)
      .def_property_readonly("clean_accuracy", &Evaluation::clean_accuracy)
      .def("robust_accuracy", &Evaluation::robust_accuracy, py::arg("attack"))
      .def_property_readonly("worst_case_accuracy", &Evaluation::worst_case_accuracy);

  py::class_<Attack, std::shared_ptr<Attack>>(a, "Attack")
      .def("__call__", &Attack::operator(), py::arg("model"), py::arg("x"), py::arg("y"), release())
      .def("run", &Attack::run, py::arg("model"), py::arg("x"), py::arg("y"), release())
      .def_property_readonly("norm", [](const Attack& at) { return ops::to_string(at.norm()); })
      .def_property_readonly("targeted", &Attack::targeted)
      .def("__repr__", &Attack::repr);

  // Each attack's Options struct is a typed Python class (options.h); the attack takes it.
  using attacks::FGSMOptions;
  {
    py::class_<FGSMOptions> c(a, "FGSMOptions");
    c.def(py::init<>());
    Fields<FGSMOptions>(c, "FGSM")
        .add("eps", &FGSMOptions::eps)
        .add_enum("norm", &FGSMOptions::norm, ops::parse_norm, norm_name)
        .add_enum("loss", &FGSMOptions::loss, losses::parse_loss, loss_name)
        .add("random_start", &FGSMOptions::random_start)
        .add("step_size", &FGSMOptions::step_size)
        .add("targeted", &FGSMOptions::targeted)
        .add("eot_samples", &FGSMOptions::eot_samples)
        .add("seed", &FGSMOptions::seed);
  }
  bind_attack<attacks::FGSM>(a, "FGSM").def_property_readonly("step_size", &attacks::FGSM::step_size);

  using attacks::PGDOptions;
  {
    py::class_<PGDOptions> c(a, "PGDOptions");
    c.def(py::init<>());
    Fields<PGDOptions>(c, "PGD")
        .add("eps", &PGDOptions::eps)
        .add_enum("norm", &PGDOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &PGDOptions::steps)
        .add("step_size", &PGDOptions::step_size)
        .add("random_start", &PGDOptions::random_start)
        .add("restarts", &PGDOptions::restarts)
        .add_enum("loss", &PGDOptions::loss, losses::parse_loss, loss_name)
        .add("targeted", &PGDOptions::targeted)
        .add("l1_sparsity", &PGDOptions::l1_sparsity)
        .add("eot_samples", &PGDOptions::eot_samples)
        .add("seed", &PGDOptions::seed);
  }
  bind_attack<attacks::PGD>(a, "PGD").def_property_readonly("step_size", &attacks::PGD::step_size);

  using attacks::MIFGSMOptions;
  {
    py::class_<MIFGSMOptions> c(a, "MIFGSMOptions");
    c.def(py::init<>());
    Fields<MIFGSMOptions>(c, "MIFGSM")
        .add("eps", &MIFGSMOptions::eps)
        .add_enum("norm", &MIFGSMOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &MIFGSMOptions::steps)
        .add("step_size", &MIFGSMOptions::step_size)
        .add("decay", &MIFGSMOptions::decay)
        .add_enum("loss", &MIFGSMOptions::loss, losses::parse_loss, loss_name)
        .add("targeted", &MIFGSMOptions::targeted)
        .add("eot_samples", &MIFGSMOptions::eot_samples);
  }
  bind_attack<attacks::MIFGSM>(a, "MIFGSM").def_property_readonly("step_size", &attacks::MIFGSM::step_size);

  using attacks::APGDOptions;
  {
    py::class_<APGDOptions> c(a, "APGDOptions");
    c.def(py::init<>());
    Fields<APGDOptions>(c, "APGD")
        .add("eps", &APGDOptions::eps)
        .add_enum("norm", &APGDOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &APGDOptions::steps)
        .add("restarts", &APGDOptions::restarts)
        .add_enum("loss", &APGDOptions::loss, losses::parse_loss, loss_name)
        .add("rho", &APGDOptions::rho)
        .add("targeted", &APGDOptions::targeted)
        .add("eot_samples", &APGDOptions::eot_samples)
        .add("seed", &APGDOptions::seed);
  }
  bind_attack<attacks::APGD>(a, "APGD");

  using attacks::APGDTOptions;
  {
    py::class_<APGDTOptions> c(a, "APGDTOptions");
    c.def(py::init<>());
    Fields<APGDTOptions>(c, "APGDT")
        .add("eps", &APGDTOptions::eps)
        .add_enum("norm", &APGDTOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &APGDTOptions::steps)
        .add("restarts", &APGDTOptions::restarts)
        .add("num_targets", &APGDTOptions::num_targets)
        .add("rho", &APGDTOptions::rho)
        .add("eot_samples", &APGDTOptions::eot_samples)
        .add("seed", &APGDTOptions::seed);
  }
  bind_attack<attacks::APGDT>(a, "APGDT");

  using attacks::FABOptions;  // FAB and FABT
  {
    py::class_<FABOptions> c(a, "FABOptions");
    c.def(py::init<>());
    Fields<FABOptions>(c, "FAB")
        .add("eps", &FABOptions::eps)
        .add_enum("norm", &FABOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &FABOptions::steps)
        .add("restarts", &FABOptions::restarts)
        .add("alpha_max", &FABOptions::alpha_max)
        .add("eta", &FABOptions::eta)
        .add("beta", &FABOptions::beta)
        .add("seed", &FABOptions::seed)
        .add("num_targets", &FABOptions::num_targets);
  }
  bind_attack<attacks::FAB>(a, "FAB");
  py::class_<attacks::FABT, attacks::FAB, std::shared_ptr<attacks::FABT>>(a, "FABT").def(py::init<FABOptions>(),
                                                                                        py::arg("options"));

  using attacks::SquareOptions;
  {
    py::class_<SquareOptions> c(a, "SquareOptions");
    c.def(py::init<>());
    Fields<SquareOptions>(c, "Square")
        .add("eps", &SquareOptions::eps)
        .add_enum("norm", &SquareOptions::norm, ops::parse_norm, norm_name)
        .add("queries", &SquareOptions::queries)
        .add("p_init", &SquareOptions::p_init)
        .add("rescale_schedule", &SquareOptions::rescale_schedule)
        .add_enum("loss", &SquareOptions::loss, losses::parse_loss, loss_name)
        .add("targeted", &SquareOptions::targeted)
        .add("seed", &SquareOptions::seed);
  }
  bind_attack<attacks::Square>(a, "Square");

  using attacks::CWOptions;
  {
    py::class_<CWOptions> c(a, "CWOptions");
    c.def(py::init<>());
    Fields<CWOptions>(c, "CW")
        .add("c", &CWOptions::c)
        .add("kappa", &CWOptions::kappa)
        .add("steps", &CWOptions::steps)
        .add("binary_search_steps", &CWOptions::binary_search_steps)
        .add("lr", &CWOptions::lr)
        .add("abort_early", &CWOptions::abort_early)
        .add("targeted", &CWOptions::targeted);
  }
  bind_attack<attacks::CW>(a, "CW");

  using attacks::DeepFoolOptions;
  {
    py::class_<DeepFoolOptions> c(a, "DeepFoolOptions");
    c.def(py::init<>());
    Fields<DeepFoolOptions>(c, "DeepFool")
        .add_enum("norm", &DeepFoolOptions::norm, ops::parse_norm, norm_name)
        .add("steps", &DeepFoolOptions::steps)
        .add("overshoot", &DeepFoolOptions::overshoot)
        .add("candidates", &DeepFoolOptions::candidates);
  }
  bind_attack<attacks::DeepFool>(a, "DeepFool");

  using attacks::AutoAttackOptions;
  {
    py::class_<AutoAttackOptions> c(a, "AutoAttackOptions");
    c.def(py::init<>());
    Fields<AutoAttackOptions>(c, "AutoAttack")
        .add("eps", &AutoAttackOptions::eps)
        .add_enum("norm", &AutoAttackOptions::norm, ops::parse_norm, norm_name)
        .add("version", &AutoAttackOptions::version)
        .add("steps", &AutoAttackOptions::steps)
        .add("square_queries", &AutoAttackOptions::square_queries)
        .add("eot_samples", &AutoAttackOptions::eot_samples)
        .add("batch_size", &AutoAttackOptions::batch_size)
        .add("seed", &AutoAttackOptions::seed);
  }
  bind_attack<attacks::AutoAttack>(a, "AutoAttack")
      .def("run_with_report",
           [](attacks::AutoAttack& aa, Classifier& model, const at::Tensor& x, const at::Tensor& y) {
             py::gil_scoped_release nogil;
             auto r = aa.run_with_report(model, x, y);
             return AutoAttackRun{std::move(r.first), std::move(r.second)};
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
      ;

  a.def(
      "select_targets",
      [](Classifier& model, const at::Tensor& x, const at::Tensor& y, const std::string& rule,
         std::optional<uint64_t> seed) {
        const auto r = attacks::parse_target_rule(rule, "select_targets: rule");
        py::gil_scoped_release nogil;
        return attacks::select_targets(model, x, y, r, seed);
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("rule"), py::arg("seed"));

  // One pass over (x, y) batches from Python (a DataLoader, a list); C++ concatenates.
  using Next = std::function<std::optional<std::pair<at::Tensor, at::Tensor>>()>;
  a.def(
      "evaluate",
      [](Classifier& model, const Next& next, const py::list& named, int64_t batch_size,
         std::function<void(int64_t, int64_t)> on_batch) {
        std::vector<attacks::NamedAttack> list;
        for (const auto& item : named) {
          auto pair = item.cast<std::pair<std::string, std::shared_ptr<Attack>>>();
          list.emplace_back(pair.first, pair.second);
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
        data::FunctionBatches source([](uint64_t) {},
                                     [next]() -> std::optional<data::Batch> {
                                       py::gil_scoped_acquire gil;
                                       auto b = next();
                                       if (!b) return std::nullopt;
                                       return data::Batch{b->first, b->second};
                                     });
        py::gil_scoped_release nogil;
        return attacks::evaluate(model, source, list, o);
      },
      py::arg("model"), py::arg("next"), py::arg("attacks"), py::arg("batch_size"), py::arg("on_batch"));
}

}  // namespace bulwark::python

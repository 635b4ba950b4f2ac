#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/attacks/attack.h>
#include <bulwark/attacks/fgsm.h>
#include <bulwark/core/random.h>
#include <bulwark/data/batches.h>
#include <bulwark/defenses/adversarial_losses.h>
#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/defenses/attack_augmentation.h>
#include <bulwark/defenses/freelb.h>
#include <bulwark/defenses/randomized_smoothing.h>
#include <bulwark/ops/norm.h>
#include <bulwark/metrics/binomial.h>

#include "bindings.h"
#include "options.h"

namespace bulwark::python {

void bind_defenses(py::module_& m) {
  py::module_ d = m.def_submodule("defenses", "Defenses.");
  using defenses::RandomizedSmoothing;
  py::class_<defenses::Certificate>(d, "Certificate")
      .def_readonly("prediction", &defenses::Certificate::prediction)
      .def_readonly("radius", &defenses::Certificate::radius)
      .def_readonly("p_lower", &defenses::Certificate::p_lower);
  py::class_<RandomizedSmoothing>(d, "RandomizedSmoothing")
      .def(py::init<double, int64_t, uint64_t>(), py::arg("sigma"), py::arg("batch_size"), py::arg("seed"))
      .def(py::init<double>(), py::arg("sigma"))  // C++'s defaults (tests/python/core/test_options.py)
      .def_property_readonly("batch_size", &RandomizedSmoothing::batch_size)
      .def_property_readonly("seed", &RandomizedSmoothing::seed)
      .def("predict", &RandomizedSmoothing::predict, py::arg("model"), py::arg("x"), py::arg("n"), py::arg("alpha"),
           py::call_guard<py::gil_scoped_release>())
      .def("certify", &RandomizedSmoothing::certify, py::arg("model"), py::arg("x"), py::arg("n0"), py::arg("n"),
           py::arg("alpha"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("sigma", &RandomizedSmoothing::sigma);
  d.def("gaussian_augmentation", [](const at::Tensor& x, double sigma, uint64_t seed) {
    at::Generator g = make_generator(seed);
    return defenses::gaussian_augmentation(x, sigma, g);
  }, py::arg("x"), py::arg("sigma"), py::arg("seed"));
  d.def("certified_accuracy", [](const at::Tensor& prediction, const at::Tensor& radius, const at::Tensor& labels,
                                 const at::Tensor& radii) {
    return defenses::certified_accuracy({prediction, radius, at::Tensor()}, labels, radii);
  }, py::arg("prediction"), py::arg("radius"), py::arg("labels"), py::arg("radii"));

  // Adversarial-training losses: forward is the Python training forward (the GIL is taken
  // back whenever C++ calls it). `released` runs a loss without the GIL; loss and logits_adv
  // keep their autograd graphs.
  py::class_<defenses::AdversarialLoss>(d, "AdversarialLoss")
      .def_readonly("loss", &defenses::AdversarialLoss::loss)
      .def_readonly("x_adv", &defenses::AdversarialLoss::x_adv)
      .def_readonly("logits_adv", &defenses::AdversarialLoss::logits_adv);
  auto released = [](const std::function<defenses::AdversarialLoss()>& loss) {
    py::gil_scoped_release nogil;
    return loss();
  };
  // The losses take the attack's Options (attacks::PGDOptions, bound with the attacks) or their
  // own, as typed classes (options.h).
  using defenses::TradesOptions;
  {
    py::class_<TradesOptions> c(d, "TradesOptions");
    c.def(py::init<>());
    Fields<TradesOptions>(c, "trades_loss")
        .add("eps", &TradesOptions::eps)
        .add("beta", &TradesOptions::beta)
        .add("steps", &TradesOptions::steps)
        .add("step_size", &TradesOptions::step_size)
        .add("seed", &TradesOptions::seed);
  }
  using defenses::FreeLBOptions;
  {
    py::class_<FreeLBOptions> c(d, "FreeLBOptions");
    c.def(py::init<>());
    Fields<FreeLBOptions>(c, "freelb_loss")
        .add("steps", &FreeLBOptions::steps)
        .add("step_size", &FreeLBOptions::step_size)
        .add("init_mag", &FreeLBOptions::init_mag)
        .add("max_norm", &FreeLBOptions::max_norm)
        .add("seed", &FreeLBOptions::seed);
  }
  d.def("pgd_at_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                           const at::Tensor& y, const attacks::PGDOptions& o) {
    return released([&] { return defenses::pgd_at_loss(crafter, forward, x, y, o); });
  });
  d.def("pgd_at_loss_with", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                                const at::Tensor& y, attacks::Attack& attack) {
    return released([&] { return defenses::pgd_at_loss(crafter, forward, x, y, attack); });
  });
  d.def("mart_loss_with", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                              const at::Tensor& y, attacks::Attack& attack, double beta) {
    return released([&] { return defenses::mart_loss(crafter, forward, x, y, attack, beta); });
  });
  d.def("mart_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                         const at::Tensor& y, const attacks::PGDOptions& o, double beta) {
    return released([&] { return defenses::mart_loss(crafter, forward, x, y, o, beta); });
  });
  d.def("fast_at_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                            const at::Tensor& y, const attacks::FGSMOptions& o) {  // eps, step_size, seed
    return released([&] { return defenses::fast_at_loss(crafter, forward, x, y, o.eps, o.step_size, o.seed); });
  });
  d.def("trades_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                           const at::Tensor& y, const TradesOptions& o) {
    return released([&] { return defenses::trades_loss(crafter, forward, x, y, o); });
  });
  d.def("freelb_loss", [=](const defenses::Embed& embed, const defenses::ForwardEmbedded& forward_embedded,
                           const at::Tensor& ids, const at::Tensor& y, const FreeLBOptions& o) {
    return released([&] { return defenses::freelb_loss(embed, forward_embedded, ids, y, o); });
  });
  using defenses::AttackAugmentation;
  py::class_<AttackAugmentation>(d, "AttackAugmentation")
      .def_readonly("texts", &AttackAugmentation::texts)
      .def_readonly("labels", &AttackAugmentation::labels)
      .def_readonly("indices", &AttackAugmentation::indices)
      .def_readonly("ids", &AttackAugmentation::ids)
      .def_readonly("results", &AttackAugmentation::results);
  d.def("attack_augmentation", [](attacks::text::TextAttack& attack, attacks::text::TextVictim& victim,
                                  const std::vector<std::string>& texts, const std::vector<int64_t>& labels,
                                  int64_t examples, std::optional<uint64_t> seed,
                                  const std::function<void(int64_t, int64_t)>& progress) {
    defenses::AttackAugmentationOptions o;
    o.examples = examples;
    o.seed = seed;
    py::gil_scoped_release nogil;
    return defenses::attack_augmentation(attack, victim, texts, labels, o, progress);
  }, py::arg("attack"), py::arg("victim"), py::arg("texts"), py::arg("labels"), py::arg("examples"),
     py::arg("seed"), py::arg("progress"));

  // The adversarial-training loop: C++ runs the epoch (attacks, Free AT's replays, validation);
  // the Python model, optimizer and DataLoader are called back with the GIL taken. Its records
  // and checkpoints are bound in bind_models (models::EpochRecord, TrainingCheckpoint).
  using defenses::AdversarialTrainer;
  using defenses::AdversarialTrainingOptions;
  py::class_<AdversarialTrainingOptions> to(d, "AdversarialTrainingOptions");
  to.def(py::init<>());
  Fields<AdversarialTrainingOptions>(to, "AdversarialTrainer")
      .add_enum("method", &AdversarialTrainingOptions::method, defenses::parse_training_method,
                [](defenses::TrainingMethod m) { return defenses::to_string(m); })
      .add("eps", &AdversarialTrainingOptions::eps)
      .add_enum("norm", &AdversarialTrainingOptions::norm, ops::parse_norm, [](ops::Norm n) { return ops::to_string(n); })
      .add("steps", &AdversarialTrainingOptions::steps)
      .add("step_size", &AdversarialTrainingOptions::step_size)
      .add("beta", &AdversarialTrainingOptions::beta)
      .add("replays", &AdversarialTrainingOptions::replays)
      .add("epochs", &AdversarialTrainingOptions::epochs)
      .add("val_steps", &AdversarialTrainingOptions::val_steps)
      .add("seed", &AdversarialTrainingOptions::seed);
  py::class_<AdversarialTrainer>(d, "AdversarialTrainer")
      .def(py::init([](Classifier& crafter, const defenses::Forward& forward, std::function<void()> zero_grad,
                       std::function<void()> step, std::function<void()> end_epoch, std::function<double()> lr,
                       AdversarialTrainingOptions o,
                       std::function<void(int64_t, int64_t, int64_t, int64_t, double)> on_batch) {
             models::OptimizerHooks h;
             h.zero_grad = std::move(zero_grad);
             h.step = std::move(step);
             h.end_epoch = std::move(end_epoch);
             h.lr = std::move(lr);
             o.progress = false;
             if (on_batch) {
               o.on_batch = [on_batch](const models::TrainProgress& p) {
                 on_batch(p.epoch, p.epochs, p.batch, p.batches, p.loss);
               };
             }
             return std::make_unique<AdversarialTrainer>(crafter, forward, std::move(h), std::move(o));
           }),
           py::arg("crafter"), py::arg("forward"), py::arg("zero_grad"), py::arg("step"), py::arg("end_epoch"),
           py::arg("lr"), py::arg("options"), py::arg("on_batch"), py::keep_alive<1, 2>())
      // One epoch over batch sources (bw.data.Batches, or a DataLoader as data.FunctionBatches).
      .def("train_epoch", [](AdversarialTrainer& t, data::BatchSource& train, data::BatchSource* val) {
             py::gil_scoped_release nogil;
             return t.train_epoch(train, val);
           }, py::arg("train"), py::arg("val"))
      .def("epoch_seed", &AdversarialTrainer::epoch_seed, py::arg("epoch"))
      .def_property_readonly("options", &AdversarialTrainer::options)
      .def_property_readonly("epoch", &AdversarialTrainer::epoch)
      .def_property_readonly("history", &AdversarialTrainer::history)
      .def("state", &AdversarialTrainer::state)
      .def("restore", &AdversarialTrainer::restore, py::arg("state"));

  py::module_ mt = m.attr("metrics").cast<py::module_>();
  mt.def("clopper_pearson_lower", &metrics::clopper_pearson_lower, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("clopper_pearson_upper", &metrics::clopper_pearson_upper, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("binomial_test_half", &metrics::binomial_test_half, py::arg("k"), py::arg("n"));
}

}  // namespace bulwark::python

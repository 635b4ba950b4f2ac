#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/attacks/attack.h>
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

namespace bulwark::python {

void bind_defenses(py::module_& m) {
  py::module_ d = m.def_submodule("defenses", "Defenses.");
  using defenses::RandomizedSmoothing;
  auto as_tuple = [](const defenses::Certificate& c) { return py::make_tuple(c.prediction, c.radius, c.p_lower); };
  py::class_<RandomizedSmoothing>(d, "RandomizedSmoothing")
      .def(py::init<double, int64_t, uint64_t>(), py::arg("sigma"), py::arg("batch_size"), py::arg("seed"))
      .def("predict", &RandomizedSmoothing::predict, py::arg("model"), py::arg("x"), py::arg("n"), py::arg("alpha"),
           py::call_guard<py::gil_scoped_release>())
      .def("certify", [as_tuple](const RandomizedSmoothing& rs, Classifier& model, const at::Tensor& x, int64_t n0,
                                 int64_t n, double alpha) {
             defenses::Certificate c;
             {
               py::gil_scoped_release nogil;
               c = rs.certify(model, x, n0, n, alpha);
             }
             return as_tuple(c);
           }, py::arg("model"), py::arg("x"), py::arg("n0"), py::arg("n"), py::arg("alpha"))
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
  // back whenever C++ calls it). `released` runs a loss without the GIL and returns
  // (loss, x_adv, logits_adv), which keep their autograd graphs.
  auto released = [](const std::function<defenses::AdversarialLoss()>& loss) {
    defenses::AdversarialLoss r;
    {
      py::gil_scoped_release nogil;
      r = loss();
    }
    return py::make_tuple(r.loss, r.x_adv, r.logits_adv);
  };
  auto pgd_options = [](double eps, const std::string& norm, int64_t steps, std::optional<double> step_size,
                        bool random_start, std::optional<uint64_t> seed, const char* who) {
    attacks::PGDOptions o;
    o.eps = eps;
    o.norm = ops::parse_norm(norm, (std::string(who) + ": norm").c_str());
    o.steps = steps;
    o.step_size = step_size;
    o.random_start = random_start;
    o.seed = seed;
    return o;
  };
  d.def("pgd_at_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                           const at::Tensor& y, double eps, const std::string& norm, int64_t steps,
                           std::optional<double> step_size, bool random_start, std::optional<uint64_t> seed) {
    const auto o = pgd_options(eps, norm, steps, step_size, random_start, seed, "pgd_at_loss");
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
                         const at::Tensor& y, double eps, const std::string& norm, int64_t steps,
                         std::optional<double> step_size, bool random_start, std::optional<uint64_t> seed,
                         double beta) {
    const auto o = pgd_options(eps, norm, steps, step_size, random_start, seed, "mart_loss");
    return released([&] { return defenses::mart_loss(crafter, forward, x, y, o, beta); });
  });
  d.def("fast_at_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                            const at::Tensor& y, double eps, std::optional<double> step_size,
                            std::optional<uint64_t> seed) {
    return released([&] { return defenses::fast_at_loss(crafter, forward, x, y, eps, step_size, seed); });
  });
  d.def("trades_loss", [=](Classifier& crafter, const defenses::Forward& forward, const at::Tensor& x,
                           const at::Tensor& y, double eps, int64_t steps, std::optional<double> step_size,
                           double beta, std::optional<uint64_t> seed) {
    defenses::TradesOptions o;
    o.eps = eps;
    o.steps = steps;
    o.step_size = step_size;
    o.beta = beta;
    o.seed = seed;
    return released([&] { return defenses::trades_loss(crafter, forward, x, y, o); });
  });
  d.def("freelb_loss", [=](const defenses::Embed& embed, const defenses::ForwardEmbedded& forward_embedded,
                           const at::Tensor& ids, const at::Tensor& y, int64_t steps, double step_size,
                           double init_mag, double max_norm, std::optional<uint64_t> seed) {
    defenses::FreeLBOptions o;
    o.steps = steps;
    o.step_size = step_size;
    o.init_mag = init_mag;
    o.max_norm = max_norm;
    o.seed = seed;
    return released([&] { return defenses::freelb_loss(embed, forward_embedded, ids, y, o); });
  });
  d.def("attack_augmentation", [](attacks::text::TextAttack& attack, attacks::text::TextVictim& victim,
                                  const std::vector<std::string>& texts, const std::vector<int64_t>& labels,
                                  int64_t examples, uint64_t seed,
                                  const std::function<void(int64_t, int64_t)>& progress) {
    defenses::AttackAugmentationOptions o;
    o.examples = examples;
    o.seed = seed;
    defenses::AttackAugmentation r;
    {
      py::gil_scoped_release nogil;
      r = defenses::attack_augmentation(attack, victim, texts, labels, o, progress);
    }
    return py::make_tuple(r.texts, r.labels, r.indices, r.ids, r.results);
  }, py::arg("attack"), py::arg("victim"), py::arg("texts"), py::arg("labels"), py::arg("examples"),
     py::arg("seed"), py::arg("progress"));

  // The adversarial-training loop: C++ runs the epoch (attacks, Free AT's replays, validation);
  // the Python model, optimizer and DataLoader are called back with the GIL taken.
  using defenses::EpochRecord;
  py::class_<EpochRecord>(d, "EpochRecord")
      .def(py::init<>())
      .def_readwrite("epoch", &EpochRecord::epoch)
      .def_readwrite("train_loss", &EpochRecord::train_loss)
      .def_readwrite("train_accuracy", &EpochRecord::train_accuracy)
      .def_readwrite("clean_accuracy", &EpochRecord::clean_accuracy)
      .def_readwrite("robust_accuracy", &EpochRecord::robust_accuracy)
      .def_readwrite("lr", &EpochRecord::lr)
      .def_readwrite("seconds", &EpochRecord::seconds);
  using defenses::AdversarialTrainer;
  using Begin = std::function<void(uint64_t)>;
  using Next = std::function<std::optional<std::pair<at::Tensor, at::Tensor>>()>;
  auto source = [](const Begin& begin, const Next& next, int64_t batches) {
    return data::FunctionBatches(
        begin,
        [next]() -> std::optional<data::Batch> {
          auto b = next();
          if (!b) return std::nullopt;
          return data::Batch{b->first, b->second};
        },
        batches);
  };
  py::class_<AdversarialTrainer>(d, "AdversarialTrainer")
      .def(py::init([](Classifier& crafter, const defenses::Forward& forward, std::function<void()> zero_grad,
                       std::function<void()> step, std::function<void()> end_epoch, std::function<double()> lr,
                       const std::string& method, double eps, const std::string& norm, int64_t steps,
                       std::optional<double> step_size, double beta, int64_t replays, int64_t epochs, uint64_t seed,
                       int64_t val_steps, std::function<void(int64_t, int64_t, int64_t, int64_t, double)> on_batch) {
             defenses::OptimizerHooks h;
             h.zero_grad = std::move(zero_grad);
             h.step = std::move(step);
             h.end_epoch = std::move(end_epoch);
             h.lr = std::move(lr);
             defenses::AdversarialTrainingOptions o;
             o.method = defenses::parse_training_method(method, "AdversarialTrainer");
             o.eps = eps;
             o.norm = ops::parse_norm(norm, "AdversarialTrainer: norm");
             o.steps = steps;
             o.step_size = step_size;
             o.beta = beta;
             o.replays = replays;
             o.epochs = epochs;
             o.seed = seed;
             o.val_steps = val_steps;
             o.progress = false;
             if (on_batch) {
               o.on_batch = [on_batch](const models::TrainProgress& p) {
                 on_batch(p.epoch, p.epochs, p.batch, p.batches, p.loss);
               };
             }
             return std::make_unique<AdversarialTrainer>(crafter, forward, std::move(h), std::move(o));
           }),
           py::arg("crafter"), py::arg("forward"), py::arg("zero_grad"), py::arg("step"), py::arg("end_epoch"),
           py::arg("lr"), py::arg("method"), py::arg("eps"), py::arg("norm"), py::arg("steps"), py::arg("step_size"),
           py::arg("beta"), py::arg("replays"), py::arg("epochs"), py::arg("seed"), py::arg("val_steps"),
           py::arg("on_batch"), py::keep_alive<1, 2>())
      .def("train_epoch", [source](AdversarialTrainer& t, const Begin& begin, const Next& next, int64_t batches,
                                   std::optional<Begin> val_begin, std::optional<Next> val_next, int64_t val_batches) {
             data::FunctionBatches train = source(begin, next, batches);
             std::optional<data::FunctionBatches> val;
             if (val_begin && val_next) val.emplace(source(*val_begin, *val_next, val_batches));
             py::gil_scoped_release nogil;
             return t.train_epoch(train, val ? &*val : nullptr);
           }, py::arg("begin"), py::arg("next"), py::arg("batches"), py::arg("val_begin"), py::arg("val_next"),
           py::arg("val_batches"))
      .def("epoch_seed", &AdversarialTrainer::epoch_seed, py::arg("epoch"))
      .def_property_readonly("epoch", &AdversarialTrainer::epoch)
      .def_property_readonly("history", &AdversarialTrainer::history)
      .def("set_history", &AdversarialTrainer::set_history, py::arg("history"))
      .def_property("free_delta", &AdversarialTrainer::free_delta, &AdversarialTrainer::set_free_delta);

  py::module_ mt = m.attr("metrics").cast<py::module_>();
  mt.def("clopper_pearson_lower", &metrics::clopper_pearson_lower, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("clopper_pearson_upper", &metrics::clopper_pearson_upper, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("binomial_test_half", &metrics::binomial_test_half, py::arg("k"), py::arg("n"));
}

}  // namespace bulwark::python

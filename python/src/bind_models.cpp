#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/core/error.h>
#include <bulwark/core/paths.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/reference.h>
#include <bulwark/models/training_checkpoint.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
// Parameters and buffers by their dotted names, as torch's state_dict() (copies).
py::dict state_dict(const torch::nn::Module& m) {
  py::dict out;
  for (const auto& [name, t] : models::module_state(m)) out[py::str(name)] = t.detach().clone();
  return out;
}

using PyProgress = std::function<void(int64_t, int64_t, int64_t, int64_t, double)>;
// Training settings from Python: progress goes to the Python callback (under the GIL), if any,
// never to the C++ progress line.
models::TrainOptions training_options(int64_t epochs, int64_t batch_size, double lr, uint64_t seed,
                                      const PyProgress& on_batch) {
  models::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.lr = lr;
  o.seed = seed;
  o.progress = false;
  if (on_batch) {
    o.on_batch = [on_batch](const models::TrainProgress& p) {
      py::gil_scoped_acquire gil;
      on_batch(p.epoch, p.epochs, p.batch, p.batches, p.loss);
    };
  }
  return o;
}

void load_state_dict(torch::nn::Module& m, const py::dict& state) {
  models::NamedTensors items;
  for (auto item : state) items.emplace_back(py::str(item.first), item.second.cast<at::Tensor>());
  models::load_module_state(m, items, m.name() + ".load_state_dict");
}
}  // namespace

void bind_models(py::module_& m) {
  py::module_ md = m.def_submodule("models", "Reference models and checkpoints.");
  using models::FashionCNNImpl;
  using release = py::call_guard<py::gil_scoped_release>;

  py::class_<FashionCNNImpl, std::shared_ptr<FashionCNNImpl>>(md, "FashionCNN")
      .def(py::init<uint64_t>(), py::arg("seed") = 0)
      .def("forward", &FashionCNNImpl::forward, py::arg("x"), release())
      .def("features", &FashionCNNImpl::features, py::arg("x"), release())
      .def("state_dict", [](const FashionCNNImpl& net) { return state_dict(net); })
      .def("load_state_dict", [](FashionCNNImpl& net, const py::dict& s) { load_state_dict(net, s); },
           py::arg("state"))
      .def("save", [](const FashionCNNImpl& net, const std::string& path) {
        models::save_checkpoint(net, path);
      }, py::arg("path"), release())
      .def("load", [](FashionCNNImpl& net, const std::string& path) {
        models::load_checkpoint(net, path);
      }, py::arg("path"), release())
      .def("classifier", [](const std::shared_ptr<FashionCNNImpl>& net) -> std::shared_ptr<Classifier> {
        ClassifierOptions o;
        o.num_classes = 10;
        o.input_shape = {1, 28, 28};
        return std::make_shared<ModuleClassifier>(net, o);
      });

  using models::TextModel;
  py::class_<TextModel, std::shared_ptr<TextModel>>(md, "TextModel")
      .def("forward", &TextModel::forward, py::arg("ids"), release())
      .def("embed", &TextModel::embed, py::arg("ids"), release())
      .def("forward_embedded", &TextModel::forward_embedded, py::arg("embeddings"), py::arg("mask"),
           release())
      .def("state_dict", [](const TextModel& net) { return state_dict(net); })
      .def("load_state_dict", [](TextModel& net, const py::dict& s) { load_state_dict(net, s); },
           py::arg("state"));
  py::class_<models::EmbeddingBagClassifier, TextModel, std::shared_ptr<models::EmbeddingBagClassifier>>(
      md, "EmbeddingBagClassifier")
      .def(py::init<int64_t, int64_t, int64_t, uint64_t>(), py::arg("vocab_size"), py::arg("dim"),
           py::arg("num_classes"), py::arg("seed"));
  py::class_<models::TextCNN, TextModel, std::shared_ptr<models::TextCNN>>(md, "TextCNN")
      .def(py::init<int64_t, int64_t, int64_t, int64_t, uint64_t>(), py::arg("vocab_size"),
           py::arg("dim"), py::arg("filters"), py::arg("num_classes"), py::arg("seed"));

  md.def("trained_spam_classifier",
         [](const std::string& arch, int64_t epochs, int64_t batch_size, double lr, int64_t dim,
            int64_t max_len, int64_t min_freq, int64_t max_vocab, uint64_t seed, bool use_cache,
            const std::string& cache_dir, const std::string& data_dir,
            std::function<void(int64_t, int64_t, int64_t, int64_t, double)> on_batch) {
           models::SpamClassifierRecipe r;
           r.arch = arch;
           r.training = training_options(epochs, batch_size, lr, seed, on_batch);
           r.dim = dim;
           r.max_len = max_len;
           r.min_freq = min_freq;
           r.max_vocab = max_vocab;
           r.use_cache = use_cache;
           r.cache_dir = cache_dir;
           r.data_dir = data_dir;
           bool cached = false;
           models::SpamClassifier out;
           {
             py::gil_scoped_release nogil;
             out = models::trained_spam_classifier(r, &cached);
           }
           return py::make_tuple(out.model, out.vocabulary.tokens(), cached);
         },
         py::arg("arch"), py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("dim"),
         py::arg("max_len"), py::arg("min_freq"), py::arg("max_vocab"), py::arg("seed"),
         py::arg("use_cache"), py::arg("cache_dir"), py::arg("data_dir"), py::arg("on_batch"));

  md.def("cache_dir", [] { return bulwark::cache_dir(); });

  // The training loop's records and its checkpoint format (training_loop.h,
  // training_checkpoint.h), shared by the C++ and the Python AdversarialTrainer.
  using models::EpochRecord;
  py::class_<EpochRecord>(md, "EpochRecord")
      .def(py::init<>())
      .def_readwrite("epoch", &EpochRecord::epoch)
      .def_readwrite("train_loss", &EpochRecord::train_loss)
      .def_readwrite("train_accuracy", &EpochRecord::train_accuracy)
      .def_readwrite("clean_accuracy", &EpochRecord::clean_accuracy)
      .def_readwrite("robust_accuracy", &EpochRecord::robust_accuracy)
      .def_readwrite("lr", &EpochRecord::lr)
      .def_readwrite("seconds", &EpochRecord::seconds);
  using models::TrainerState;
  py::class_<TrainerState>(md, "TrainerState")
      .def(py::init<>())
      .def_readwrite("method", &TrainerState::method)
      .def_readwrite("seed", &TrainerState::seed)
      .def_readwrite("history", &TrainerState::history)
      .def_readwrite("free_delta", &TrainerState::free_delta);
  using models::OptimizerState;
  py::class_<OptimizerState>(md, "OptimizerState")
      .def(py::init<>())
      .def_readwrite("kind", &OptimizerState::kind)
      .def_readwrite("group_settings", &OptimizerState::group_settings)
      .def_readwrite("group_params", &OptimizerState::group_params)
      .def_readwrite("param_state", &OptimizerState::param_state);
  using models::TrainingCheckpoint;
  py::class_<TrainingCheckpoint>(md, "TrainingCheckpoint")
      .def(py::init<>())
      .def_readwrite("model", &TrainingCheckpoint::model)
      .def_readwrite("optimizer", &TrainingCheckpoint::optimizer)
      .def_readwrite("trainer", &TrainingCheckpoint::trainer)
      .def_readwrite("scheduler", &TrainingCheckpoint::scheduler);
  md.def("write_training_checkpoint", &models::write_training_checkpoint, py::arg("path"), py::arg("checkpoint"),
         release());
  md.def("read_training_checkpoint", &models::read_training_checkpoint, py::arg("path"), release());
  md.def("trained_fashion_cnn",
         [](int64_t epochs, int64_t batch_size, double lr, uint64_t seed, int64_t train_samples, bool use_cache,
            const std::string& cache_dir, const std::string& data_dir,
            std::function<void(int64_t, int64_t, int64_t, int64_t, double)> on_batch) {
           models::FashionCNNRecipe r;
           r.training = training_options(epochs, batch_size, lr, seed, on_batch);
           r.train_samples = train_samples;
           r.use_cache = use_cache;
           r.cache_dir = cache_dir;
           r.data_dir = data_dir;
           bool cached = false;
           models::FashionCNN net{nullptr};
           {
             py::gil_scoped_release nogil;
             net = models::trained_fashion_cnn(r, &cached);
           }
           return py::make_tuple(net.ptr(), cached);
         },
         py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("seed"), py::arg("train_samples"),
         py::arg("use_cache"), py::arg("cache_dir"), py::arg("data_dir"), py::arg("on_batch"));
}

}  // namespace bulwark::python

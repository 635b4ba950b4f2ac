#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/core/error.h>
#include <bulwark/core/paths.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/reference.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
// Parameters and buffers by their dotted names, as torch's state_dict().
py::dict state_dict(const torch::nn::Module& m) {
  py::dict out;
  for (const auto& p : m.named_parameters()) out[py::str(p.key())] = p.value().detach().clone();
  for (const auto& b : m.named_buffers()) out[py::str(b.key())] = b.value().detach().clone();
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
  auto params = m.named_parameters();
  auto buffers = m.named_buffers();
  BULWARK_CHECK(static_cast<size_t>(py::len(state)) == params.size() + buffers.size(),
                m.name(), ".load_state_dict: expected ", params.size() + buffers.size(),
                " entries, got ", py::len(state));
  at::NoGradGuard no_grad;
  for (auto item : state) {
    const std::string name = py::str(item.first);
    const at::Tensor value = item.second.cast<at::Tensor>();
    at::Tensor* target = params.find(name);
    if (target == nullptr) target = buffers.find(name);
    BULWARK_CHECK(target != nullptr, m.name(), ".load_state_dict: unknown entry '", name, "'");
    BULWARK_CHECK_SHAPE(target->sizes().equals(value.sizes()), m.name(), ".load_state_dict: '",
                        name, "' must have shape ", target->sizes(), ", got ", value.sizes());
    target->copy_(value);
  }
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
  md.def("trained_fashion_cnn",
         [](int64_t epochs, int64_t batch_size, double lr, uint64_t seed, bool use_cache,
            const std::string& cache_dir, const std::string& data_dir,
            std::function<void(int64_t, int64_t, int64_t, int64_t, double)> on_batch) {
           models::FashionCNNRecipe r;
           r.training = training_options(epochs, batch_size, lr, seed, on_batch);
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
         py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("seed"),
         py::arg("use_cache"), py::arg("cache_dir"), py::arg("data_dir"), py::arg("on_batch"));
}

}  // namespace bulwark::python

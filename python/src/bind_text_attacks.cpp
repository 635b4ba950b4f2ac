#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <torch/csrc/jit/serialization/import.h>

#include <bulwark/attacks/text/candidates.h>
#include <bulwark/attacks/text/deepwordbug.h>
#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/attacks/text/textfooler.h>
#include <bulwark/attacks/text/victim.h>
#include <bulwark/core/error.h>

#include "bindings.h"
#include "python_text_victim.h"

namespace bulwark::python {

namespace at_ = attacks::text;

namespace {
template <typename T>
T get(const py::dict& d, const char* key) {
  return d[key].cast<T>();
}

// The shared options, already type-checked by the Python wrappers.
template <typename Options>
Options base_options(const py::dict& d) {
  Options o;
  o.constraints.max_change_fraction = get<double>(d, "max_change_fraction");
  o.constraints.min_cosine = d["min_cosine"].is_none() ? -1.0 : get<double>(d, "min_cosine");
  o.constraints.query_budget = d["query_budget"].is_none() ? -1 : get<int64_t>(d, "query_budget");
  o.constraints.skip_stopwords = get<bool>(d, "skip_stopwords");
  if (!d["stopwords"].is_none()) o.constraints.stopwords = get<std::vector<std::string>>(d, "stopwords");
  o.constraints.same_pos = get<bool>(d, "same_pos");
  o.targeted = get<bool>(d, "targeted");
  o.batch_size = get<int64_t>(d, "batch_size");
  o.seed = get<uint64_t>(d, "seed");
  return o;
}

// "wordnet", "embedding", "filtered" or a callable word -> list of words.
std::shared_ptr<at_::WordCandidates> candidates_of(const py::object& spec, int64_t k,
                                                  double min_cosine) {
  if (py::isinstance<py::str>(spec)) {
    const auto name = spec.cast<std::string>();
    if (name == "wordnet") return std::make_shared<at_::WordNetSynonyms>();
    if (name == "embedding") return std::make_shared<at_::EmbeddingNeighbours>(k, min_cosine);
    if (name == "filtered") return std::make_shared<at_::FilteredSynonyms>(k, min_cosine);
    throw InvalidArgument("candidates must be 'wordnet', 'embedding', 'filtered' or a callable "
                          "word -> list of words, got '" + name + "'");
  }
  py::function fn = spec.cast<py::function>();
  std::string name = py::repr(spec).cast<std::string>();
  return std::make_shared<at_::CandidateFunction>(
      [fn](const std::string& word) {
        py::gil_scoped_acquire gil;
        py::object out = fn(word);
        BULWARK_CHECK_TYPE(py::isinstance<py::list>(out) || py::isinstance<py::tuple>(out),
                           "candidates: the function must return a list of str, got ",
                           py::str(py::type::of(out).attr("__name__")).cast<std::string>());
        std::vector<std::string> words;
        for (py::handle w : out) {
          BULWARK_CHECK_TYPE(py::isinstance<py::str>(w),
                             "candidates: the function must return a list of str, got an item of type ",
                             py::str(py::type::of(w).attr("__name__")).cast<std::string>());
          words.push_back(w.cast<std::string>());
        }
        return words;
      },
      "CandidateFunction(" + name + ")", /*thread_safe=*/false);
}

py::dict summary_dict(const at_::TextAttackSummary& s) {
  py::dict d;
  d["examples"] = s.examples;
  d["successes"] = s.successes;
  d["failures"] = s.failures;
  d["skipped"] = s.skipped;
  d["original_accuracy"] = s.original_accuracy;
  d["accuracy_under_attack"] = s.accuracy_under_attack;
  d["success_rate"] = s.success_rate;
  d["mean_perturbed_percent"] = s.mean_perturbed_percent;
  d["mean_queries"] = s.mean_queries;
  d["seconds_per_example"] = s.seconds_per_example;
  d["budgets"] = s.budgets;
  d["success_curve"] = s.success_curve;
  return d;
}
}  // namespace

void bind_text_attacks(py::module_& m) {
  py::module_ t = m.attr("text").cast<py::module_>();

  py::class_<at_::TextVictim, std::shared_ptr<at_::TextVictim>>(t, "TextVictim")
      .def("logits", &at_::TextVictim::logits, py::arg("ids"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("white_box", &at_::TextVictim::white_box)
      .def_property_readonly("max_len", &at_::TextVictim::max_len)
      .def("embedding_matrix", &at_::TextVictim::embedding_matrix)
      .def("queries", [](const at_::TextVictim& v) { return counts_dict(v.queries()); })
      .def("reset_queries", &at_::TextVictim::reset_queries)
      .def("__repr__", &at_::TextVictim::repr);

  py::class_<PythonTextVictim, std::shared_ptr<PythonTextVictim>, at_::TextVictim>(t, "PythonTextVictim")
      .def(py::init([](py::object model, const text::Vocabulary& vocab, const text::Tokenizer& tok,
                       int64_t max_len) {
             return std::make_shared<PythonTextVictim>(
                 std::move(model), std::make_shared<const text::Vocabulary>(vocab), tok, max_len);
           }),
           py::arg("model"), py::arg("vocabulary"), py::arg("tokenizer"), py::arg("max_len"))
      .def_property_readonly("model", &PythonTextVictim::model);

  py::class_<at_::TorchScriptTextVictim, std::shared_ptr<at_::TorchScriptTextVictim>, at_::TextVictim>(
      t, "TorchScriptTextVictim")
      .def(py::init([](const std::string& path, const text::Vocabulary& vocab,
                       const text::Tokenizer& tok, int64_t max_len) {
             torch::jit::Module module;
             try {
               module = torch::jit::load(path);
             } catch (const c10::Error& e) {
               throw FileError("TorchScriptTextVictim: cannot load '" + path +
                               "' as TorchScript: " + e.what_without_backtrace());
             }
             return std::make_shared<at_::TorchScriptTextVictim>(
                 module, std::make_shared<const text::Vocabulary>(vocab), tok, max_len);
           }),
           py::arg("path"), py::arg("vocabulary"), py::arg("tokenizer"), py::arg("max_len"));

  py::class_<at_::TextAttackResult>(t, "TextAttackResult")
      .def_property_readonly("status", [](const at_::TextAttackResult& r) { return at_::to_string(r.status); })
      .def_readonly("note", &at_::TextAttackResult::note)
      .def_readonly("original_text", &at_::TextAttackResult::original_text)
      .def_readonly("adversarial_text", &at_::TextAttackResult::adversarial_text)
      .def_readonly("original_words", &at_::TextAttackResult::original_words)
      .def_readonly("adversarial_words", &at_::TextAttackResult::adversarial_words)
      .def_readonly("modified", &at_::TextAttackResult::modified)
      .def_readonly("label", &at_::TextAttackResult::label)
      .def_readonly("original_prediction", &at_::TextAttackResult::original_prediction)
      .def_readonly("adversarial_prediction", &at_::TextAttackResult::adversarial_prediction)
      .def_readonly("original_probabilities", &at_::TextAttackResult::original_probabilities)
      .def_readonly("adversarial_probabilities", &at_::TextAttackResult::adversarial_probabilities)
      .def_readonly("queries", &at_::TextAttackResult::queries)
      .def_readonly("backward_queries", &at_::TextAttackResult::backward_queries)
      .def_readonly("num_words", &at_::TextAttackResult::num_words)
      .def_readonly("truncated", &at_::TextAttackResult::truncated)
      .def_readonly("edit_distance", &at_::TextAttackResult::edit_distance)
      .def_readonly("seconds", &at_::TextAttackResult::seconds)
      .def_property_readonly("perturbed_fraction", &at_::TextAttackResult::perturbed_fraction)
      .def("render", &at_::render_edits, py::arg("format") = "plain");

  t.def("summarize", [](const std::vector<at_::TextAttackResult>& results, std::vector<int64_t> budgets) {
    return summary_dict(at_::summarize(results, std::move(budgets)));
  }, py::arg("results"), py::arg("budgets"));
  t.def("default_stopwords", &at_::default_stopwords);
  t.def("character_edits", &at_::DeepWordBug::character_edits, py::arg("word"), py::arg("kinds"));
  t.def("levenshtein", &at_::DeepWordBug::levenshtein, py::arg("a"), py::arg("b"));
  t.def("hotflip_gains", &at_::HotFlip::first_order_gains, py::arg("victim"), py::arg("ids"),
        py::arg("label"), py::arg("targeted"), py::call_guard<py::gil_scoped_release>());

  py::class_<at_::TextAttack, std::shared_ptr<at_::TextAttack>>(t, "TextAttack")
      .def("run", [](at_::TextAttack& a, at_::TextVictim& v, const std::vector<std::string>& texts,
                     const std::vector<int64_t>& labels,
                     const std::function<void(int64_t, int64_t)>& progress) {
        py::gil_scoped_release nogil;
        return a.run(v, texts, labels, progress);
      }, py::arg("victim"), py::arg("texts"), py::arg("labels"), py::arg("progress"))
      .def("__repr__", &at_::TextAttack::repr);

  py::class_<at_::PWWS, std::shared_ptr<at_::PWWS>, at_::TextAttack>(t, "PWWS")
      .def(py::init([](const py::dict& d) {
        return std::make_shared<at_::PWWS>(base_options<at_::PWWSOptions>(d),
                                           candidates_of(d["candidates"], get<int64_t>(d, "max_candidates"),
                                                         get<double>(d, "candidate_cosine")));
      }));
  py::class_<at_::TextFooler, std::shared_ptr<at_::TextFooler>, at_::TextAttack>(t, "TextFooler")
      .def(py::init([](const py::dict& d) {
        auto o = base_options<at_::TextFoolerOptions>(d);
        o.max_candidates = get<int64_t>(d, "max_candidates");
        o.candidate_cosine = get<double>(d, "candidate_cosine");
        return std::make_shared<at_::TextFooler>(
            o, candidates_of(d["candidates"], o.max_candidates, o.candidate_cosine));
      }));
  py::class_<at_::HotFlip, std::shared_ptr<at_::HotFlip>, at_::TextAttack>(t, "HotFlip")
      .def(py::init([](const py::dict& d) {
        auto o = base_options<at_::HotFlipOptions>(d);
        o.beam_width = get<int64_t>(d, "beam_width");
        o.flips_per_state = get<int64_t>(d, "flips_per_state");
        o.candidates = get<std::string>(d, "candidates");
        o.neighbours = get<int64_t>(d, "neighbours");
        return std::make_shared<at_::HotFlip>(o);
      }));
  py::class_<at_::DeepWordBug, std::shared_ptr<at_::DeepWordBug>, at_::TextAttack>(t, "DeepWordBug")
      .def(py::init([](const py::dict& d) {
        auto o = base_options<at_::DeepWordBugOptions>(d);
        o.scoring = get<std::string>(d, "scoring");
        o.lambda = get<double>(d, "lambda_");
        o.edits = get<std::vector<std::string>>(d, "edits");
        o.max_edit_distance = get<int64_t>(d, "max_edit_distance");
        return std::make_shared<at_::DeepWordBug>(o);
      }));
}

}  // namespace bulwark::python

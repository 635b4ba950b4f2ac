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

#include <cstdio>

#include "bindings.h"
#include "options.h"
#include "python_text_victim.h"

namespace bulwark::python {

namespace at_ = attacks::text;

namespace {
// The options every text attack shares (TextAttackOptions and its constraints), flat as Python
// sees them: min_cosine and query_budget None for "off" (-1 in C++), stopwords None for the
// default list (empty in C++).
template <typename O>
Fields<O> text_fields(py::class_<O>& c, const char* owner) {
  Fields<O> f(c, owner);
  f.add_at("max_change_fraction", [](O& o) -> double& { return o.constraints.max_change_fraction; })
      .add_sentinel("min_cosine", [](O& o) -> double& { return o.constraints.min_cosine; }, -1.0)
      .add_sentinel("query_budget", [](O& o) -> int64_t& { return o.constraints.query_budget; }, int64_t{-1})
      .add_at("skip_stopwords", [](O& o) -> bool& { return o.constraints.skip_stopwords; })
      .add_sentinel("stopwords", [](O& o) -> std::vector<std::string>& { return o.constraints.stopwords; },
                    std::vector<std::string>{})
      .add_at("same_pos", [](O& o) -> bool& { return o.constraints.same_pos; })
      .add("targeted", &O::targeted)
      .add("batch_size", &O::batch_size)
      .add("seed", &O::seed);
  return f;
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

}  // namespace

void bind_text_attacks(py::module_& m) {
  py::module_ t = m.attr("text").cast<py::module_>();

  py::class_<at_::TextVictim, std::shared_ptr<at_::TextVictim>>(t, "TextVictim")
      .def("logits", &at_::TextVictim::logits, py::arg("ids"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("white_box", &at_::TextVictim::white_box)
      .def_property_readonly("max_len", &at_::TextVictim::max_len)
      .def("embedding_matrix", &at_::TextVictim::embedding_matrix)
      .def("queries", &at_::TextVictim::queries)
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

  py::class_<at_::TextEdit>(t, "TextEdit")
      .def(py::init([](int64_t word, int64_t begin, int64_t end, std::string before, std::string after) {
             return at_::TextEdit{word, begin, end, std::move(before), std::move(after)};
           }),
           py::arg("word"), py::arg("begin"), py::arg("end"), py::arg("before"), py::arg("after"))
      .def_readonly("word", &at_::TextEdit::word)
      .def_readonly("begin", &at_::TextEdit::begin)
      .def_readonly("end", &at_::TextEdit::end)
      .def_readonly("before", &at_::TextEdit::before)
      .def_readonly("after", &at_::TextEdit::after)
      .def("__repr__", [](const at_::TextEdit& e) {
        return "TextEdit(word=" + std::to_string(e.word) + ", begin=" + std::to_string(e.begin) + ", end=" +
               std::to_string(e.end) + ", before=" + py::repr(py::str(e.before)).cast<std::string>() +
               ", after=" + py::repr(py::str(e.after)).cast<std::string>() + ")";
      });
  py::class_<at_::TextExcerpt>(t, "TextExcerpt")
      .def_readonly("text", &at_::TextExcerpt::text)
      .def_readonly("offset", &at_::TextExcerpt::offset)
      .def_readonly("cut_start", &at_::TextExcerpt::cut_start)
      .def_readonly("cut_end", &at_::TextExcerpt::cut_end)
      .def_readonly("edits", &at_::TextExcerpt::edits)
      .def("render", [](const at_::TextExcerpt& x, const std::string& format) {
        return at_::render_edits(x.text, x.edits, format);
      }, py::arg("format") = "plain");
  t.def("render_edits", py::overload_cast<const std::string&, const std::vector<at_::TextEdit>&, const std::string&>(
                            &at_::render_edits),
        py::arg("text"), py::arg("edits"), py::arg("format") = "plain");

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
      .def_property_readonly("edits", &at_::text_edits)
      .def("excerpt", &at_::text_excerpt, py::arg("context") = 250, py::arg("length") = 800)
      .def("render", py::overload_cast<const at_::TextAttackResult&, const std::string&>(&at_::render_edits),
           py::arg("format") = "plain");

  using at_::TextAttackSummary;
  py::class_<TextAttackSummary>(t, "TextAttackSummary")
      .def_readonly("examples", &TextAttackSummary::examples)
      .def_readonly("successes", &TextAttackSummary::successes)
      .def_readonly("failures", &TextAttackSummary::failures)
      .def_readonly("skipped", &TextAttackSummary::skipped)
      .def_readonly("original_accuracy", &TextAttackSummary::original_accuracy)
      .def_readonly("accuracy_under_attack", &TextAttackSummary::accuracy_under_attack)
      .def_readonly("success_rate", &TextAttackSummary::success_rate)
      .def_readonly("mean_perturbed_percent", &TextAttackSummary::mean_perturbed_percent)
      .def_readonly("mean_queries", &TextAttackSummary::mean_queries)
      .def_readonly("seconds_per_example", &TextAttackSummary::seconds_per_example)
      .def_readonly("budgets", &TextAttackSummary::budgets)
      .def_readonly("success_curve", &TextAttackSummary::success_curve)
      .def("as_dict", [](const py::object& s) {  // for JSON files
        py::dict d;
        for (const char* k : {"examples", "successes", "failures", "skipped", "original_accuracy",
                              "accuracy_under_attack", "success_rate", "mean_perturbed_percent", "mean_queries",
                              "seconds_per_example", "budgets", "success_curve"}) {
          d[k] = s.attr(k);
        }
        return d;
      })
      .def("__repr__", [](const TextAttackSummary& s) {
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "TextAttackSummary(examples=%ld, successes=%ld, failures=%ld, skipped=%ld, success_rate=%.4f, "
                      "accuracy_under_attack=%.4f, mean_perturbed_percent=%.2f, mean_queries=%.1f)",
                      static_cast<long>(s.examples), static_cast<long>(s.successes), static_cast<long>(s.failures),
                      static_cast<long>(s.skipped), s.success_rate, s.accuracy_under_attack,
                      s.mean_perturbed_percent, s.mean_queries);
        return std::string(buf);
      });
  t.def("summarize", &at_::summarize, py::arg("results"), py::arg("budgets"));
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
      .def_property_readonly("seed", [](const at_::TextAttack& a) { return *a.base_options().seed; })
      .def("__repr__", &at_::TextAttack::repr);

  // Each attack takes its Options struct, a typed class (options.h); C++ checks the values.
  {
    py::class_<at_::PWWSOptions> c(t, "PWWSOptions");
    c.def(py::init<>());
    text_fields(c, "PWWS");
  }
  py::class_<at_::PWWS, std::shared_ptr<at_::PWWS>, at_::TextAttack>(t, "PWWS")
      .def(py::init([](const at_::PWWSOptions& o, const py::object& candidates, int64_t max_candidates,
                       double candidate_cosine) {
             return std::make_shared<at_::PWWS>(o, candidates_of(candidates, max_candidates, candidate_cosine));
           }),
           py::arg("options"), py::arg("candidates"), py::arg("max_candidates"), py::arg("candidate_cosine"));
  {
    py::class_<at_::TextFoolerOptions> c(t, "TextFoolerOptions");
    c.def(py::init<>());
    text_fields(c, "TextFooler")
        .add("max_candidates", &at_::TextFoolerOptions::max_candidates)
        .add("candidate_cosine", &at_::TextFoolerOptions::candidate_cosine);
  }
  py::class_<at_::TextFooler, std::shared_ptr<at_::TextFooler>, at_::TextAttack>(t, "TextFooler")
      .def(py::init([](const at_::TextFoolerOptions& o, const py::object& candidates) {
             // "filtered" is TextFooler's own default, made after its checks of the options.
             const bool own = py::isinstance<py::str>(candidates) && candidates.cast<std::string>() == "filtered";
             return std::make_shared<at_::TextFooler>(
                 o, own ? nullptr : candidates_of(candidates, o.max_candidates, o.candidate_cosine));
           }),
           py::arg("options"), py::arg("candidates"));
  {
    py::class_<at_::HotFlipOptions> c(t, "HotFlipOptions");
    c.def(py::init<>());
    text_fields(c, "HotFlip")
        .add("beam_width", &at_::HotFlipOptions::beam_width)
        .add("flips_per_state", &at_::HotFlipOptions::flips_per_state)
        .add("candidates", &at_::HotFlipOptions::candidates)
        .add("neighbours", &at_::HotFlipOptions::neighbours);
  }
  py::class_<at_::HotFlip, std::shared_ptr<at_::HotFlip>, at_::TextAttack>(t, "HotFlip")
      .def(py::init<at_::HotFlipOptions>(), py::arg("options"));
  {
    py::class_<at_::DeepWordBugOptions> c(t, "DeepWordBugOptions");
    c.def(py::init<>());
    text_fields(c, "DeepWordBug")
        .add("scoring", &at_::DeepWordBugOptions::scoring)
        .add_at("lambda_", [](at_::DeepWordBugOptions& o) -> double& { return o.lambda; })
        .add("edits", &at_::DeepWordBugOptions::edits)
        .add("max_edit_distance", &at_::DeepWordBugOptions::max_edit_distance);
  }
  py::class_<at_::DeepWordBug, std::shared_ptr<at_::DeepWordBug>, at_::TextAttack>(t, "DeepWordBug")
      .def(py::init<at_::DeepWordBugOptions>(), py::arg("options"));
}

}  // namespace bulwark::python

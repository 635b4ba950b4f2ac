#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/data/spam_assassin.h>
#include <bulwark/text/encode.h>
#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>
#include <bulwark/text/wordnet.h>

#include "bindings.h"

namespace bulwark::python {

void bind_text(py::module_& m) {
  py::module_ t = m.def_submodule("text", "Text tools: tokenizer, vocabulary, WordNet.");
  using release = py::call_guard<py::gil_scoped_release>;

  py::class_<text::Tokenizer>(t, "Tokenizer")
      .def(py::init([](bool lowercase, bool keep_punctuation) {
             return text::Tokenizer({lowercase, keep_punctuation});
           }),
           py::arg("lowercase"), py::arg("keep_punctuation"))
      .def("tokenize", &text::Tokenizer::tokenize, py::arg("text"))
      .def("tokenize_batch", &text::tokenize_all, py::arg("texts"), release())
      .def_property_readonly("lowercase", [](const text::Tokenizer& x) { return x.options().lowercase; })
      .def_property_readonly("keep_punctuation",
                             [](const text::Tokenizer& x) { return x.options().keep_punctuation; })
      .def("__repr__", &text::Tokenizer::repr);

  py::class_<text::Vocabulary>(t, "Vocabulary")
      .def(py::init<const std::vector<std::string>&>(), py::arg("tokens"))
      .def_static("build", &text::Vocabulary::build, py::arg("documents"), py::arg("min_freq"),
                  py::arg("max_size"), release())
      .def_static("load", &text::Vocabulary::load, py::arg("path"))
      .def("save", &text::Vocabulary::save, py::arg("path"))
      .def("__len__", &text::Vocabulary::size)
      .def("__contains__", &text::Vocabulary::contains, py::arg("token"))
      .def("id", &text::Vocabulary::id, py::arg("token"))
      .def("token", &text::Vocabulary::token, py::arg("id"))
      .def_property_readonly("tokens", &text::Vocabulary::tokens)
      .def("encode", &text::Vocabulary::encode, py::arg("tokens"))
      .def("decode", &text::Vocabulary::decode, py::arg("ids"), py::arg("skip_pad"))
      .def("encode_batch", [](const text::Vocabulary& v, const std::vector<std::vector<std::string>>& docs,
                              int64_t max_len) {
        int64_t cut = 0;
        at::Tensor ids;
        {
          py::gil_scoped_release nogil;
          ids = v.encode_batch(docs, max_len, &cut);
        }
        return py::make_tuple(ids, cut);
      }, py::arg("documents"), py::arg("max_len"))
      .def("__repr__", [](const text::Vocabulary& v) {
        return "Vocabulary(size=" + std::to_string(v.size()) + ")";
      });

  py::class_<text::WordNet, std::unique_ptr<text::WordNet, py::nodelete>>(t, "WordNet")
      .def(py::init([](const std::string& dir) {
             return std::unique_ptr<text::WordNet, py::nodelete>(
                 const_cast<text::WordNet*>(&text::WordNet::load(dir)));
           }),
           py::arg("dir") = "")
      .def("synonyms", [](const text::WordNet& wn, const std::string& word, const std::string& pos) {
        return pos.empty() ? wn.synonyms(word) : wn.synonyms(word, text::parse_pos(pos));
      }, py::arg("word"), py::arg("pos") = "")
      .def("base_forms", [](const text::WordNet& wn, const std::string& word, const std::string& pos) {
        return wn.base_forms(word, text::parse_pos(pos));
      }, py::arg("word"), py::arg("pos"))
      .def("parts_of_speech", [](const text::WordNet& wn, const std::string& word) {
        std::vector<std::string> out;
        for (auto p : wn.parts_of_speech(word)) out.push_back(text::to_string(p));
        return out;
      }, py::arg("word"))
      .def("__len__", &text::WordNet::synset_count)
      .def("__repr__", [](const text::WordNet& wn) {
        return "WordNet(synsets=" + std::to_string(wn.synset_count()) + ")";
      });
  t.def("wordnet_dir", &text::WordNet::default_dir);

  m.attr("data").cast<py::module_>().def(
      "spam_assassin",
      [](const std::string& split, double test_fraction, uint64_t seed, bool deduplicate,
         const std::string& dir) {
        data::SpamAssassinOptions o{split, test_fraction, seed, deduplicate, dir};
        data::TextDataset ds;
        {
          py::gil_scoped_release nogil;
          ds = data::spam_assassin(o);
        }
        return py::make_tuple(ds.texts, ds.labels, ds.ids);
      },
      py::arg("split"), py::arg("test_fraction"), py::arg("seed"), py::arg("deduplicate"),
      py::arg("dir"));
  m.attr("data").cast<py::module_>().def("spam_assassin_dir", &data::spam_assassin_dir);
}

}  // namespace bulwark::python

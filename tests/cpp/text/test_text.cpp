// Tokenizer, vocabulary, WordNet (with a mutation test of its line parser), e-mail decoding.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <ATen/ATen.h>

#include <bulwark/core/base64.h>
#include <bulwark/core/error.h>
#include <bulwark/data/email.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/text/characters.h>
#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>
#include <bulwark/text/wordnet.h>

using namespace bulwark;
using text::POS;
using Strings = std::vector<std::string>;

TEST_CASE("Tokenizer: words, apostrophes, punctuation", "[text]") {
  text::Tokenizer t;
  CHECK(t.tokenize("Don't BUY now!!! Only $9.99, 'really'") ==
        Strings{"don't", "buy", "now", "only", "9", "99", "really"});
  text::TokenizerOptions o;
  o.keep_punctuation = true;
  CHECK(text::Tokenizer(o).tokenize("Hi, you!") == Strings{"hi", ",", "you", "!"});
  CHECK(t.tokenize("caf\xc3\xa9 ok") == Strings{"caf\xc3\xa9", "ok"});
  CHECK(t.tokenize("").empty());
}

TEST_CASE("Vocabulary: frequency order, round trip, unknowns, save/load", "[text]") {
  const std::vector<Strings> docs = {{"b", "a", "a"}, {"c", "a", "b"}, {"d"}};
  const auto v = text::Vocabulary::build(docs, /*min_freq=*/2);
  CHECK(v.tokens() == Strings{"<pad>", "<unk>", "a", "b"});
  CHECK(v.encode({"a", "zzz", "b"}) == std::vector<int64_t>{2, 1, 3});
  CHECK(v.decode({2, 3, 0, 0}) == Strings{"a", "b"});
  CHECK(text::Vocabulary::build(docs, 1, 4).size() == 4);
  int64_t cut = 0;
  const at::Tensor ids = v.encode_batch(docs, 2, &cut);
  CHECK(ids.sizes() == at::IntArrayRef{3, 2});
  CHECK(cut == 2);
  CHECK(ids[2][1].item<int64_t>() == text::Vocabulary::kPad);
  const auto path = (std::filesystem::temp_directory_path() / "bulwark_vocab.txt").string();
  v.save(path);
  CHECK(text::Vocabulary::load(path).tokens() == v.tokens());
  std::ofstream(path) << "a\nb\n";
  CHECK_THROWS_AS(text::Vocabulary::load(path), FormatError);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(v.token(99), InvalidArgument);
  CHECK_THROWS_AS(text::Vocabulary({"x", "x"}), InvalidArgument);
}

TEST_CASE("WordNet: synonyms by part of speech and morphy base forms", "[text][wordnet]") {
  const auto& wn = text::WordNet::load();
  CHECK(wn.synset_count() == 117659);  // WordNet 3.0: 82,115 + 13,767 + 18,156 + 3,621
  const auto verbs = wn.synonyms("breathe", POS::Verb);
  CHECK(std::find(verbs.begin(), verbs.end(), "respire") != verbs.end());
  CHECK(std::find(verbs.begin(), verbs.end(), "breathe") == verbs.end());
  const auto big = wn.synonyms("big", POS::Adjective);
  CHECK(std::find(big.begin(), big.end(), "large") != big.end());
  CHECK(wn.base_forms("geese", POS::Noun) == Strings{"goose"});       // noun.exc
  CHECK(wn.base_forms("churches", POS::Noun) == Strings{"church"});   // ches -> ch
  CHECK(wn.base_forms("running", POS::Verb) == Strings{"run"});       // verb.exc
  CHECK(wn.base_forms("happier", POS::Adjective) == Strings{"happy"});
  CHECK(wn.synonyms("cars", POS::Noun) == wn.synonyms("car", POS::Noun));
  CHECK(wn.synonyms("qwzxv").empty());
  CHECK(&text::WordNet::load() == &wn);  // parsed once
  CHECK_THROWS_AS(text::WordNet("/nonexistent"), FileError);
  CHECK_THROWS_AS(text::parse_pos("x"), InvalidArgument);
}

TEST_CASE("parse_synset_line: 10,000 mutated lines fail cleanly or parse", "[text][wordnet][fuzz]") {
  std::ifstream in(text::WordNet::default_dir() + "/data.verb");
  Strings lines;
  std::string line;
  while (std::getline(in, line) && lines.size() < 300) {
    if (!line.empty() && line[0] != ' ') lines.push_back(line);
  }
  REQUIRE(lines.size() == 300);
  for (const auto& l : lines) CHECK_NOTHROW(text::parse_synset_line(l));
  std::mt19937_64 rng(99);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string s = lines[rng() % lines.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[at] = static_cast<char>(rng() % 256); break;
        case 1: s.insert(at, 1, " 0x|("[rng() % 5]); break;
        case 2: s.erase(at, 1 + rng() % 8); break;
        default: s.resize(at); break;
      }
    }
    try {
      const auto r = text::parse_synset_line(s);
      CHECK_FALSE(r.words.empty());
      ++parsed;
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  CHECK(parsed + rejected == 10000);
  CHECK(rejected > 1000);
}

TEST_CASE("email_text: headers, quoted-printable, base64, multipart, HTML", "[data][email]") {
  CHECK(data::decode_quoted_printable("caf=C3=A9 soft=\nbreak =3D") == "caf\xc3\xa9 softbreak =");
  CHECK(base64_decode("aGVsbG8gd29y\nbGQ=") == "hello world");
  CHECK(base64_encode("hello world") == "aGVsbG8gd29ybGQ=");
  CHECK(base64_encode("hi") == "aGk=");
  CHECK(base64_decode(base64_encode(std::string("\0\xff\x10", 3))) == std::string("\0\xff\x10", 3));
  CHECK(data::strip_html("<p>Buy&nbsp;<b>now</b></p><script>x()</script>&amp;") ==
        " Buy  now   &");  // each tag and the script block become one space
  const std::string mail =
      "From: a@b\nSubject: hi\nContent-Type: multipart/alternative;\n boundary=\"XX\"\n\n"
      "preamble\n--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
      "plain=20part\n--XX\nContent-Type: text/html\n\n<i>html</i> part\n"
      "--XX\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--XX--\n";
  const std::string body = data::email_text(mail);
  CHECK(body.find("plain part") != std::string::npos);
  CHECK(body.find("html") != std::string::npos);
  CHECK(body.find("<i>") == std::string::npos);
  CHECK(body.find("Subject") == std::string::npos);
  CHECK(body.find("iVBOR") == std::string::npos);
  CHECK(data::email_text("no blank line, headers only: x") == "");
  CHECK(data::to_utf8("caf\xc3\xa9 \xa3" "5") == "caf\xc3\xa9 \xc2\xa3" "5");  // £ from Latin-1
  CHECK(data::to_utf8("\xed\xa0\x80") == "\xc3\xad\xc2\xa0\xc2\x80");  // a surrogate is invalid
}

TEST_CASE("spam_assassin: counts, disjoint stratified split, seeded", "[data][spam]") {
  data::SpamAssassinOptions o;
  o.split = "all";
  o.deduplicate = false;
  const auto all = data::spam_assassin(o);
  CHECK(all.size() == 6046);  // 2500 + 1400 + 250 ham, 500 + 1396 spam
  CHECK(all.labels.sum().item<int64_t>() == 1896);
  o.deduplicate = true;
  const auto dedup = data::spam_assassin(o);
  o.split = "train";
  const auto train = data::spam_assassin(o);
  o.split = "test";
  const auto test = data::spam_assassin(o);
  CHECK(train.size() + test.size() == dedup.size());
  std::set<std::string> train_ids(train.ids.begin(), train.ids.end());
  for (const auto& id : test.ids) CHECK(train_ids.count(id) == 0);
  const double spam_share_train = train.labels.sum().item<double>() / static_cast<double>(train.size());
  const double spam_share_test = test.labels.sum().item<double>() / static_cast<double>(test.size());
  CHECK(std::abs(spam_share_train - spam_share_test) < 0.01);
  o.seed = 1;
  CHECK(data::spam_assassin(o).ids != test.ids);
  o.split = "valid";
  CHECK_THROWS_AS(data::spam_assassin(o), InvalidArgument);
  o.split = "test";
  o.dir = "/nonexistent";
  CHECK_THROWS_WITH(data::spam_assassin(o), Catch::Contains("bootstrap"));
}

TEST_CASE("characters: clusters as a reader sees them, any bytes accepted", "[text]") {
  using bulwark::text::characters;
  CHECK(characters("fu\xCC\x88r") == std::vector<std::string>{"f", "u\xCC\x88", "r"});  // u + combining diaeresis
  CHECK(characters("f\xC3\xBCr") == std::vector<std::string>{"f", "\xC3\xBC", "r"});     // precomposed ü
  // thumbs up + skin tone, then a ZWJ sequence (man ZWJ woman)
  CHECK(characters("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBDx").size() == 2);
  CHECK(characters("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9!").size() == 2);
  // Latin-1 bytes (not UTF-8) are characters of their own; joined, the clusters give the input back.
  const std::string latin1 = "caf\xE9 \xFF\xC3";
  const auto c = characters(latin1);
  CHECK(c.size() == 7);
  std::string joined;
  for (const auto& s : c) joined += s;
  CHECK(joined == latin1);
  CHECK(characters("").empty());
}

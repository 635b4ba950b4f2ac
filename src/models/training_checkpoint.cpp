#include <bulwark/models/training_checkpoint.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/models/checkpoint.h>

namespace bulwark::models {

namespace {

constexpr const char* kFormat = "bulwark.training-checkpoint";
constexpr int64_t kVersion = 1;

using json::Document;

// The tensors of a checkpoint, numbered in the order they are added.
struct TensorTable {
  std::vector<at::Tensor> tensors;
  int64_t add(const at::Tensor& t) {
    tensors.push_back(t.detach().cpu().contiguous());
    return static_cast<int64_t>(tensors.size()) - 1;
  }
};

Document named(const NamedTensors& items, TensorTable& table) {
  Document out = Document::array();
  for (const auto& [name, t] : items) {
    BULWARK_CHECK_TYPE(t.defined(), "write_training_checkpoint: tensor '", name, "' is undefined");
    out.push_back(Document::array({name, table.add(t)}));
  }
  return out;
}

// Reads of the meta document, each naming the file and the field on a malformed value.
class Reader {
 public:
  Reader(std::string path, std::vector<at::Tensor> tensors) : path_(std::move(path)), tensors_(std::move(tensors)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(detail::str("read_training_checkpoint: '", path_, "': ", what));
  }
  const Document& field(const Document& d, const char* key, const std::string& where) const {
    if (!d.is_object() || !d.contains(key)) fail(detail::str(where, " has no '", key, "'"));
    return d.at(key);
  }
  std::string string(const Document& d, const std::string& where) const {
    if (!d.is_string()) fail(detail::str(where, " must be a string"));
    return d.get<std::string>();
  }
  int64_t integer(const Document& d, int64_t lo, int64_t hi, const std::string& where) const {
    if (!d.is_number_integer()) fail(detail::str(where, " must be a whole number"));
    if (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(hi)) {
      fail(detail::str(where, " must lie in [", lo, ", ", hi, "]"));
    }
    const int64_t v = d.get<int64_t>();
    if (v < lo || v > hi) fail(detail::str(where, " must lie in [", lo, ", ", hi, "], got ", v));
    return v;
  }
  double number(const Document& d, const std::string& where) const { return json::number(d, path_ + ": " + where); }
  const Document& array(const Document& d, const std::string& where) const {
    if (!d.is_array()) fail(detail::str(where, " must be an array"));
    return d;
  }
  at::Tensor tensor(const Document& d, const std::string& where) const {
    return tensors_[static_cast<size_t>(integer(d, 0, static_cast<int64_t>(tensors_.size()) - 1, where))];
  }
  NamedTensors named(const Document& d, const std::string& where) const {
    NamedTensors out;
    for (const Document& item : array(d, where)) {
      if (!item.is_array() || item.size() != 2) fail(where + " must hold [name, tensor] pairs");
      out.emplace_back(string(item[0], where + " name"), tensor(item[1], where + " tensor"));
    }
    return out;
  }

 private:
  std::string path_;
  std::vector<at::Tensor> tensors_;
};

Document record_json(const EpochRecord& r) {
  Document d = Document::object();
  d["epoch"] = r.epoch;
  d["train_loss"] = r.train_loss;
  d["train_accuracy"] = r.train_accuracy;
  d["clean_accuracy"] = r.clean_accuracy;
  d["robust_accuracy"] = r.robust_accuracy;
  d["lr"] = r.lr;
  d["seconds"] = r.seconds;
  return d;
}

EpochRecord read_record(const Reader& in, const Document& d, const std::string& where) {
  EpochRecord r;
  r.epoch = in.integer(in.field(d, "epoch", where), 1, std::numeric_limits<int32_t>::max(), where + ".epoch");
  r.train_loss = in.number(in.field(d, "train_loss", where), where + ".train_loss");
  r.train_accuracy = in.number(in.field(d, "train_accuracy", where), where + ".train_accuracy");
  r.clean_accuracy = in.number(in.field(d, "clean_accuracy", where), where + ".clean_accuracy");
  r.robust_accuracy = in.number(in.field(d, "robust_accuracy", where), where + ".robust_accuracy");
  r.lr = in.number(in.field(d, "lr", where), where + ".lr");
  r.seconds = in.number(in.field(d, "seconds", where), where + ".seconds");
  return r;
}

}  // namespace

void write_training_checkpoint(const std::string& path, const TrainingCheckpoint& c) {
  TensorTable table;
  Document meta = Document::object();
  meta["format"] = kFormat;
  meta["version"] = kVersion;
  Document& t = meta["trainer"];
  t["method"] = c.trainer.method;
  t["seed"] = c.trainer.seed;
  t["history"] = Document::array();
  for (const EpochRecord& r : c.trainer.history) t["history"].push_back(record_json(r));
  t["free_delta"] = c.trainer.free_delta.defined() ? Document(table.add(c.trainer.free_delta)) : Document();
  meta["model"] = named(c.model, table);
  const OptimizerState& o = c.optimizer;
  BULWARK_CHECK(o.group_settings.size() == o.group_params.size(), "write_training_checkpoint: ",
                o.group_settings.size(), " group settings for ", o.group_params.size(), " groups");
  Document& od = meta["optimizer"];
  od["kind"] = o.kind;
  od["groups"] = Document::array();
  for (size_t g = 0; g < o.group_params.size(); ++g) {
    Document group = Document::object();
    group["settings"] = json::parse(o.group_settings[g], "write_training_checkpoint: optimizer group settings");
    group["params"] = o.group_params[g];
    od["groups"].push_back(std::move(group));
  }
  od["state"] = Document::array();
  for (const NamedTensors& s : o.param_state) od["state"].push_back(named(s, table));
  meta["scheduler"] = c.scheduler.empty() ? Document() : json::parse(c.scheduler, "write_training_checkpoint: scheduler");

  torch::serialize::OutputArchive root, tensors;
  for (size_t i = 0; i < table.tensors.size(); ++i) tensors.write(detail::str("t", i), table.tensors[i], true);
  root.write("meta", c10::IValue(json::dump(meta)));
  root.write("tensors", tensors);
  save_archive(root, path, "write_training_checkpoint");
}

TrainingCheckpoint read_training_checkpoint(const std::string& path) {
  constexpr const char* fn = "read_training_checkpoint";
  BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(path), fn, ": '", path, "' is not a file");
  std::string text;
  std::vector<at::Tensor> tensors;
  try {
    torch::serialize::InputArchive root, archive;
    root.load_from(path);
    c10::IValue meta;
    BULWARK_CHECK_AS(FormatError, root.try_read("meta", meta) && meta.isString() && root.try_read("tensors", archive),
                     fn, ": '", path, "' is not a bulwark training checkpoint");
    text = meta.toStringRef();
    const std::vector<std::string> keys = archive.keys();
    tensors.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      BULWARK_CHECK_AS(FormatError, archive.try_read(detail::str("t", i), tensors[i], true), fn, ": '", path,
                       "': tensor t", i, " is missing");
    }
  } catch (const c10::Error& e) {
    throw FormatError(detail::str(fn, ": '", path, "' is not a bulwark training checkpoint: ", e.what_without_backtrace()));
  }
  const Document meta = json::parse(text, detail::str(fn, ": '", path, "'"));
  const Reader in(path, std::move(tensors));
  if (!meta.is_object() || meta.value("format", std::string()) != kFormat) in.fail("not a bulwark training checkpoint");
  const int64_t version = in.integer(in.field(meta, "version", "the file"), 1, 1 << 20, "version");
  if (version > kVersion) {
    in.fail(detail::str("written by a newer bulwark (format version ", version, ", this one reads ", kVersion, ")"));
  }
  TrainingCheckpoint c;
  const Document& t = in.field(meta, "trainer", "the file");
  c.trainer.method = in.string(in.field(t, "method", "trainer"), "trainer.method");
  const Document& seed = in.field(t, "seed", "trainer");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0)) {
    in.fail("trainer.seed must be a whole number >= 0");
  }
  c.trainer.seed = seed.get<uint64_t>();
  const Document& history = in.array(in.field(t, "history", "trainer"), "trainer.history");
  for (size_t i = 0; i < history.size(); ++i) {
    c.trainer.history.push_back(read_record(in, history[i], detail::str("trainer.history[", i, "]")));
    if (c.trainer.history.back().epoch != static_cast<int64_t>(i) + 1) {
      in.fail(detail::str("trainer.history[", i, "] must be epoch ", i + 1));
    }
  }
  const Document& delta = in.field(t, "free_delta", "trainer");
  if (!delta.is_null()) c.trainer.free_delta = in.tensor(delta, "trainer.free_delta");
  c.model = in.named(in.field(meta, "model", "the file"), "model");

  const Document& od = in.field(meta, "optimizer", "the file");
  OptimizerState& o = c.optimizer;
  o.kind = in.string(in.field(od, "kind", "optimizer"), "optimizer.kind");
  const Document& state = in.array(in.field(od, "state", "optimizer"), "optimizer.state");
  for (size_t i = 0; i < state.size(); ++i) o.param_state.push_back(in.named(state[i], detail::str("optimizer.state[", i, "]")));
  const int64_t n_params = static_cast<int64_t>(o.param_state.size());
  std::set<int64_t> seen;
  const Document& groups = in.array(in.field(od, "groups", "optimizer"), "optimizer.groups");
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string where = detail::str("optimizer.groups[", g, "]");
    const Document& settings = in.field(groups[g], "settings", where);
    if (!settings.is_object()) in.fail(where + ".settings must be an object");
    o.group_settings.push_back(json::dump(settings, -1));
    std::vector<int64_t> params;
    for (const Document& p : in.array(in.field(groups[g], "params", where), where + ".params")) {
      params.push_back(in.integer(p, 0, n_params - 1, where + ".params"));
      if (!seen.insert(params.back()).second) in.fail(detail::str("parameter ", params.back(), " is in two groups"));
    }
    o.group_params.push_back(std::move(params));
  }
  if (static_cast<int64_t>(seen.size()) != n_params) {
    in.fail(detail::str("the groups hold ", seen.size(), " parameters, the state has ", n_params));
  }
  const Document& scheduler = in.field(meta, "scheduler", "the file");
  if (!scheduler.is_null()) c.scheduler = json::dump(scheduler, -1);
  return c;
}

NamedTensors module_state(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

void load_module_state(torch::nn::Module& module, const NamedTensors& state, const std::string& where) {
  auto params = module.named_parameters();
  auto buffers = module.named_buffers();
  BULWARK_CHECK_AS(FormatError, state.size() == params.size() + buffers.size(), where, ": expected ",
                   params.size() + buffers.size(), " entries (the parameters and buffers of this ", module.name(),
                   "), got ", state.size());
  at::NoGradGuard no_grad;
  for (const auto& [name, value] : state) {
    at::Tensor* target = params.find(name);
    if (target == nullptr) target = buffers.find(name);
    BULWARK_CHECK_AS(FormatError, target != nullptr, where, ": unknown entry '", name, "': this ", module.name(),
                     " has no such parameter or buffer");
    BULWARK_CHECK_AS(FormatError, target->sizes().equals(value.sizes()), where, ": '", name, "' must have shape ",
                     target->sizes(), ", got ", value.sizes());
    target->copy_(value);
  }
}

namespace {

std::string kind_of(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer) != nullptr) return "sgd";
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer) != nullptr) return "adam";
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer) != nullptr) return "adamw";
  return "";
}

std::string key_of(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// The settings of one group under torch.optim's names.
template <typename Options>
Document adam_settings(const Options& a) {
  Document s = Document::object();
  s["lr"] = a.lr();
  s["betas"] = Document::array({std::get<0>(a.betas()), std::get<1>(a.betas())});
  s["eps"] = a.eps();
  s["weight_decay"] = a.weight_decay();
  s["amsgrad"] = a.amsgrad();
  return s;
}

template <typename State>
NamedTensors adam_state(const State& s) {
  NamedTensors out{{"step", at::tensor(static_cast<float>(s.step()))}, {"exp_avg", s.exp_avg()},
                   {"exp_avg_sq", s.exp_avg_sq()}};
  if (s.max_exp_avg_sq().defined()) out.emplace_back("max_exp_avg_sq", s.max_exp_avg_sq());
  return out;
}

// Reads a group's settings for LibTorch: a setting LibTorch cannot honour is refused.
class Settings {
 public:
  Settings(const std::string& text, std::string where)
      : doc_(json::parse(text, where)), where_(std::move(where)) {
    if (has("maximize") && doc_.at("maximize").is_boolean() && doc_.at("maximize").get<bool>()) {
      throw FormatError(where_ + ": maximize=True has no LibTorch equivalent");
    }
  }
  bool has(const char* key) const { return doc_.contains(key) && !doc_.at(key).is_null(); }
  double number(const char* key, double fallback) const {
    return has(key) ? json::number(doc_.at(key), where_ + "." + key) : fallback;
  }
  bool flag(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    BULWARK_CHECK_AS(FormatError, doc_.at(key).is_boolean(), where_, ".", key, " must be true or false");
    return doc_.at(key).get<bool>();
  }
  std::tuple<double, double> betas(std::tuple<double, double> fallback) const {
    if (!has("betas")) return fallback;
    const Document& b = doc_.at("betas");
    BULWARK_CHECK_AS(FormatError, b.is_array() && b.size() == 2, where_, ".betas must be two numbers");
    return {json::number(b[0], where_ + ".betas"), json::number(b[1], where_ + ".betas")};
  }

 private:
  Document doc_;
  std::string where_;
};

template <typename Options>
void set_adam(Options& a, const Settings& s) {
  a.lr(s.number("lr", a.lr()));
  a.betas(s.betas(a.betas()));
  a.eps(s.number("eps", a.eps()));
  a.weight_decay(s.number("weight_decay", a.weight_decay()));
  a.amsgrad(s.flag("amsgrad", a.amsgrad()));
}

const at::Tensor* find(const NamedTensors& items, const std::string& name) {
  for (const auto& [n, t] : items) {
    if (n == name) return &t;
  }
  return nullptr;
}

// A state tensor of parameter p, on p's device and in its dtype; zeros when absent.
at::Tensor like(const NamedTensors& items, const char* name, const at::Tensor& p, const std::string& where) {
  const at::Tensor* t = find(items, name);
  if (t == nullptr) return at::zeros_like(p, at::MemoryFormat::Preserve);
  BULWARK_CHECK_AS(FormatError, t->sizes().equals(p.sizes()), where, ": ", name, " must have shape ", p.sizes(),
                   ", got ", t->sizes());
  return t->to(p.options()).clone();
}

template <typename State>
std::unique_ptr<State> adam_param_state(const NamedTensors& items, const at::Tensor& p, bool amsgrad,
                                        const std::string& where) {
  auto s = std::make_unique<State>();
  const at::Tensor* step = find(items, "step");
  BULWARK_CHECK_AS(FormatError, step != nullptr && step->numel() == 1, where, ": 'step' is missing");
  const double steps = step->item<double>();
  BULWARK_CHECK_AS(FormatError, std::isfinite(steps) && steps >= 0 && steps < 1e15 && std::floor(steps) == steps,
                   where, ": 'step' must be a whole number >= 0, got ", steps);
  s->step(static_cast<int64_t>(steps));
  s->exp_avg(like(items, "exp_avg", p, where));
  s->exp_avg_sq(like(items, "exp_avg_sq", p, where));
  if (amsgrad) s->max_exp_avg_sq(like(items, "max_exp_avg_sq", p, where));
  return s;
}

}  // namespace

OptimizerState optimizer_state(const torch::optim::Optimizer& optimizer) {
  OptimizerState out;
  out.kind = kind_of(optimizer);
  BULWARK_CHECK(!out.kind.empty(), "optimizer_state: checkpoints hold the state of SGD, Adam and AdamW; this "
                                   "optimizer is none of them");
  const auto& state = optimizer.state();
  int64_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    Document s = Document::object();
    if (out.kind == "sgd") {
      const auto& o = static_cast<const torch::optim::SGDOptions&>(group.options());
      s["lr"] = o.lr();
      s["momentum"] = o.momentum();
      s["dampening"] = o.dampening();
      s["weight_decay"] = o.weight_decay();
      s["nesterov"] = o.nesterov();
    } else if (out.kind == "adam") {
      s = adam_settings(static_cast<const torch::optim::AdamOptions&>(group.options()));
    } else {
      s = adam_settings(static_cast<const torch::optim::AdamWOptions&>(group.options()));
    }
    out.group_settings.push_back(json::dump(s, -1));
    std::vector<int64_t> indices;
    for (const at::Tensor& p : group.params()) {
      indices.push_back(index++);
      NamedTensors ps;
      const auto it = state.find(key_of(p));
      if (it != state.end()) {
        if (out.kind == "sgd") {
          const auto& st = static_cast<const torch::optim::SGDParamState&>(*it->second);
          if (st.momentum_buffer().defined()) ps.emplace_back("momentum_buffer", st.momentum_buffer());
        } else if (out.kind == "adam") {
          ps = adam_state(static_cast<const torch::optim::AdamParamState&>(*it->second));
        } else {
          ps = adam_state(static_cast<const torch::optim::AdamWParamState&>(*it->second));
        }
      }
      out.param_state.push_back(std::move(ps));
    }
    out.group_params.push_back(std::move(indices));
  }
  return out;
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerState& s, const std::string& where) {
  const std::string kind = kind_of(optimizer);
  BULWARK_CHECK(!kind.empty(), where, ": checkpoints restore SGD, Adam and AdamW; this optimizer is none of them");
  BULWARK_CHECK_AS(FormatError, s.kind == kind, where, ": the checkpoint holds the state of a '", s.kind,
                   "' optimizer, this one is '", kind, "'");
  auto& groups = optimizer.param_groups();
  BULWARK_CHECK_AS(FormatError, groups.size() == s.group_params.size(), where, ": the checkpoint's optimizer has ",
                   s.group_params.size(), " parameter groups, this one ", groups.size());
  auto& state = optimizer.state();
  state.clear();
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    BULWARK_CHECK_AS(FormatError, params.size() == s.group_params[g].size(), where, ": parameter group ", g, " has ",
                     s.group_params[g].size(), " parameters in the checkpoint, ", params.size(), " here");
    const Settings settings(s.group_settings[g], detail::str(where, ": optimizer group ", g));
    bool amsgrad = false;
    if (kind == "sgd") {
      auto& o = static_cast<torch::optim::SGDOptions&>(groups[g].options());
      o.lr(settings.number("lr", o.lr()));
      o.momentum(settings.number("momentum", o.momentum()));
      o.dampening(settings.number("dampening", o.dampening()));
      o.weight_decay(settings.number("weight_decay", o.weight_decay()));
      o.nesterov(settings.flag("nesterov", o.nesterov()));
    } else if (kind == "adam") {
      auto& o = static_cast<torch::optim::AdamOptions&>(groups[g].options());
      set_adam(o, settings);
      amsgrad = o.amsgrad();
    } else {
      auto& o = static_cast<torch::optim::AdamWOptions&>(groups[g].options());
      set_adam(o, settings);
      amsgrad = o.amsgrad();
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& p = params[i];
      const NamedTensors& items = s.param_state[static_cast<size_t>(s.group_params[g][i])];
      if (items.empty()) continue;  // no step taken yet
      const std::string at_param = detail::str(where, ": optimizer state of parameter ", s.group_params[g][i]);
      if (kind == "sgd") {
        if (find(items, "momentum_buffer") == nullptr) continue;  // SGD without momentum keeps none
        auto st = std::make_unique<torch::optim::SGDParamState>();
        st->momentum_buffer(like(items, "momentum_buffer", p, at_param));
        state[key_of(p)] = std::move(st);
      } else if (kind == "adam") {
        state[key_of(p)] = adam_param_state<torch::optim::AdamParamState>(items, p, amsgrad, at_param);
      } else {
        state[key_of(p)] = adam_param_state<torch::optim::AdamWParamState>(items, p, amsgrad, at_param);
      }
    }
  }
}

}  // namespace bulwark::models

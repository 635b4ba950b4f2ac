// bulwark-run: the experiment runner. Trains (or loads) FashionCNN models with the configured
// defenses, then measures robustness, calibration, conformal coverage and OOD detection on
// them, and attacks the spam filter; writes results.json, timings.json, CSV tables and the
// resolved config.ini to --out. `python -m bulwark.report <out>` turns them into a report.
//
//   bulwark-run --config experiments/configs/fashion_mnist.ini --out results/fmnist
//   bulwark-run --help
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <bulwark/core/error.h>
#include <bulwark/core/runtime.h>

#include "runner/experiment.h"

using namespace bulwark;
using namespace bulwark::experiments;

namespace {
std::string clock(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}
}  // namespace

int main(int argc, char** argv) {
  tune();  // threads and malloc for the whole process (core/runtime.h)
  ParsedCommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "bulwark-run: %s\nsee bulwark-run --help\n", e.what());
    return 2;
  }
  if (cl.help) {
    std::cout << cl.help_text << "\n";
    return 0;
  }
  const Config& c = cl.config;
  using Stage = void (*)(Experiment&);
  const std::pair<const char*, Stage> all[] = {
      {"train", train_stage},         {"robustness", robustness_stage}, {"calibration", calibration_stage},
      {"conformal", conformal_stage}, {"ood", ood_stage},               {"smoothing", smoothing_stage},
      {"text", text_stage}};
  std::vector<std::pair<const char*, Stage>> stages;
  for (const auto& s : all) {
    if (c.has_stage(s.first)) stages.push_back(s);
  }
  std::fprintf(stderr, "bulwark-run %s: '%s', seed %lld, %d threads, results in %s\n", version().c_str(),
               c.name.c_str(), static_cast<long long>(c.seed), at::get_num_threads(), cl.out.c_str());
  Experiment e(c, cl.out);
  try {
    // Before any stage (training takes minutes): an output path under a file, on a read-only or
    // a full file system fails here, not after the work.
    e.check_writable();
    const std::vector<std::string> removed = e.remove_stale_outputs();
    if (!removed.empty()) {
      std::string list;
      for (const auto& name : removed) list += (list.empty() ? "" : ", ") + name;
      std::fprintf(stderr, "bulwark-run: %s held an earlier run's results; removed what this run will not "
                   "write again: %s\n", cl.out.c_str(), list.c_str());
    }
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bulwark-run: %s; no stage was run\n", ex.what());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<double> stage_seconds;
  for (size_t k = 0; k < stages.size(); ++k) {
    const char* name = stages[k].first;
    // Remaining: the stages left at the mean pace of the measuring stages done so far (training
    // is paced differently and excluded); a rough guide, shown once there is a pace.
    std::string eta;
    double measured = 0;
    size_t measured_stages = 0;
    for (size_t j = 0; j < k; ++j) {
      if (std::string(stages[j].first) != "train") measured += stage_seconds[j], ++measured_stages;
    }
    if (measured_stages > 0) {
      eta = ", about " + clock(measured / static_cast<double>(measured_stages) * static_cast<double>(stages.size() - k)) +
            " left";
    }
    std::fprintf(stderr, "[%zu/%zu] %s (elapsed %s%s)\n", k + 1, stages.size(), name, clock(elapsed()).c_str(),
                 eta.c_str());
    const auto s0 = std::chrono::steady_clock::now();
    double sec = 0;
    try {
      stages[k].second(e);
      sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      e.complete_stage(name, sec);  // writes every result file: a write failure fails the stage
    } catch (const std::exception& ex) {
      const char* what = ex.what();
      if (const auto* ce = dynamic_cast<const c10::Error*>(&ex)) what = ce->what_without_backtrace();
      std::string done;
      for (size_t j = 0; j < k; ++j) done += std::string(j ? ", " : "") + stages[j].first;
      std::fprintf(stderr, "bulwark-run: stage '%s' failed: %s\n%s\n", name, what,
                   k == 0 ? "no stage completed"
                          : ("the completed stages' results (" + done + ") are in " + cl.out).c_str());
      return 1;
    }
    stage_seconds.push_back(sec);
    std::fprintf(stderr, "[%zu/%zu] %s done in %s (elapsed %s)\n", k + 1, stages.size(), name, clock(sec).c_str(),
                 clock(elapsed()).c_str());
  }
  e.timings()["total"] = elapsed();
  try {
    e.write_files();
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bulwark-run: %s\n", ex.what());
    return 1;
  }
  std::fprintf(stderr, "bulwark-run: done in %s; results in %s/results.json\n", clock(elapsed()).c_str(), cl.out.c_str());
  return 0;
}

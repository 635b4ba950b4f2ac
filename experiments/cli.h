#pragma once
// What bulwark's command-line programs share: --help, error reporting, timing, and the
// process settings (threads, allocator) every program starts with.

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>

#include <boost/program_options.hpp>

#include <c10/util/Exception.h>

#include <bulwark/core/error.h>
#include <bulwark/core/runtime.h>

namespace bulwark::cli {

namespace po = boost::program_options;

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Tunes the process (bulwark::tune), parses the options, prints --help, then runs `body(vm)`. Option
// errors exit 2; bulwark and torch errors print their message and exit 1.
inline int run(int argc, char** argv, const po::options_description& opts,
               const std::function<int(const po::variables_map&)>& body) {
  tune();  // threads and malloc for the whole process (core/runtime.h)
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts << "\n";
      return 0;
    }
    po::notify(vm);
    return body(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s: %s\nsee %s --help\n", argv[0], e.what(), argv[0]);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "torch: %s\n", e.what_without_backtrace());
    return 1;
  }
}

}  // namespace bulwark::cli

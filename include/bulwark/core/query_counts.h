#pragma once
// What a model was asked (QueryCounts), and a per-thread meter of it (QueryMeter).
//
// A Classifier keeps running totals of every call made to it, from any thread. An attack's
// result must report its own queries, also when other threads attack the same classifier at the
// same time: a QueryMeter counts only the calls made on the thread that created it, to any
// Classifier, while it lives. Meters nest (an evaluation's meter and each attack's inside it all
// count a call) and are scoped: destroyed in the reverse order of creation, on their thread.

#include <atomic>
#include <cstdint>

namespace bulwark {

// Calls, and samples summed over calls.
struct QueryCounts {
  int64_t forward_calls = 0;
  int64_t forward_samples = 0;
  int64_t backward_calls = 0;
  int64_t backward_samples = 0;

  QueryCounts& operator+=(const QueryCounts& o) {
    forward_calls += o.forward_calls;
    forward_samples += o.forward_samples;
    backward_calls += o.backward_calls;
    backward_samples += o.backward_samples;
    return *this;
  }
  friend QueryCounts operator+(QueryCounts a, const QueryCounts& b) { return a += b; }
  friend bool operator==(const QueryCounts& a, const QueryCounts& b) {
    return a.forward_calls == b.forward_calls && a.forward_samples == b.forward_samples &&
           a.backward_calls == b.backward_calls && a.backward_samples == b.backward_samples;
  }
};

// A model's running totals, safe to add to from several threads; add() also records the calls in
// the calling thread's meters.
class QueryTotals {
 public:
  void add(const QueryCounts& c);
  QueryCounts load() const;
  void reset();

 private:
  std::atomic<int64_t> forward_calls_{0}, forward_samples_{0}, backward_calls_{0}, backward_samples_{0};
};

class QueryMeter {
 public:
  QueryMeter();
  ~QueryMeter();
  QueryMeter(const QueryMeter&) = delete;
  QueryMeter& operator=(const QueryMeter&) = delete;

  // The calls this thread made since the meter was created.
  const QueryCounts& counts() const { return counts_; }

  // Adds `c` to every live meter of the calling thread (Classifier does, for each call).
  static void record(const QueryCounts& c);

 private:
  QueryCounts counts_;
  QueryMeter* outer_;
};

}  // namespace bulwark

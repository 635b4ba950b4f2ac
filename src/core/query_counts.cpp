#include <bulwark/core/query_counts.h>

namespace bulwark {

namespace {
thread_local QueryMeter* innermost = nullptr;  // the calling thread's newest live meter
}  // namespace

QueryMeter::QueryMeter() : outer_(innermost) { innermost = this; }

QueryMeter::~QueryMeter() { innermost = outer_; }

void QueryMeter::record(const QueryCounts& c) {
  for (QueryMeter* m = innermost; m != nullptr; m = m->outer_) m->counts_ += c;
}

void QueryTotals::add(const QueryCounts& c) {
  forward_calls_ += c.forward_calls;
  forward_samples_ += c.forward_samples;
  backward_calls_ += c.backward_calls;
  backward_samples_ += c.backward_samples;
  QueryMeter::record(c);
}

QueryCounts QueryTotals::load() const {
  return {forward_calls_.load(), forward_samples_.load(), backward_calls_.load(), backward_samples_.load()};
}

void QueryTotals::reset() {
  forward_calls_ = 0;
  forward_samples_ = 0;
  backward_calls_ = 0;
  backward_samples_ = 0;
}

}  // namespace bulwark

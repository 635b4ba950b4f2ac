#include <bulwark/ood/knn.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/core/error.h>
#include <bulwark/core/tensor_codec.h>

namespace bulwark::ood {

namespace {

// The k-th largest of v[0..n), by a size-k min-heap. Runs of 16 whose maximum does not beat
// the heap's minimum are skipped with one (vectorisable) max; after the first few thousand
// values almost every run is.
template <typename T>
T kth_largest(const T* v, int64_t n, int64_t k, std::vector<T>& heap) {
  heap.assign(v, v + k);
  std::make_heap(heap.begin(), heap.end(), std::greater<T>());
  auto offer = [&](T x) {
    if (x > heap.front()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<T>());
      heap.back() = x;
      std::push_heap(heap.begin(), heap.end(), std::greater<T>());
    }
  };
  int64_t i = k;
  constexpr int64_t kRun = 16;
  for (; i + kRun <= n; i += kRun) {
    T m = v[i];
    for (int64_t j = 1; j < kRun; ++j) m = std::max(m, v[i + j]);
    if (m > heap.front()) {
      for (int64_t j = 0; j < kRun; ++j) offer(v[i + j]);
    }
  }
  for (; i < n; ++i) offer(v[i]);
  return heap.front();
}

at::Tensor unit_rows(const at::Tensor& x) { return x / x.norm(2, 1, true).clamp_min(1e-12); }

}  // namespace

KNN::KNN(int64_t k, bool normalize, int64_t block_elements)
    : k_(k), normalize_(normalize), block_elements_(block_elements) {
  BULWARK_CHECK(k >= 1, "KNN: k must be >= 1, got ", k);
  BULWARK_CHECK(block_elements >= 1, "KNN: block_elements must be >= 1, got ", block_elements);
}

KNN& KNN::fit(const at::Tensor& features, const at::Tensor& /*labels*/) {
  constexpr const char* where = "KNN.fit";
  check_matrix(features, where, "features");
  BULWARK_CHECK(k_ <= features.size(0), where, ": k = ", k_, " is larger than the training set (N = ",
                features.size(0), ")");
  at::NoGradGuard no_grad;
  const at::Tensor f = features.detach().to(at::kCPU);
  bank_ = (normalize_ ? unit_rows(f) : f.clone()).contiguous();
  dim_ = f.size(1);
  return *this;
}

at::Tensor KNN::score(const at::Tensor& features) const {
  constexpr const char* where = "KNN.score";
  BULWARK_CHECK_AS(NotFittedError, fitted(), where, ": call fit() first");
  check_matrix(features, where, "features", dim_);
  at::NoGradGuard no_grad;
  at::Tensor q = features.detach().to(at::kCPU, bank_.scalar_type());
  if (normalize_) q = unit_rows(q);
  const int64_t m = q.size(0), n = bank_.size(0);
  const at::Tensor bank_t = bank_.t();
  // Unnormalised: |q - b|^2 = |q|^2 - (2 q.b - |b|^2); the k-th nearest maximises the bracket.
  const at::Tensor bank_sq = normalize_ ? at::Tensor() : bank_.square().sum(1).unsqueeze(0);
  const at::Tensor q_sq = normalize_ ? at::Tensor() : q.to(at::kDouble).square().sum(1).contiguous();
  const double* pq = normalize_ ? nullptr : q_sq.data_ptr<double>();
  at::Tensor out = at::empty({m}, at::kDouble);
  double* po = out.data_ptr<double>();
  const int64_t rows = std::max<int64_t>(1, block_elements_ / std::max<int64_t>(n, 1));
  for (int64_t start = 0; start < m; start += rows) {
    const int64_t r = std::min(rows, m - start);
    const at::Tensor qb = q.narrow(0, start, r);
    const at::Tensor sims = (normalize_ ? at::mm(qb, bank_t) : at::addmm(bank_sq, qb, bank_t, -1, 2)).contiguous();
    AT_DISPATCH_FLOATING_TYPES(sims.scalar_type(), "knn_select", [&] {
      const scalar_t* ps = sims.data_ptr<scalar_t>();
      at::parallel_for(0, r, 1, [&](int64_t i0, int64_t i1) {
        std::vector<scalar_t> heap;
        heap.reserve(static_cast<size_t>(k_));
        for (int64_t i = i0; i < i1; ++i) {
          const double s = static_cast<double>(kth_largest(ps + i * n, n, k_, heap));
          const double d2 = normalize_ ? 2 - 2 * s : pq[start + i] - s;
          po[start + i] = std::sqrt(std::max(0.0, d2));
        }
      });
    });
  }
  return out.to(features.device(), features.scalar_type());
}

void KNN::write(json::Object& o) const {
  o.set("k", static_cast<double>(k_)).set("normalize", normalize_).set("bank", encode_tensor(bank_));
}

void KNN::read(const json::Object& o, const std::string& path) {
  const double k = o.number("k");
  BULWARK_CHECK_AS(FormatError, k >= 1 && k == std::floor(k), path, ": k must be an integer >= 1");
  k_ = static_cast<int64_t>(k);
  normalize_ = o.boolean("normalize");
  bank_ = decode_tensor(o.string("bank"), path);
  BULWARK_CHECK_AS(FormatError, bank_.dim() == 2 && at::isFloatingType(bank_.scalar_type()) && bank_.size(0) >= k_,
                   path, ": bank must be a floating (N, D) tensor with N >= k");
  dim_ = bank_.size(1);
}

}  // namespace bulwark::ood

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

constexpr int64_t kRun = 64;

// Whether any of v[0..kRun) exceeds floor: an OR of comparisons, which vectorises.
template <typename T>
bool any_above(const T* v, T floor) {
  int above = 0;
  for (int64_t j = 0; j < kRun; ++j) above |= v[j] > floor;
  return above != 0;
}

// A size-k min-heap of the largest values offered so far (front: the k-th largest).
template <typename T>
struct TopK {
  std::vector<T> heap;
  int64_t k;
  void offer(T x) {
    if (static_cast<int64_t>(heap.size()) < k) {
      heap.push_back(x);
      std::push_heap(heap.begin(), heap.end(), std::greater<T>());
    } else if (x > heap.front()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<T>());
      heap.back() = x;
      std::push_heap(heap.begin(), heap.end(), std::greater<T>());
    }
  }
  // Offers v[0..n). Once the heap is full, runs whose values all stay at or below its minimum
  // are skipped after one vectorised comparison pass; almost every run is.
  void offer_all(const T* v, int64_t n) {
    int64_t i = 0;
    for (; i < n && static_cast<int64_t>(heap.size()) < k; ++i) offer(v[i]);
    for (; i + kRun <= n; i += kRun) {
      if (any_above(v + i, heap.front())) {
        for (int64_t j = 0; j < kRun; ++j) offer(v[i + j]);
      }
    }
    for (; i < n; ++i) offer(v[i]);
  }
};

at::Tensor unit_rows(const at::Tensor& x) { return x / x.norm(2, 1, true).clamp_min(1e-12); }

}  // namespace

KNN::KNN(int64_t k, bool normalize, int64_t block_elements)
    : k_(k), normalize_(normalize), block_elements_(block_elements) {
  BULWARK_CHECK(k >= 1, "KNN: k must be >= 1, got ", k);
  BULWARK_CHECK(block_elements >= 1, "KNN: block_elements must be >= 1, got ", block_elements);
}

void KNN::fit_impl(const at::Tensor& features, const at::Tensor& /*labels*/) {
  constexpr const char* where = "KNN.fit";
  BULWARK_CHECK(k_ <= features.size(0), where, ": k = ", k_, " is larger than the training set (N = ",
                features.size(0), ")");
  const at::Tensor f = features.to(at::kCPU);
  bank_ = (normalize_ ? unit_rows(f) : f.clone()).contiguous();
}

at::Tensor KNN::score_impl(const at::Tensor& features) const {
  at::Tensor q = features.to(at::kCPU, bank_.scalar_type());
  if (normalize_) q = unit_rows(q);
  const int64_t m = q.size(0), n = bank_.size(0);
  const at::Tensor bank_t = bank_.t();
  // Unnormalised: |q - b|^2 = |q|^2 - (2 q.b - |b|^2); the k-th nearest maximises the bracket.
  const at::Tensor bank_sq = normalize_ ? at::Tensor() : bank_.square().sum(1).unsqueeze(0);
  const at::Tensor q_sq = normalize_ ? at::Tensor() : q.to(at::kDouble).square().sum(1).contiguous();
  const double* pq = normalize_ ? nullptr : q_sq.data_ptr<double>();
  at::Tensor out = at::empty({m}, at::kDouble);
  double* po = out.data_ptr<double>();
  // Tiles of `rows` inputs x `chunk` bank vectors. Threads take blocks of `rows` inputs; each
  // computes its tiles' similarities into its own reused buffer (no allocation, no page
  // faults) with a single-threaded GEMM and consumes them while they are still in cache.
  // (A multithreaded GEMM followed by a parallel selection ran 3x slower here: the BLAS
  // threads spin while the selection threads want the cores.)
  const int64_t rows = std::min<int64_t>(m, 256);
  const int64_t chunk = std::min<int64_t>(n, std::max<int64_t>(1, block_elements_ / rows));
  const int64_t blocks = (m + rows - 1) / rows;
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "knn_score", [&] {
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      at::Tensor tile = at::empty({rows, chunk}, q.options());
      std::vector<TopK<scalar_t>> tops(static_cast<size_t>(rows));
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t start = blk * rows, r = std::min(rows, m - start);
        const at::Tensor qb = q.narrow(0, start, r);
        for (auto& t : tops) {
          t.heap.clear();
          t.k = k_;
        }
        for (int64_t c0 = 0; c0 < n; c0 += chunk) {
          const int64_t c = std::min(chunk, n - c0);
          const at::Tensor bt = bank_t.narrow(1, c0, c);
          at::Tensor s = tile.narrow(0, 0, r).narrow(1, 0, c);
          if (!s.is_contiguous()) s = at::empty({r, c}, q.options());  // the ragged last chunk
          if (normalize_) {
            at::mm_out(s, qb, bt);
          } else {
            at::addmm_out(s, bank_sq.narrow(1, c0, c), qb, bt, -1, 2);
          }
          const scalar_t* ps = s.data_ptr<scalar_t>();
          for (int64_t i = 0; i < r; ++i) tops[static_cast<size_t>(i)].offer_all(ps + i * c, c);
        }
        for (int64_t i = 0; i < r; ++i) {
          const double kth = static_cast<double>(tops[static_cast<size_t>(i)].heap.front());
          const double d2 = normalize_ ? 2 - 2 * kth : pq[start + i] - kth;
          po[start + i] = std::sqrt(std::max(0.0, d2));
        }
      }
    });
  });
  return out.to(features.device(), features.scalar_type());
}

void KNN::write(json::Object& o) const {
  o.set("k", static_cast<double>(k_)).set("normalize", normalize_).set("bank", encode_tensor(bank_));
}

void KNN::read(const json::Object& o, const std::string& path) {
  k_ = o.integer("k", 1, int64_t{1} << 40);  // and at most the bank's size, below
  normalize_ = o.boolean("normalize");
  bank_ = decode_tensor(o.string("bank"), path);
  BULWARK_CHECK_AS(FormatError, bank_.dim() == 2 && at::isFloatingType(bank_.scalar_type()) && bank_.size(0) >= k_,
                   path, ": bank must be a floating (N, D) tensor with N >= k");
  dim_ = bank_.size(1);
}

}  // namespace bulwark::ood

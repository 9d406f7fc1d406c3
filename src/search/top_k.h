// The k best candidates of one query row, kept as a heap with the worst on
// top. Better: a higher cosine, then (a tie) a lower row number, so that the
// result does not depend on the order in which blocks are compared.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace imgfeat::search {

struct Candidate {
  float cosine = 0;
  int64_t row = 0;
};

inline bool Better(const Candidate& a, const Candidate& b) {
  return a.cosine > b.cosine || (a.cosine == b.cosine && a.row < b.row);
}

class TopK {
 public:
  explicit TopK(int k) : k_(static_cast<size_t>(k)) { heap_.reserve(k_); }

  void Offer(float cosine, int64_t row) {
    const Candidate c{cosine, row};
    if (heap_.size() < k_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(c, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  // The worst kept cosine once k are kept: below it nothing enters.
  bool Full() const { return heap_.size() == k_; }
  float Worst() const { return heap_.front().cosine; }

  // Best first; empties the heap.
  std::vector<Candidate> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Candidate> heap_;
};

}  // namespace imgfeat::search

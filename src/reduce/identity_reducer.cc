#include <algorithm>
#include <nlohmann/json.hpp>

#include "reduce/reducers.h"

namespace imgfeat {
namespace reduce {

void IdentityReducer::Transform(const float* in, int64_t rows, float* out) const {
  std::copy(in, in + rows * dim_, out);
}

std::string IdentityReducer::DescribeJson() const {
  return nlohmann::json{{"kind", "none"}, {"n_features", dim_}}.dump();
}

}  // namespace reduce

std::unique_ptr<Reducer> MakeIdentityReducer(int64_t dim) {
  return std::make_unique<reduce::IdentityReducer>(dim);
}

}  // namespace imgfeat

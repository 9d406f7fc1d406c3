// The report's main figure: every analysed row projected to two dimensions
// (PCA of the features, deterministic for a seed) and drawn as a scatter
// plot coloured by label, into a PNG with libpng. The same coordinates and
// colours go to the HTML page. Thread-safe (no shared state).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::report {

struct Projection {
  std::vector<float> xy;         // rows x 2
  double explained[2] = {0, 0};  // share of the variance on each axis
};

// PCA to 2-D of rows x dim features (mean removed). Fewer than 3 rows or
// columns give zeros.
Result<Projection> ProjectTo2d(const float* features, int64_t rows, int64_t dim, uint32_t seed);

using Rgb = std::array<uint8_t, 3>;
// Distinct colours for `n` labels (Tableau's ten, then evenly spread hues).
std::vector<Rgb> Palette(size_t n);
std::string CssColor(const Rgb& color);

// A width x height scatter plot of `xy` (rows x 2), point i in
// colors[classes[i]]; written under `tmp_path` (empty: `path`.tmp), flushed
// and renamed to `path` when complete. `description` (e.g. the legend) goes
// to a PNG text chunk.
Status WriteMapPng(const std::string& path, const std::vector<float>& xy,
                   const std::vector<int>& classes, const std::vector<Rgb>& colors, int width,
                   int height, const std::string& description = "",
                   const std::string& tmp_path = "");

// The same drawing as RGB pixels (for tests).
std::vector<uint8_t> DrawMap(const std::vector<float>& xy, const std::vector<int>& classes,
                             const std::vector<Rgb>& colors, int width, int height);

}  // namespace imgfeat::report

#include "report/map_figure.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "dataset/durable_file.h"
#include "imgfeat/reduce.h"
#include "reduce/memory_row_source.h"

namespace imgfeat::report {
namespace {

constexpr int kMargin = 24;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Blends `color` over the pixel at (x, y) with `alpha`, so dense clusters
// darken instead of hiding each other.
// Pixels outside the image are dropped.
void Blend(std::vector<uint8_t>* rgb, int width, int x, int y, const Rgb& color, float alpha) {
  const int height = static_cast<int>(rgb->size() / 3 / width);
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = rgb->data() + (static_cast<size_t>(y) * width + x) * 3;
  for (int c = 0; c < 3; ++c) {
    p[c] = static_cast<uint8_t>(std::lround(p[c] * (1 - alpha) + color[c] * alpha));
  }
}

Rgb HsvColor(double hue) {
  const double s = 0.65, v = 0.85;
  const double h = std::fmod(hue, 1.0) * 6;
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r, g, b;
  switch (static_cast<int>(h)) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
  return {static_cast<uint8_t>(r * 255), static_cast<uint8_t>(g * 255),
          static_cast<uint8_t>(b * 255)};
}

}  // namespace

Result<Projection> ProjectTo2d(const float* features, int64_t rows, int64_t dim, uint32_t seed) {
  Projection projection;
  projection.xy.assign(static_cast<size_t>(rows * 2), 0.0f);
  if (rows < 3 || dim < 2) return projection;
  reduce::MemoryRowSource source(features, rows, dim);
  PcaOptions options;
  options.n_components = 2;
  options.seed = seed;
  ARROW_ASSIGN_OR_RAISE(auto pca, FitPca(&source, options));
  pca->Transform(features, rows, projection.xy.data());
  ARROW_ASSIGN_OR_RAISE(PcaState state, PcaStateOf(*pca));
  for (int i = 0; i < 2; ++i) projection.explained[i] = state.explained_variance_ratio[i];
  return projection;
}

std::vector<Rgb> Palette(size_t n) {
  static constexpr Rgb kTableau[] = {
      {78, 121, 167}, {242, 142, 43},  {225, 87, 89},   {118, 183, 178}, {89, 161, 79},
      {237, 201, 72}, {176, 122, 161}, {255, 157, 167}, {156, 117, 95},  {186, 176, 172}};
  std::vector<Rgb> colors;
  for (size_t i = 0; i < n; ++i) {
    // Beyond ten labels: hues spread by the golden ratio, which never repeat.
    colors.push_back(i < 10 ? kTableau[i] : HsvColor(0.618033988749895 * static_cast<double>(i)));
  }
  return colors;
}

std::string CssColor(const Rgb& color) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", color[0], color[1], color[2]);
  return text;
}

std::vector<uint8_t> DrawMap(const std::vector<float>& xy, const std::vector<int>& classes,
                             const std::vector<Rgb>& colors, int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3, 255);
  const size_t n = classes.size();
  auto finite = [&](size_t i) { return std::isfinite(xy[2 * i]) && std::isfinite(xy[2 * i + 1]); };
  float min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (!finite(i)) continue;
    min_x = std::min(min_x, xy[2 * i]);
    max_x = std::max(max_x, xy[2 * i]);
    min_y = std::min(min_y, xy[2 * i + 1]);
    max_y = std::max(max_y, xy[2 * i + 1]);
  }
  const float span_x = max_x > min_x ? max_x - min_x : 1;
  const float span_y = max_y > min_y ? max_y - min_y : 1;
  const Rgb frame = {200, 200, 200};
  const int left = kMargin / 2, top = kMargin / 2;
  const int right = width - 1 - kMargin / 2, bottom = height - 1 - kMargin / 2;
  for (int x = left; x <= right; ++x) {
    Blend(&rgb, width, x, top, frame, 1);
    Blend(&rgb, width, x, bottom, frame, 1);
  }
  for (int y = top; y <= bottom; ++y) {
    Blend(&rgb, width, left, y, frame, 1);
    Blend(&rgb, width, right, y, frame, 1);
  }
  // Smaller, fainter points when there are many, so that 100,000 stay readable.
  const int radius = n > 20000 ? 1 : n > 2000 ? 2 : 3;
  const float alpha = n > 20000 ? 0.35f : 0.75f;
  const int plot_w = std::max(1, width - 2 * kMargin - 1);
  const int plot_h = std::max(1, height - 2 * kMargin - 1);
  for (size_t i = 0; i < n; ++i) {
    if (!finite(i)) continue;
    const int cx = kMargin + static_cast<int>((xy[2 * i] - min_x) / span_x * plot_w);
    // Screen y grows downwards; the map's second axis grows upwards.
    const int cy =
        height - 1 - kMargin - static_cast<int>((xy[2 * i + 1] - min_y) / span_y * plot_h);
    const Rgb& color = colors[classes[i] % colors.size()];
    for (int dy = -radius; dy <= radius; ++dy) {
      for (int dx = -radius; dx <= radius; ++dx) {
        if (dx * dx + dy * dy <= radius * radius)
          Blend(&rgb, width, cx + dx, cy + dy, color, alpha);
      }
    }
  }
  return rgb;
}

Status WriteMapPng(const std::string& path, const std::vector<float>& xy,
                   const std::vector<int>& classes, const std::vector<Rgb>& colors, int width,
                   int height, const std::string& description, const std::string& tmp_path) {
  const std::vector<uint8_t> rgb = DrawMap(xy, classes, colors, width, height);
  const std::string tmp = tmp_path.empty() ? path + ".tmp" : tmp_path;
  {
    std::unique_ptr<FILE, FileCloser> file(std::fopen(tmp.c_str(), "wb"));
    if (!file) return Status::IOError("cannot write '", tmp, "'");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
      png_destroy_write_struct(&png, nullptr);
      return Status::OutOfMemory("libpng");
    }
    std::vector<png_bytep> row_pointers(height);
    for (int y = 0; y < height; ++y) {
      row_pointers[y] = const_cast<png_bytep>(rgb.data() + static_cast<size_t>(y) * width * 3);
    }
    // libpng reports errors by longjmp; nothing with a destructor is created
    // between here and the end of the writing.
    if (setjmp(png_jmpbuf(png))) {
      png_destroy_write_struct(&png, &info);
      return Status::IOError("cannot write the PNG '", tmp, "'");
    }
    png_init_io(png, file.get());
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text text[2] = {};
    text[0].compression = text[1].compression = PNG_TEXT_COMPRESSION_NONE;
    text[0].key = const_cast<char*>("Software");
    text[0].text = const_cast<char*>("imgfeat report");
    text[1].key = const_cast<char*>("Description");
    text[1].text = const_cast<char*>(description.c_str());
    png_set_text(png, info, text, description.empty() ? 1 : 2);
    png_set_rows(png, info, row_pointers.data());
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fflush(file.get()) != 0) return Status::IOError("cannot write '", tmp, "'");
  }
  return dataset::CommitRename(tmp, path);
}

}  // namespace imgfeat::report

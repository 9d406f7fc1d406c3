// imgfeat command line (placeholder until the pipeline lands).
#include <cstdio>

int main() {
  std::fprintf(stderr, "imgfeat: not yet wired\n");
  return 2;
}

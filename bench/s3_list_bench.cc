// Lists an s3:// prefix through imgfeat's lister, as a run does, and prints
// the number of objects, the time and the peak resident memory.
//   s3_list_bench s3://bucket/prefix [--s3-endpoint URL] [--hold SECONDS]
// --hold waits that long after the first object, as a run whose featurizing
// is slower than the listing does, so that the listing runs ahead.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "imgfeat/listing.h"
#include "imgfeat/storage.h"

namespace {

long PeakRssKib() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Resident memory now (the peak above includes start-up transients).
double RssMib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (::sysconf(_SC_PAGESIZE) / 1024.0) / 1024.0;
}

int Bench(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: s3_list_bench s3://bucket/prefix [--s3-endpoint URL]\n");
    return 2;
  }
  imgfeat::StorageOptions storage;
  double hold_seconds = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--s3-endpoint") storage.s3_endpoint = argv[i + 1];
    if (std::string(argv[i]) == "--hold") hold_seconds = std::atof(argv[i + 1]);
  }
  if (!imgfeat::ConfigureStorage(storage).ok()) return 1;
  imgfeat::ListOptions options;
  options.glob = "*";
  const auto t0 = std::chrono::steady_clock::now();
  auto lister = imgfeat::ImageLister::Open(argv[1], options);
  if (!lister.ok()) {
    std::fprintf(stderr, "%s\n", lister.status().ToString().c_str());
    return 1;
  }
  const double rss_open = RssMib();
  double rss_max = rss_open;
  long n = 0;
  double first_seconds = -1;
  while (true) {
    auto next = (*lister)->Next();
    if (!next.ok()) {
      std::fprintf(stderr, "%s\n", next.status().ToString().c_str());
      return 1;
    }
    if (!next->has_value()) break;
    if (n % 1000 == 0) rss_max = std::max(rss_max, RssMib());
    if (n++ == 0) {
      first_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::this_thread::sleep_for(std::chrono::duration<double>(hold_seconds));
      rss_max = std::max(rss_max, RssMib());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "listed %ld objects in %.1f s (first after %.2f s); resident memory %.1f MiB when the "
      "listing opened, at most %.1f MiB during it (+%.1f MiB); peak RSS of the process %.1f "
      "MiB\n",
      n, seconds, first_seconds, rss_open, rss_max, rss_max - rss_open, PeakRssKib() / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rc = Bench(argc, argv);
  imgfeat::ShutdownStorage();
  return rc;
}

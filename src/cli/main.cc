// The `imgfeat` program.
#include <string>
#include <vector>

#include "cli/cli_main.h"
#include "imgfeat/storage.h"

namespace {

// Releases the AWS SDK (if an s3:// path started it) however main returns.
struct StorageShutdown {
  ~StorageShutdown() { imgfeat::ShutdownStorage(); }
};

}  // namespace

int main(int argc, char** argv) {
  StorageShutdown storage_shutdown;
  return imgfeat::cli::Main(std::vector<std::string>(argv + 1, argv + argc));
}

#include "model/download.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "imgfeat/model.h"

namespace imgfeat::model {
namespace {

struct CurlFree {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Removes the temporary file unless it was renamed into place.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

size_t WriteToFile(char* data, size_t size, size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(file));
}

Status InitCurlOnce() {
  static CURLcode init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init_result != CURLE_OK) {
    return Status::IOError("libcurl cannot start: ", curl_easy_strerror(init_result));
  }
  return Status::OK();
}

bool IsUnreachable(CURLcode code) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
         code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT;
}

Status Fetch(const std::string& url, std::FILE* out) {
  ARROW_RETURN_NOT_OK(InitCurlOnce());
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return Status::IOError("libcurl cannot create a handle");
  char error_text[CURL_ERROR_SIZE] = "";
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteToFile);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
  // A stalled transfer (under 1 KB/s for a minute) is given up.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "imgfeat/" IMGFEAT_VERSION);

  CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    std::string reason = error_text[0] ? error_text : curl_easy_strerror(code);
    if (IsUnreachable(code)) {
      return Status::IOError("cannot reach ", url, " (offline?): ", reason);
    }
    return Status::IOError("download of ", url, " failed: ", reason);
  }
  long http_status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_status);
  // file:// transfers report 0; HTTP errors come as a normal response.
  if (http_status >= 400) {
    return Status::IOError("download of ", url, " failed: HTTP ", http_status);
  }
  return Status::OK();
}

}  // namespace

Status DownloadVerified(const std::string& url, const std::string& dest_path,
                        const std::string& sha256) {
  std::vector<char> temp_name(dest_path.begin(), dest_path.end());
  for (char ch : std::string(".part-XXXXXX")) temp_name.push_back(ch);
  temp_name.push_back('\0');
  int fd = ::mkstemp(temp_name.data());
  if (fd < 0) return Status::IOError("cannot create a temporary file beside '", dest_path, "'");
  // mkstemp's 0600 would make a shared cache unreadable to other users.
  ::fchmod(fd, 0644);
  std::string temp_path(temp_name.data());
  TempFileGuard guard(temp_path);
  std::unique_ptr<std::FILE, FileCloser> out(::fdopen(fd, "wb"));
  if (!out) {
    ::close(fd);
    return Status::IOError("cannot write '", temp_path, "'");
  }

  ARROW_RETURN_NOT_OK(Fetch(url, out.get()));
  if (std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
    return Status::IOError("cannot write '", temp_path, "' (disk full?)");
  }
  out.reset();

  if (!sha256.empty()) {
    ARROW_ASSIGN_OR_RAISE(std::string actual, Sha256File(temp_path));
    if (actual != sha256) {
      return Status::IOError("checksum mismatch for ", url, ": sha256 ", actual, ", expected ",
                             sha256, " (file discarded)");
    }
  }
  if (std::rename(temp_path.c_str(), dest_path.c_str()) != 0) {
    return Status::IOError("cannot rename '", temp_path, "' to '", dest_path, "'");
  }
  guard.Release();
  return Status::OK();
}

}  // namespace imgfeat::model

#include "io/s3_list_pages.h"

#include <arrow/filesystem/s3fs.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <ctime>
#include <random>
#include <thread>

namespace imgfeat {
namespace {

// SHA-256 of the empty body of a GET.
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr);
  return Hex(digest, n);
}

std::string Hmac(const std::string& key, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &n);
  return std::string(reinterpret_cast<const char*>(digest), n);
}

std::string AmzDateNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// encoding-type=url keys: %XX decoded ('+' is a space, as S3 writes it).
std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out.push_back('&');
    else if (entity == "lt")
      out.push_back('<');
    else if (entity == "gt")
      out.push_back('>');
    else if (entity == "quot")
      out.push_back('"');
    else if (entity == "apos")
      out.push_back('\'');
    else
      out.append(text.substr(i, semi - i + 1));
    i = semi;
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml` from `from`; npos-safe.
bool Element(std::string_view xml, std::string_view tag, std::string_view* out) {
  std::string open(1, '<');
  open += tag;
  open += '>';
  std::string close = "</";
  close += tag;
  close += '>';
  const size_t a = xml.find(open);
  if (a == std::string_view::npos) return false;
  const size_t b = xml.find(close, a + open.size());
  if (b == std::string_view::npos) return false;
  *out = xml.substr(a + open.size(), b - a - open.size());
  return true;
}

// "2026-12-03T21:00:00.000Z" -> microseconds since the epoch.
int64_t ParseIsoTime(std::string_view text) {
  std::tm tm{};
  int micros = 0;
  if (text.size() < 19) return 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  if (s.size() > 20 && s[19] == '.') {
    int digits = 0;
    for (size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 6; ++i, ++digits) {
      micros = micros * 10 + (s[i] - '0');
    }
    while (digits++ < 6) micros *= 10;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000000 + micros;
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

class CurlPageLister final : public S3PageLister {
 public:
  CurlPageLister(std::shared_ptr<arrow::fs::S3FileSystem> fs, std::string bucket,
                 std::string prefix, int max_attempts)
      : fs_(std::move(fs)),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        max_attempts_(std::max(1, max_attempts)) {
    const arrow::fs::S3Options& options = fs_->options();
    region_ = fs_->region();
    scheme_ = options.scheme.empty() ? "https" : options.scheme;
    host_ = options.endpoint_override.empty() ? "s3." + region_ + ".amazonaws.com"
                                              : options.endpoint_override;
    connect_timeout_ = options.connect_timeout;
  }

  Result<S3Page> NextPage() override {
    if (done_) return S3Page{};
    Status last;
    for (int attempt = 0; attempt < max_attempts_; ++attempt) {
      if (attempt > 0) Backoff(attempt);
      long code = 0;
      std::string body;
      Status sent = Get(&code, &body);
      if (!sent.ok()) {
        last = sent;
        continue;
      }
      if (code == 200) {
        ARROW_ASSIGN_OR_RAISE(S3Page page, ParseListObjectsV2(body));
        token_ = page.next_token;
        done_ = token_.empty();
        return page;
      }
      std::string_view message, error_code;
      Element(body, "Code", &error_code);
      Element(body, "Message", &message);
      last = Status::IOError("listing s3://", bucket_, "/", prefix_, ": HTTP ", code, " ",
                             error_code, message.empty() ? "" : ": ", message);
      if (code != 429 && code < 500) break;  // refused or not found: retrying will not help
    }
    return last;
  }

 private:
  std::string Query() const {
    // Canonical order: keys sorted.
    std::string q;
    if (!token_.empty()) {
      q += "continuation-token=";
      q += AwsUriEncode(token_, true);
      q += '&';
    }
    q += "encoding-type=url&list-type=2";
    if (!prefix_.empty()) {
      q += "&prefix=";
      q += AwsUriEncode(prefix_, true);
    }
    return q;
  }

  Status Get(long* code, std::string* body) {
    std::string path(1, '/');
    path += AwsUriEncode(bucket_, true);
    const std::string query = Query();
    std::string url = scheme_;
    url += "://";
    url += host_;
    url += path;
    url += '?';
    url += query;
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return Status::IOError("cannot start an HTTP client");
    struct curl_slist* headers = nullptr;
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(nullptr, curl_slist_free_all);
    const std::string access_key = fs_->options().GetAccessKey();
    if (!access_key.empty()) {
      for (const auto& [name, value] : SigV4Headers(
               "GET", host_, path, query, region_, access_key, fs_->options().GetSecretKey(),
               fs_->options().GetSessionToken(), AmzDateNow())) {
        headers = curl_slist_append(headers, (name + ": " + value).c_str());
      }
      header_list.reset(headers);
    }
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(connect_timeout_ > 0 ? connect_timeout_ * 1000 : 5000));
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 120L);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
      return Status::IOError("listing s3://", bucket_, "/", prefix_, ": ", curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, code);
    return Status::OK();
  }

  static void Backoff(int attempt) {
    const int64_t ceiling = std::min<int64_t>(5000, int64_t{100} << std::min(attempt, 6));
    thread_local std::mt19937 rng(std::random_device{}());
    const int64_t ms = std::uniform_int_distribution<int64_t>(ceiling / 2, ceiling)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  std::shared_ptr<arrow::fs::S3FileSystem> fs_;
  std::string bucket_, prefix_, region_, scheme_, host_;
  double connect_timeout_ = 5;
  int max_attempts_;
  std::string token_;
  bool done_ = false;
};

}  // namespace

std::string AwsUriEncode(std::string_view text, bool encode_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (c == '/' && !encode_slash);
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SigV4Headers(
    const std::string& method, const std::string& host, const std::string& path,
    const std::string& canonical_query, const std::string& region, const std::string& access_key,
    const std::string& secret_key, const std::string& session_token, const std::string& amz_date) {
  const std::string day = amz_date.substr(0, 8);
  std::string canonical_headers = "host:" + host + "\n";
  canonical_headers += "x-amz-content-sha256:";
  canonical_headers += kEmptySha256;
  canonical_headers += "\nx-amz-date:" + amz_date + "\n";
  std::string signed_headers = "host;x-amz-content-sha256;x-amz-date";
  if (!session_token.empty()) {
    canonical_headers += "x-amz-security-token:" + session_token + "\n";
    signed_headers += ";x-amz-security-token";
  }
  std::string canonical = method + "\n" + path + "\n" + canonical_query + "\n";
  canonical += canonical_headers + "\n" + signed_headers + "\n" + kEmptySha256;
  const std::string scope = day + "/" + region + "/s3/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n";
  to_sign += Sha256Hex(canonical);
  std::string key = Hmac("AWS4" + secret_key, day);
  key = Hmac(key, region);
  key = Hmac(key, "s3");
  key = Hmac(key, "aws4_request");
  const std::string signature = Hmac(key, to_sign);
  std::string authorization = "AWS4-HMAC-SHA256 Credential=" + access_key + "/" + scope;
  authorization += ", SignedHeaders=" + signed_headers + ", Signature=";
  authorization += Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-amz-date", amz_date}, {"x-amz-content-sha256", kEmptySha256}};
  if (!session_token.empty()) headers.emplace_back("x-amz-security-token", session_token);
  headers.emplace_back("Authorization", authorization);
  return headers;
}

Result<S3Page> ParseListObjectsV2(const std::string& xml) {
  std::string_view rest(xml);
  if (rest.find("<ListBucketResult") == std::string_view::npos) {
    return Status::IOError("listing: not a ListObjectsV2 answer: ", xml.substr(0, 200));
  }
  S3Page page;
  while (true) {
    const size_t a = rest.find("<Contents>");
    if (a == std::string_view::npos) break;
    const size_t b = rest.find("</Contents>", a);
    if (b == std::string_view::npos) return Status::IOError("listing: a cut-short answer");
    std::string_view entry = rest.substr(a, b - a);
    std::string_view key, size, modified;
    if (!Element(entry, "Key", &key)) return Status::IOError("listing: an entry without a key");
    S3Object object;
    object.key = UrlDecode(XmlUnescape(key));
    if (Element(entry, "Size", &size))
      object.size = std::strtoll(std::string(size).c_str(), nullptr, 10);
    if (Element(entry, "LastModified", &modified))
      object.modification_time_us = ParseIsoTime(modified);
    page.objects.push_back(std::move(object));
    rest.remove_prefix(b);
  }
  std::string_view truncated, token;
  if (Element(xml, "IsTruncated", &truncated) && truncated == "true") {
    if (!Element(xml, "NextContinuationToken", &token) || token.empty()) {
      return Status::IOError("listing: a truncated page without a continuation token");
    }
    page.next_token = XmlUnescape(token);
  }
  return page;
}

Result<std::unique_ptr<S3PageLister>> S3PageLister::Make(const StoragePath& root,
                                                         int max_attempts) {
  auto fs = std::dynamic_pointer_cast<arrow::fs::S3FileSystem>(root.fs);
  if (!fs) return Status::Invalid(root.uri, " is not on S3");
  const size_t slash = root.path.find('/');
  std::string bucket = root.path.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : root.path.substr(slash + 1);
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return std::unique_ptr<S3PageLister>(std::make_unique<CurlPageLister>(
      std::move(fs), std::move(bucket), std::move(prefix), max_attempts));
}

}  // namespace imgfeat

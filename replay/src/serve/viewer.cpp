// The viewer's answers (see viewer.hpp).
#include "viewer.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <sstream>
#include <stdexcept>

#include "api.hpp"
#include "pages.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/json.hpp"

namespace screenreel::replay::serve {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kCookie = "screenreel_session";

// The login cookie's value: 16 random bytes in hex, made at start (never the token itself).
std::string random_cookie() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  return to_hex(bytes);
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
  }
  return {};
}

Response reply(http::status status, std::string_view content_type, std::string body) {
  Response r{status, 11};
  r.set(http::field::content_type, content_type);
  r.set("X-Content-Type-Options", "nosniff");
  r.set("X-Frame-Options", "DENY");
  r.set("Referrer-Policy", "no-referrer");
  r.set("Content-Security-Policy",
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
  r.set(http::field::cache_control, "no-store");
  r.body() = std::move(body);
  return r;
}

Response json_error(unsigned status, const std::string& message) {
  std::ostringstream out;
  print_json(out, Json{{"error", message}});
  return reply(static_cast<http::status>(status), "application/json", out.str());
}

Response redirect(std::string_view to) {
  Response r = reply(http::status::see_other, "text/plain; charset=utf-8", "");
  r.set(http::field::location, to);
  return r;
}

}  // namespace

Viewer::Viewer(CatalogReader& catalog, ArchivePaths paths, std::string catalog_location,
               std::optional<std::string> token, bool https)
    : catalog_(catalog),
      paths_(paths),
      token_(std::move(token)),
      https_(https),
      cookie_(random_cookie()),
      exports_(std::move(paths), std::move(catalog_location)) {}

bool Viewer::authorized(const Request& request) const {
  if (!token_) return true;
  if (const auto it = request.find(http::field::authorization); it != request.end()) {
    const std::string_view value = it->value();
    if (value.starts_with("Bearer ") && equal_secrets(value.substr(7), *token_)) return true;
  }
  if (const auto it = request.find(http::field::cookie); it != request.end())
    return equal_secrets(cookie_value(it->value(), kCookie), cookie_);
  return false;
}

Response Viewer::login(const Request& request) {
  if (request.method() == http::verb::get) {
    const Page* page = find_page("/login");
    return reply(http::status::ok, page->content_type, std::string(page->body));
  }
  Query form;
  try {
    form = parse_query(request.body());
  } catch (const ApiError&) {
  }
  const auto it = form.find("token");
  if (!token_ || it == form.end() || !equal_secrets(it->second, *token_)) {
    log::warning("a login with a wrong token was refused");
    return reply(http::status::unauthorized, "text/plain; charset=utf-8", "wrong token\n");
  }
  Response r = redirect("/");
  r.set(http::field::set_cookie, std::string(kCookie) + "=" + cookie_ + "; HttpOnly; SameSite=Strict; Path=/" +
                                           (https_ ? "; Secure" : ""));
  return r;
}

ApiAnswer Viewer::answer_api_path(const Request& request, std::string_view path, const Query& query) {
  constexpr std::string_view kExports = "/api/exports/", kSessions = "/api/sessions/", kExport = "/export";
  if (request.method() == http::verb::post) {
    if (path.starts_with(kSessions) && path.ends_with(kExport) && path.size() > kSessions.size() + kExport.size())
      return exports_.start(catalog_, path.substr(kSessions.size(), path.size() - kSessions.size() - kExport.size()),
                            query);
    throw ApiError(405, "only GET is served here");
  }
  if (path.starts_with(kExports)) {
    const std::string_view rest = path.substr(kExports.size());
    const auto slash = rest.find('/');
    return exports_.answer(rest.substr(0, slash), slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  }
  return answer_api(catalog_, paths_, path, query);
}

Answer Viewer::answer(const Request& request) {
  const std::string_view target = request.target();
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const bool get = request.method() == http::verb::get;
  if (path == "/login" && (get || request.method() == http::verb::post)) return login(request);
  const bool api = path.starts_with("/api/");
  // POST starts an export (the one API request that is not a GET).
  if (!get && !(api && request.method() == http::verb::post)) return json_error(405, "only GET is served here");
  if (!authorized(request)) return api ? json_error(401, "log in first (or send Authorization: Bearer TOKEN)") : redirect("/login");
  if (!api) {
    if (const Page* page = find_page(path)) return reply(http::status::ok, page->content_type, std::string(page->body));
    return json_error(404, "no such page");
  }
  try {
    ApiAnswer a = answer_api_path(request, path, parse_query(query));
    Response r = reply(http::status::ok, a.content_type, std::move(a.body));
    // A frame's file does not change once written; the lists do, while a session records.
    if (a.content_type == "image/jpeg") r.set(http::field::cache_control, "private, max-age=3600");
    if (request.method() == http::verb::post) r.result(http::status::accepted);
    // The name is the session's folder and the frame's file: plain names (checked by the API).
    if (!a.download_name.empty())
      r.set(http::field::content_disposition, "attachment; filename=\"" + a.download_name + "\"");
    return {std::move(r), std::move(a.file)};
  } catch (const ApiError& e) {
    return json_error(e.status, e.what());
  }
}

}  // namespace screenreel::replay::serve

// The JSON API of `screenreel-replay serve` (schemas/http-api.md): sessions, a session, its
// frames in a time range, a frame's JPEG and text search, answered from the catalog. A URL never
// names a file: a frame's file is the one its catalog row names, in its session's folder, opened
// without following symbolic links (schemas/archive-layout.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "body_file.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/json.hpp"

namespace screenreel::replay::serve {

// A request the API cannot answer: its HTTP status (4xx) and a message for the client.
struct ApiError : std::runtime_error {
  ApiError(unsigned status, const std::string& message) : std::runtime_error(message), status(status) {}
  unsigned status;
};

// The parameters of a URL's query ("a=1&b=x%20y"), percent-decoded ('+' is a space). A
// malformed escape is an ApiError 400.
using Query = std::map<std::string, std::string, std::less<>>;
Query parse_query(std::string_view query);

// A number of the URL: decimal digits only (no sign, no spaces), at most `max`; none otherwise.
std::optional<std::int64_t> parse_number(std::string_view text, std::int64_t max);
// Query parameter `name` as parse_number reads it: none when absent, ApiError 400 when malformed.
std::optional<std::int64_t> number_param(const Query& q, const char* name, std::int64_t max);
// An answer's JSON text (print_json's: UTF-8, keys in order).
std::string json_text(const Json& value);

struct ApiAnswer {
  ApiAnswer(std::string type, std::string text, std::string download, BodyFile f = {})
      : content_type(std::move(type)), body(std::move(text)), download_name(std::move(download)), file(std::move(f)) {}
  std::string content_type;  // application/json or image/jpeg
  std::string body;
  std::string download_name;  // not empty: to be saved as this file (Content-Disposition: attachment)
  BodyFile file;              // open: the body is this file (a frame's JPEG), not `body`
};

// Answers the API path `path` (everything before '?', starting "/api/"). Throws ApiError: 404
// for a path, session or frame that does not exist, 400 for a bad parameter.
ApiAnswer answer_api(CatalogReader& catalog, const ArchivePaths& paths, std::string_view path, const Query& query);

}  // namespace screenreel::replay::serve

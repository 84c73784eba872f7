// Session folder contents (see session_files.hpp).
#include "screenreel/archive/session_files.hpp"

#include <charconv>
#include <ctime>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_events.hpp"
#include "screenreel/archive/session_manifest.hpp"

namespace screenreel {
namespace fs = std::filesystem;

std::optional<std::uint64_t> parse_frame_file_name(std::string_view name) {
  constexpr std::string_view kPrefix = "frame_", kSuffix = ".jpg";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  const std::string_view digits =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  // 18 digits cannot overflow 64 bits; no session comes near that many frames.
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  // Only the canonical spelling counts, so that one number never has two files.
  if (frame_file_name(n) != name) return std::nullopt;
  return n;
}

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

std::string session_folder_name(std::int64_t started_us, std::int64_t id) {
  const std::time_t t = static_cast<std::time_t>(started_us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf) + "-" + std::to_string(id);
}

std::optional<SessionFolderName> parse_session_folder_name(std::string_view name) {
  const auto dash = name.find('-');
  if (dash != 16 || name.size() <= 17) return std::nullopt;
  std::tm tm{};
  const std::string stamp(name.substr(0, dash));
  const char* end = strptime(stamp.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  SessionFolderName out;
  const std::string_view id = name.substr(dash + 1);
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), out.id);
  if (ec != std::errc() || p != id.data() + id.size() || out.id <= 0) return std::nullopt;
  out.started_us = std::int64_t{timegm(&tm)} * 1000000;
  if (session_folder_name(out.started_us, out.id) != name) return std::nullopt;  // one spelling
  return out;
}

SessionFiles list_session_files(const fs::path& dir) {
  SessionFiles files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_temp_file_name(name)) {
      files.temporary.push_back(name);
    } else if (name == kManifestFile && entry.is_regular_file() && !entry.is_symlink()) {
      files.manifest = true;
    } else if (name == kEventsFile && entry.is_regular_file() && !entry.is_symlink()) {
      files.events = true;
    } else if (auto n = parse_frame_file_name(name);
               n && entry.is_regular_file() && !entry.is_symlink()) {
      // A symlink is never written by the receiver; it is listed as "other", not followed.
      files.frames.emplace(*n, name);
    } else {
      files.other.push_back(name);
    }
  }
  return files;
}

}  // namespace screenreel

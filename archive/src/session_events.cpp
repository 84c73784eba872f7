// Session events files (see session_events.hpp).
#include "screenreel/archive/session_events.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "screenreel/archive/archive.hpp"

namespace screenreel {
namespace {
using Json = nlohmann::ordered_json;

Json optional_value(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

std::optional<std::int64_t> optional_member(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || j.at(name).is_null()) return std::nullopt;
  return j.at(name).get<std::int64_t>();
}
}  // namespace

std::string session_events_lines(const SessionEvents& events) {
  std::string out;
  const auto line = [&](const Json& j) { out += j.dump() + "\n"; };
  for (const auto& m : events.markers)
    line({{"type", "marker"}, {"time_us", m.time_us}, {"tick", m.tick}, {"frame", optional_value(m.frame)},
          {"label", m.label}, {"source", m.source}});
  for (const auto& p : events.pauses)
    line({{"type", "pause"}, {"from_tick", p.from_tick}, {"from_us", p.from_us}, {"to_tick", optional_value(p.to_tick)},
          {"to_us", optional_value(p.to_us)}, {"reason", p.reason}});
  for (const auto& e : events.pause_ends) line({{"type", "resume"}, {"to_tick", e.to_tick}, {"to_us", e.to_us}});
  return out;
}

void append_session_events(const std::filesystem::path& dir, const SessionEvents& events) {
  const std::string text = session_events_lines(events);
  if (text.empty()) return;
  append_file(dir, kEventsFile, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

SessionEventsFile read_session_events(const std::filesystem::path& dir, std::int64_t session_id) {
  SessionEventsFile out;
  std::ifstream in(dir / kEventsFile, std::ios::binary);
  if (!in) return out;
  const std::string where = dir.filename().string() + "/" + kEventsFile;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (in.eof()) break;  // no newline after it: cut short by a crash, never complete
    try {
      const auto j = nlohmann::json::parse(line);
      const std::string type = j.at("type").get<std::string>();
      if (type == "marker") {
        out.events.markers.push_back({session_id, j.at("time_us").get<std::int64_t>(), j.at("tick").get<std::int64_t>(),
                                      optional_member(j, "frame"), j.at("label").get<std::string>(),
                                      j.at("source").get<std::string>()});
      } else if (type == "pause") {
        out.events.pauses.push_back({session_id, j.at("from_tick").get<std::int64_t>(),
                                     j.at("from_us").get<std::int64_t>(), optional_member(j, "to_tick"),
                                     optional_member(j, "to_us"), j.at("reason").get<std::string>()});
      } else if (type == "resume") {
        // What the catalog does with a pause end (add_events): it ends the open pauses begun
        // at or before it.
        const auto to_tick = j.at("to_tick").get<std::int64_t>();
        const auto to_us = j.at("to_us").get<std::int64_t>();
        for (auto& p : out.events.pauses)
          if (!p.to_tick && p.from_tick <= to_tick) {
            p.to_tick = to_tick;
            p.to_us = to_us;
          }
      }
    } catch (const nlohmann::json::exception& e) {
      out.warnings.push_back(where + " line " + std::to_string(number) + " skipped: " + e.what());
    }
  }
  return out;
}

}  // namespace screenreel

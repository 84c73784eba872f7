// Session manifests (see session_manifest.hpp).
#include "screenreel/archive/session_manifest.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/integrity.hpp"

namespace screenreel {

std::string session_manifest_json(const SessionRecord& s) {
  nlohmann::ordered_json j;
  j["format"] = "screenreel-session";
  j["version"] = kManifestFormat;
  j["id"] = s.id;
  j["folder"] = s.folder;
  j["name"] = s.name;
  j["client_address"] = s.client_address;
  j["source"] = s.source;
  j["width"] = s.width;
  j["height"] = s.height;
  j["fps"] = s.fps;
  j["started_us"] = s.started_us;
  j["ended_us"] = s.ended_us ? nlohmann::ordered_json(*s.ended_us) : nlohmann::ordered_json(nullptr);
  j["end_reason"] = s.end_reason;
  j["error"] = s.error;
  j["dropped"] = s.dropped;
  if (s.keep) j["keep"] = true;
  if (s.head) {  // tamper evidence: the signed head survives the catalog
    j["head"] = to_hex(*s.head);
    j["head_frames"] = s.head_frames;
    j["signature"] = to_hex(s.signature);
    j["signer"] = to_hex(s.signer);
  }
  return j.dump(2) + "\n";
}

void write_session_manifest(const std::filesystem::path& dir, const SessionRecord& s) {
  const std::string text = session_manifest_json(s);
  write_file_atomic(dir, kManifestFile,
                    std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<SessionRecord> read_session_manifest(const std::filesystem::path& dir) {
  const auto path = dir / kManifestFile;
  std::ifstream in(path);
  if (!in) return Error{"no " + std::string(kManifestFile)};
  try {
    const auto j = nlohmann::json::parse(in);
    if (j.value("format", "") != "screenreel-session") return Error{path.string() + " is not a session manifest"};
    if (j.at("version").get<int>() > kManifestFormat)
      return Error{path.string() + " has manifest version " + std::to_string(j.at("version").get<int>()) +
                   ", written by a newer screenreel: upgrade screenreel"};
    SessionRecord s;
    s.id = j.at("id").get<std::int64_t>();
    s.folder = j.at("folder").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.client_address = j.at("client_address").get<std::string>();
    s.source = j.at("source").get<std::string>();
    s.width = j.at("width").get<std::uint32_t>();
    s.height = j.at("height").get<std::uint32_t>();
    s.fps = j.at("fps").get<double>();
    s.started_us = j.at("started_us").get<std::int64_t>();
    if (!j.at("ended_us").is_null()) s.ended_us = j.at("ended_us").get<std::int64_t>();
    s.end_reason = j.at("end_reason").get<std::string>();
    s.error = j.at("error").get<std::string>();
    s.dropped = j.at("dropped").get<std::int64_t>();
    s.keep = j.value("keep", false);
    if (j.contains("head")) {
      const auto head = from_hex(j.at("head").get<std::string>());
      if (head.size() != Digest{}.size()) return Error{path.string() + ": head is not 32 bytes of hex"};
      s.head.emplace();
      std::copy(head.begin(), head.end(), s.head->begin());
      s.head_frames = j.at("head_frames").get<std::int64_t>();
      s.signature = from_hex(j.at("signature").get<std::string>());
      s.signer = from_hex(j.at("signer").get<std::string>());
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Error{path.string() + " cannot be read: " + e.what()};
  }
}

}  // namespace screenreel

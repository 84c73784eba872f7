// The viewer's video exports (see exports.hpp).
#include "exports.hpp"

#include <fcntl.h>
#include <stdlib.h>

#include <limits>
#include <vector>

#include "screenreel/common/log.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/video_export.hpp"

namespace screenreel::replay::serve {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kKeptExports = 4;                   // finished videos kept, newest
constexpr std::int64_t kDefaultScalePercent = 50;

// Thrown from the progress callback to stop an export when serve stops.
struct StopExport {};

// Parameter `name` from min to max (api.hpp's number_param, with a lower bound).
std::optional<std::int64_t> number(const Query& q, const char* name, std::int64_t min, std::int64_t max) {
  const auto v = number_param(q, name, max);
  if (v && *v < min)
    throw ApiError(400, std::string("parameter ") + name + " must be a whole number from " + std::to_string(min) +
                            " to " + std::to_string(max));
  return v;
}

}  // namespace

Exports::Exports(ArchivePaths paths, std::string catalog) : paths_(std::move(paths)), catalog_(std::move(catalog)) {
  std::string pattern = (fs::temp_directory_path() / "screenreel-serve-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back(0);
  if (!::mkdtemp(buf.data())) throw std::runtime_error("cannot make a temporary folder for exports in " + pattern);
  dir_ = buf.data();
}

Exports::~Exports() { stop(); }

std::optional<Exports::Stopped> Exports::stop() {
  std::lock_guard lock(mutex_);
  std::optional<Stopped> running;
  for (const auto& [n, j] : jobs_)
    if (!j->finished) running = Stopped{n, j->session};
  stopping_ = true;
  if (worker_.joinable()) worker_.join();
  std::error_code ec;
  fs::remove_all(dir_, ec);
  jobs_.clear();
  return running;
}

ApiAnswer Exports::start(CatalogReader& catalog, std::string_view session_id, const Query& q) {
  const auto id = parse_number(session_id, std::numeric_limits<std::int64_t>::max());
  std::optional<SessionRecord> s;
  if (id) s = catalog.session(*id);
  if (!s || s->deleting) throw ApiError(404, "no session " + std::string(session_id));
  if (s->frame_count == 0) throw ApiError(400, "session " + std::to_string(s->id) + " has no frames to export");
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max() / 4;
  const auto from = number(q, "from", 0, kMax).value_or(0);
  const auto to = number(q, "to", 0, kMax);
  if (to && *to < from) throw ApiError(400, "to is before from");
  const double scale = static_cast<double>(number(q, "scale", 5, 100).value_or(kDefaultScalePercent)) / 100;
  std::lock_guard lock(mutex_);
  for (const auto& [n, j] : jobs_)
    if (!j->finished) throw ApiError(409, "export " + std::to_string(n) + " is running; one export runs at a time");
  if (worker_.joinable()) worker_.join();  // finished: only its thread is left
  // The oldest finished exports make room.
  while (jobs_.size() >= kKeptExports) {
    std::error_code ec;
    fs::remove(dir_ / jobs_.begin()->second->name, ec);
    jobs_.erase(jobs_.begin());
  }
  auto job = std::make_shared<Job>();
  job->id = next_id_++;
  job->session = s->id;
  job->name = "session-" + std::to_string(s->id) + "-" + std::to_string(job->id) + ".mp4";
  jobs_[job->id] = job;
  worker_ = std::thread([this, job, session = *s, from, to, scale] { run(job, session, from, to, scale); });
  Json j;
  j["job"] = job->id;
  j["status"] = "/api/exports/" + std::to_string(job->id);
  return {"application/json", json_text(j), {}};
}

void Exports::run(std::shared_ptr<Job> job, SessionRecord session, std::int64_t from_us,
                  std::optional<std::int64_t> to_us, double scale) {
  try {
    // A connection of its own: SQLite connections are not shared between threads here.
    const auto catalog = open_catalog_reader(CatalogLocation::parse(catalog_, paths_.catalog()));
    VideoExportOptions o;
    o.output = dir_ / job->name;
    o.range = {from_us, to_us};
    o.scale = scale;
    o.codec = "avc1";
    o.progress = [&](std::uint64_t done, std::uint64_t total) {
      if (stopping_) throw StopExport{};
      job->done = done;
      job->total = total;
    };
    export_video(paths_, *catalog, session, o);
    std::error_code ec;
    job->bytes = fs::file_size(o.output, ec);
    log::info("exported session " + std::to_string(session.id) + " to " + o.output.string());
  } catch (const StopExport&) {
    job->error = "serve stopped";
  } catch (const std::exception& e) {
    job->error = e.what();
    log::warning("export of session " + std::to_string(session.id) + " failed: " + e.what());
  }
  job->finished = true;
}

ApiAnswer Exports::answer(std::string_view job_text, std::string_view name) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    if (const auto id = parse_number(job_text, std::numeric_limits<std::int64_t>::max()))
      if (const auto it = jobs_.find(*id); it != jobs_.end()) job = it->second;
  }
  if (!job) throw ApiError(404, "no export " + std::string(job_text) + " (serve keeps the last " +
                                std::to_string(kKeptExports) + ")");
  const bool finished = job->finished;
  if (name.empty()) {
    Json j;
    j["job"] = job->id;
    j["session"] = job->session;
    j["state"] = !finished ? "running" : job->error.empty() ? "done" : "failed";
    j["done"] = job->done.load();
    j["total"] = job->total.load();
    j["error"] = finished ? json_or_null(job->error) : Json();
    j["file"] = finished && job->error.empty() ? Json("/api/exports/" + std::to_string(job->id) + "/" + job->name)
                                               : Json();
    j["bytes"] = finished && job->error.empty() ? Json(job->bytes) : Json();
    return {"application/json", json_text(j), {}};
  }
  if (name != job->name || !finished || !job->error.empty())
    throw ApiError(404, "export " + std::to_string(job->id) + " has no file " + std::string(name) + " (yet)");
  // Sent from the file (BodyFile), never read into memory: a video of any length is served.
  auto file = BodyFile::open_at(AT_FDCWD, (dir_ / job->name).c_str());
  if (!file) throw ApiError(404, "export " + std::to_string(job->id) + "'s file is gone");
  return {"video/mp4", {}, job->name, std::move(*file)};
}

}  // namespace screenreel::replay::serve

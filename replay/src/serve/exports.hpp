// The viewer's video exports (POST /api/sessions/ID/export, GET /api/exports/JOB and its file;
// schemas/http-api.md): the export command's own code (export_video) on a thread of its own, its
// progress asked for by the page, the video kept in a private temporary folder until serve stops.
// One export runs at a time; the last few finished ones are kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "api.hpp"

namespace screenreel::replay::serve {

class Exports {
 public:
  // `catalog`: --catalog (a catalog a fleet shares), or empty for the archive's catalog.db.
  Exports(ArchivePaths paths, std::string catalog);
  // stop().
  ~Exports();
  // Stops a running export (at its next frame: the export code checks between frames) and
  // removes every file, the running export's partial video with the rest. Returns the export it
  // stopped (its job and session, to be told), if one ran. Later calls do nothing.
  struct Stopped {
    std::int64_t job = 0, session = 0;
  };
  std::optional<Stopped> stop();
  Exports(const Exports&) = delete;
  Exports& operator=(const Exports&) = delete;

  // Starts exporting session `session` (read through `catalog`) in the query's range (from, to:
  // offsets) at scale `scale` (percent, default 50). ApiError 409 while another export runs.
  ApiAnswer start(CatalogReader& catalog, std::string_view session_id, const Query& query);
  // GET /api/exports/JOB, and /api/exports/JOB/NAME (the finished video).
  ApiAnswer answer(std::string_view job, std::string_view name);

 private:
  struct Job {
    std::int64_t id = 0, session = 0;
    std::string name;  // the video's file name
    std::atomic<std::uint64_t> done{0}, total{0};
    std::atomic<bool> finished{false};
    std::string error;  // set before finished, when it failed
    std::uint64_t bytes = 0;
  };
  void run(std::shared_ptr<Job> job, SessionRecord session, std::int64_t from_us, std::optional<std::int64_t> to_us,
           double scale);

  ArchivePaths paths_;
  std::string catalog_;
  std::filesystem::path dir_;  // private (mkdtemp, 0700)
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<Job>> jobs_;
  std::int64_t next_id_ = 1;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
};

}  // namespace screenreel::replay::serve

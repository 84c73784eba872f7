// Building the text index offline (see text_indexing.hpp).
#include "screenreel/replay/text_indexing.hpp"

#include <algorithm>
#include <optional>

#include "screenreel/ocr/pass.hpp"
#include "screenreel/ocr/pass_schedule.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_image.hpp"

namespace screenreel::replay {
namespace {

std::optional<ocr::GrayImage> read_gray(const ArchivePaths& paths, const SessionRecord& session,
                                        const FrameRecord& frame) {
  try {
    const cv::Mat bgr = load_frame(paths, session, frame);
    return ocr::gray_from_bgr(bgr.data, bgr.cols, bgr.rows, bgr.step);
  } catch (const Failure&) {
    return std::nullopt;
  }
}

}  // namespace

IndexResult index_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                          ocr::Engine& engine, const IndexOptions& options) {
  IndexResult r;
  if (session.recording())
    throw Failure(
        "session " + std::to_string(session.id) +
        " is still being recorded (or its receiver died: run recover); index it once it has ended, "
        "or record with screenreel-receiver --ocr");
  TextIndex index(catalog);
  if (options.again) index.erase(session.id);
  auto state = index.state(session.id);
  if (state && state->complete) {
    r.already_complete = true;
    return r;
  }
  index.begin(session.id, "replay", engine.options().lang, options.interval_us);
  const std::int64_t through = state ? state->through_seq : 0;
  r.resumed_after = through;

  const auto frames = catalog.frames(session.id);
  std::optional<ocr::GrayImage> previous;  // the frame the last pass read
  // The frames read are the receiver's (PassSchedule): the one on screen at each due time.
  ocr::PassSchedule schedule(options.interval_us);
  const FrameRecord* newest = nullptr;  // the frame before the one at hand
  std::int64_t pending = 0;             // frames not read since the last pass, newest included
  std::uint64_t done = 0;
  const auto read = [&](const FrameRecord& f) {
    auto gray = read_gray(paths, session, f);
    if (!gray) {
      ++r.unreadable;  // its changes stay pending: the next frame read covers them
      return;
    }
    ocr::DirtyTiles dirty(gray->width, gray->height);
    if (previous)
      dirty.mark_differences(*previous, *gray);
    else
      dirty.mark_all();
    const auto report = ocr::run_pass(engine, index, {session.id, f.seq, f.capture_us, pending}, *gray, dirty);
    ++r.passes;
    r.lines += static_cast<std::int64_t>(report.pass.lines.size());
    previous = std::move(gray);
    pending = 0;
  };
  for (const FrameRecord& f : frames) {
    ++done;
    const bool due = schedule.next_frame(f.capture_us);
    if (f.seq <= through) {  // read before: its place in the schedule only
      if (f.seq == through) previous = read_gray(paths, session, f);
      newest = &f;
      continue;
    }
    if (due && pending > 0 && newest) read(*newest);
    newest = &f;
    ++pending;
    if (options.progress) options.progress(done, frames.size());
  }
  if (pending > 0 && newest) read(*newest);
  if (options.progress) options.progress(frames.size(), frames.size());
  if (!frames.empty())
    index.finish(session.id, frames.back().seq,
                 std::max(frames.back().capture_us, session.ended_us.value_or(0)));
  return r;
}

}  // namespace screenreel::replay

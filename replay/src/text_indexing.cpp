// Building the text index offline (see text_indexing.hpp).
#include "screenreel/replay/text_indexing.hpp"

#include <algorithm>
#include <optional>

#include "screenreel/ocr/pass.hpp"
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
  std::int64_t last_pass_us = 0, pending = 0;
  if (through > 0) {
    for (const auto& f : frames)
      if (f.seq == through) {
        previous = read_gray(paths, session, f);
        last_pass_us = f.capture_us;
      }
  }
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const FrameRecord& f = frames[i];
    ++done;
    if (f.seq <= through) continue;
    ++pending;
    const bool last = i + 1 == frames.size();
    if (previous && !last && f.capture_us - last_pass_us < options.interval_us) continue;
    auto gray = read_gray(paths, session, f);
    if (!gray) {
      ++r.unreadable;
      continue;
    }
    ocr::DirtyTiles dirty(gray->width, gray->height);
    if (previous)
      dirty.mark_differences(*previous, *gray);
    else
      dirty.mark_all();
    const auto report =
        ocr::run_pass(engine, index, {session.id, f.seq, f.capture_us, pending}, *gray, dirty);
    ++r.passes;
    r.lines += static_cast<std::int64_t>(report.pass.lines.size());
    previous = std::move(gray);
    last_pass_us = f.capture_us;
    pending = 0;
    if (options.progress) options.progress(done, frames.size());
  }
  if (options.progress) options.progress(frames.size(), frames.size());
  if (!frames.empty())
    index.finish(session.id, frames.back().seq,
                 std::max(frames.back().capture_us, session.ended_us.value_or(0)));
  return r;
}

}  // namespace screenreel::replay

// The playback window (see player.hpp).
#include "screenreel/replay/player.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string_view>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_image.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"
#include "screenreel/x11/display.hpp"

namespace screenreel::replay {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMinSpeed = 1.0 / 64, kMaxSpeed = 64;
constexpr int kMaxWaitMs = 20;  // keys stay responsive while a frame is held for long

// cv::waitKeyEx codes for the arrow and keypad keys differ by highgui backend: X11 keysyms
// (GTK, and Qt's native key), Qt key codes, Windows virtual keys. Any of them is accepted.
bool is_key(int key, std::initializer_list<int> codes) {
  return std::find(codes.begin(), codes.end(), key) != codes.end();
}
// Debian 12's OpenCV 4.6 (Qt 5 backend) gives the X11 keysyms; the keypad's own keysyms come
// with Num Lock off.
const std::initializer_list<int> kLeft = {0xFF51, 0xFF96, 0x1000012, 0x250000};
const std::initializer_list<int> kRight = {0xFF53, 0xFF98, 0x1000014, 0x270000};
const std::initializer_list<int> kPageUp = {0xFF55, 0xFF9A, 0x1000016, 0x210000};
const std::initializer_list<int> kPageDown = {0xFF56, 0xFF9B, 0x1000017, 0x220000};
const std::initializer_list<int> kHome = {0xFF50, 0xFF95, 0x1000010, 0x240000};
const std::initializer_list<int> kEnd = {0xFF57, 0xFF9C, 0x1000011, 0x230000};
const std::initializer_list<int> kOverlay = {'o', 'O'};
constexpr std::int64_t kArrowJumpUs = 5'000'000, kPageJumpUs = 60'000'000;
const std::initializer_list<int> kFaster = {'+', '=', 0xFFAB};
const std::initializer_list<int> kSlower = {'-', '_', 0xFFAD};
const std::initializer_list<int> kQuit = {'q', 'Q', 27};
// N, as serve's page has it; and p, since Debian's OpenCV (Qt) reports Shift+n as n.
const std::initializer_list<int> kPreviousChange = {'N', 'p'};

// highgui draws with Qt, whose X11 platform aborts the program when it finds no display
// ("Reinstalling the application may fix this problem", exit status 134). Look first, and say
// what works without one. A Qt platform chosen with QT_QPA_PLATFORM (offscreen, wayland) needs
// no X display, so it is left to Qt.
// Returns the screen's size when it is an X display (0x0 when Qt's platform is another).
cv::Size require_display(const SessionRecord& session) {
  const char* platform = std::getenv("QT_QPA_PLATFORM");
  if (platform && *platform && std::string_view(platform) != "xcb") return {};
  const std::string id = std::to_string(session.id);
  try {
    const auto display = x11::connect_display(
        {}, "Without a display, 'screenreel-replay export " + id +
                " -o FILE' makes a video of the session and 'screenreel-replay "
                "frame " + id + " --at T -o FILE' an image of one moment.");
    auto it = xcb_setup_roots_iterator(xcb_get_setup(display.conn.get()));
    for (int i = 0; i < display.screen_number && it.rem; ++i) xcb_screen_next(&it);
    return it.rem ? cv::Size(it.data->width_in_pixels, it.data->height_in_pixels) : cv::Size();
  } catch (const std::runtime_error& e) {
    throw Failure(std::string("play shows a window and needs a display: ") + e.what());
  }
}

// Qt prints "QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to /tmp/runtime-USER" on every
// run where the variable is unset (su, ssh, containers). Setting it to a private folder of our
// own (0700, as the XDG spec requires, which mkdtemp makes) is what Qt then uses quietly;
// silencing Qt's logging category instead would also hide its messages that matter. The folder is
// removed when playback ends.
class PrivateRuntimeDir {
 public:
  PrivateRuntimeDir() {
    const char* set = std::getenv("XDG_RUNTIME_DIR");
    if (set && *set) return;
    std::string tmpl = (std::filesystem::temp_directory_path() / "screenreel-xdg-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return;  // Qt's notice is all that is lost
    dir_ = tmpl;
    ::setenv("XDG_RUNTIME_DIR", dir_.c_str(), 1);
  }
  ~PrivateRuntimeDir() {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PrivateRuntimeDir(const PrivateRuntimeDir&) = delete;
  PrivateRuntimeDir& operator=(const PrivateRuntimeDir&) = delete;

 private:
  std::string dir_;
};

// The window's first size: the session's own when it fits the screen (1:1, sharp text), else the
// largest of its shape that does (the window keeps the picture's ratio when resized).
cv::Size window_size(cv::Size session, cv::Size screen) {
  if (session.width <= 0 || session.height <= 0) return {1280, 720};
  if (screen.width <= 0 || screen.height <= 0) return session;
  // Room for the title bar and a panel.
  const double room_w = screen.width * 0.95, room_h = screen.height * 0.9;
  const double s = std::min({1.0, room_w / session.width, room_h / session.height});
  return {std::max(1, static_cast<int>(session.width * s)),
          std::max(1, static_cast<int>(session.height * s))};
}

class Player {
 public:
  Player(const ArchivePaths& paths, CatalogReader& catalog, const SessionRecord& session, Timeline timeline,
         Schedule schedule, const PlayOptions& options, cv::Size screen, std::ostream& log)
      : paths_(paths),
        catalog_(catalog),
        session_(session),
        timeline_(std::move(timeline)),
        schedule_(std::move(schedule)),
        loop_(options.loop),
        speed_(options.speed),
        log_(log),
        title_(player_window_title(session)),
        screen_(screen),
        start_pos_(options.at_us ? schedule_.at_us[timeline_.index_at(timeline_.origin_us() + *options.at_us)]
                                 : 0) {}

  void run() {
    cv::namedWindow(title_, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO | cv::WINDOW_GUI_NORMAL);
    const cv::Size size = window_size(
        {static_cast<int>(session_.width), static_cast<int>(session_.height)}, screen_);
    cv::resizeWindow(title_, size.width, size.height);
    log_ << "playing session " << session_.id << " \"" << terminal_safe(session_.name)
         << "\": " << timeline_.frames().size() << " frames from " << offset_of(0) << " to "
         << format_offset(timeline_.end_us() - timeline_.origin_us()) << " at " << speed_text()
         << " in a " << size.width << "x" << size.height
         << " window  (space pause, arrows seek, 0-9 jump, n/p next/previous change, o overlay, +/- speed,"
            " q quit)\n";
    anchor(start_pos_);
    show(schedule_.index_at(start_pos_));
    if (start_pos_ > 0)
      log_ << "starting at " << offset_of(current_) << " (frame " << timeline_.frames()[current_].seq
           << ")\n";
    for (;;) {
      int wait_ms = kMaxWaitMs;
      if (!paused_) {
        if (position() >= schedule_.end_us) {
          if (!loop_) {
            show(timeline_.frames().size() - 1);  // the range's last frame is always shown
            cv::waitKey(1);
            break;
          }
          restart();  // and still wait for keys below, even when the range is a single instant
        }
        const std::int64_t pos = position();
        const std::size_t want = schedule_.index_at(pos);
        if (want != current_)
          show(want);  // when drawing falls behind, frames are skipped, not slowed
        const std::int64_t next = current_ + 1 < schedule_.at_us.size()
                                      ? schedule_.at_us[current_ + 1]
                                      : schedule_.end_us;
        wait_ms =
            std::clamp(static_cast<int>(std::ceil(static_cast<double>(next - pos) / speed_ / 1000)),
                       1, kMaxWaitMs);
      }
      const int key = cv::waitKeyEx(wait_ms);
      if (cv::getWindowProperty(title_, cv::WND_PROP_VISIBLE) < 1) break;  // closed by the user
      if (key >= 0 && !handle_key(key)) break;
    }
    log_ << "stopped at " << offset_of(current_) << " (frame " << timeline_.frames()[current_].seq
         << ")\n";
    cv::destroyWindow(title_);
    cv::waitKey(1);  // lets the window system take the window down
  }

 private:
  // False to quit.
  bool handle_key(int key) {
    if (is_key(key, kQuit)) return false;
    if (key == ' ') {
      if (paused_) {
        anchor(paused_at_);
        paused_ = false;
        log_ << "playing from " << offset_of(current_) << "\n";
      } else {
        paused_at_ = position();
        paused_ = true;
        log_ << "paused at " << offset_of(current_) << " (frame "
             << timeline_.frames()[current_].seq << ")\n";
      }
    } else if (is_key(key, kOverlay)) {
      overlay_ = !overlay_;
      draw();
    } else if (key >= '0' && key <= '9') {
      seek(schedule_.end_us * (key - '0') / 10);
    } else if (is_key(key, kHome) || is_key(key, kEnd)) {
      seek(is_key(key, kHome) ? 0 : schedule_.end_us);
    } else if (is_key(key, kPageUp) || is_key(key, kPageDown)) {
      seek(position() + (is_key(key, kPageUp) ? kPageJumpUs : -kPageJumpUs));
    } else if (!paused_ && (is_key(key, kRight) || is_key(key, kLeft))) {
      seek(position() + (is_key(key, kRight) ? kArrowJumpUs : -kArrowJumpUs));
    } else if (paused_ && (is_key(key, kRight) || is_key(key, kLeft))) {
      const bool forward = is_key(key, kRight);
      if (forward ? current_ + 1 < timeline_.frames().size() : current_ > 0) {
        show(forward ? current_ + 1 : current_ - 1);
        paused_at_ = schedule_.at_us[current_];
        log_ << "frame " << timeline_.frames()[current_].seq << " at " << offset_of(current_)
             << "\n";
      }
    } else if (key == 'n' || is_key(key, kPreviousChange)) {
      to_change(key == 'n');
    } else if (is_key(key, kFaster) || is_key(key, kSlower)) {
      const std::int64_t pos = position();
      speed_ = std::clamp(is_key(key, kFaster) ? speed_ * 2 : speed_ / 2, kMinSpeed, kMaxSpeed);
      anchor(pos);
      log_ << "speed " << speed_text() << "\n";
    }
    return true;
  }

  // Playback continues (or stays paused) from `pos`, clamped to the range.
  void seek(std::int64_t pos) {
    pos = std::clamp<std::int64_t>(pos, 0, schedule_.end_us);
    if (paused_)
      paused_at_ = pos;
    else
      anchor(pos);
    show(schedule_.index_at(pos));
    log_ << "seek to " << offset_of(current_) << " (frame " << timeline_.frames()[current_].seq
         << ")\n";
  }

  // Seeks to the next (or previous) frame that changed the screen, as serve's player's n and N
  // do: the same walk of the catalog's activity (CatalogReader::next_change).
  void to_change(bool forward) {
    const auto& frames = timeline_.frames();
    const auto change = catalog_.next_change(session_.id, frames[current_].seq, forward);
    const auto it = change ? std::find_if(frames.begin(), frames.end(),
                                          [&](const FrameRecord& f) { return f.seq == change->seq; })
                           : frames.end();
    if (it == frames.end()) {
      log_ << "no change " << (forward ? "after" : "before") << " frame " << frames[current_].seq
           << (change ? " inside the range" : "") << "\n";
      return;
    }
    seek(schedule_.at_us[static_cast<std::size_t>(it - frames.begin())]);
  }

  void restart() {
    anchor(0);
    show(0);
  }

  void anchor(std::int64_t pos) {
    anchor_pos_ = pos;
    anchor_time_ = Clock::now();
  }

  // Playback time now, in schedule microseconds.
  std::int64_t position() const {
    if (paused_) return paused_at_;
    const double elapsed_us =
        std::chrono::duration<double, std::micro>(Clock::now() - anchor_time_).count();
    return anchor_pos_ + static_cast<std::int64_t>(elapsed_us * speed_);
  }

  void show(std::size_t i) {
    current_ = i;
    const auto& frame = timeline_.frames()[i];
    try {
      picture_ = load_frame(paths_, session_, frame);
      pictured_ = i;
    } catch (const Failure& e) {
      if (reported_.insert(frame.seq).second) log_ << "skipping a frame: " << e.what() << "\n";
    }
    draw();
  }

  // The picture last loaded, with the overlay (of the frame that should be on screen) when on.
  void draw() {
    if (picture_.empty()) return;
    if (!overlay_) {
      cv::imshow(title_, picture_);
      return;
    }
    cv::Mat shown = picture_.clone();
    const auto& frame = timeline_.frames()[current_];
    const std::string text = format_local_time(frame.capture_us) + "  " + offset_of(current_) +
                             "  frame " + std::to_string(frame.seq) +
                             (pictured_ == current_ ? "" : " (unreadable)");
    // Sized to the picture's height, so it reads the same in the window at any session size.
    const double scale = std::clamp(shown.rows / 1080.0 * 0.8, 0.35, 1.5);
    const int thickness = scale < 0.6 ? 1 : 2;
    int baseline = 0;
    const cv::Size t = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
    const int pad = std::max(3, t.height / 2);
    cv::rectangle(shown, cv::Rect(0, 0, std::min(shown.cols, t.width + 2 * pad), t.height + baseline + 2 * pad),
                  cv::Scalar(0, 0, 0), cv::FILLED);
    cv::putText(shown, text, cv::Point(pad, pad + t.height), cv::FONT_HERSHEY_SIMPLEX, scale,
                cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
    cv::imshow(title_, shown);
  }

  std::string offset_of(std::size_t i) const {
    return format_offset(std::max(timeline_.frames()[i].capture_us, timeline_.begin_us()) -
                         timeline_.origin_us());
  }
  std::string speed_text() const { return format_fixed(speed_, speed_ < 1 ? 3 : 1) + "x"; }

  const ArchivePaths& paths_;
  CatalogReader& catalog_;
  const SessionRecord& session_;
  const Timeline timeline_;
  const Schedule schedule_;
  const bool loop_;
  double speed_;
  std::ostream& log_;
  const std::string title_;
  const cv::Size screen_;  // 0x0 when unknown
  const std::int64_t start_pos_;  // where playback starts (--at), in schedule microseconds
  std::size_t current_ = 0;
  bool paused_ = false;
  std::int64_t paused_at_ = 0;
  std::int64_t anchor_pos_ = 0;
  Clock::time_point anchor_time_;
  std::set<std::int64_t> reported_;
  bool overlay_ = false;
  cv::Mat picture_;                   // the last frame loaded, as recorded
  std::size_t pictured_ = SIZE_MAX;  // its index
};

}  // namespace

std::string player_window_title(const SessionRecord& session) {
  return "screenreel-replay: " + terminal_safe(session.name) + " (session " +
         std::to_string(session.id) + ")";
}

void play(const ArchivePaths& paths, CatalogReader& catalog, const SessionRecord& session,
          const PlayOptions& options, std::ostream& log) {
  if (!(options.speed >= kMinSpeed && options.speed <= kMaxSpeed))
    throw BadOption("--speed " + format_fixed(options.speed, 3) + " is outside 1/64 .. 64");
  Timeline timeline = Timeline::load(catalog, session, options.range);
  if (options.at_us && (timeline.origin_us() + *options.at_us < timeline.begin_us() ||
                        timeline.origin_us() + *options.at_us > timeline.end_us()))
    throw Failure("--at " + format_offset(*options.at_us) + " is outside the range played (" +
                  format_offset(timeline.begin_us() - timeline.origin_us()) + " to " +
                  format_offset(timeline.end_us() - timeline.origin_us()) + ")");
  Schedule schedule = make_schedule(timeline, options.idle_limit_us);
  const cv::Size screen = require_display(session);
  PrivateRuntimeDir runtime_dir;  // before the first highgui call
  Player(paths, catalog, session, std::move(timeline), std::move(schedule), options, screen, log).run();
}

}  // namespace screenreel::replay

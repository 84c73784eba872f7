// The capture client (see client.hpp). Two threads: the capture thread grabs, diffs and
// compresses on a steady clock; the io thread owns the connection (writes FRAMEs, reads ACK,
// STOP, BYE) and the spool. Frames cross between them through asio::post.
//
// Every frame goes into the spool (screenreel/capture/spool.hpp has its rules), and leaves it
// only once the receiver says it is stored (ACK's stored_tick) and no later frame needs it as
// its base. While connected, at most max_in_flight frames are unacknowledged; when the receiver
// stalls (no ACKs), capture goes on into the spool and the backlog is sent when the window opens
// again. When the connection breaks, capture goes on into the spool too, and the io thread
// reconnects with capped exponential backoff; the new HELLO resumes the session and the spool is
// sent again from a key frame. Only a full spool (--spool-mb) drops frames, and counts them.
// The pieces: capture_loop.cpp (the capture thread), link.cpp (one connection, the handshake),
// spool.cpp, stats.cpp (--stats and the summary). What is left here (about 450 lines) is one
// state machine on the io thread, connect -> welcome -> send/ack -> lost -> reconnect -> bye,
// whose handlers share its state; split across files it would read as jumps between them.
#include "screenreel/capture/client.hpp"
#include "screenreel/capture/key_frames.hpp"
#include "hotkeys.hpp"

#include <cstdlib>
#include "screenreel/capture/spool.hpp"

#include <unistd.h>

#include <atomic>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <type_traits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "capture_loop.hpp"
#include "window_list.hpp"
#include "screenreel/common/format.hpp"
#include "link.hpp"
#include "rate_control.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/terminal_keys.hpp"
#include "screenreel/common/address.hpp"
#include "stats.hpp"

namespace screenreel::capture {
namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPingEvery = std::chrono::seconds(10);
// How often the rate controller reads the kernel's view of the link besides at each ACK and each
// frame sent: so that a receiver that stops ACKing is seen as such, and so that the link's rate is
// known by the second frame (a key frame of 8 MB takes 1.3 s to its ACK on 50 Mbit/s). Two system
// calls each time.
constexpr auto kSampleEvery = std::chrono::milliseconds(20);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

// Every line goes through the log, which makes the receiver's words (ERROR and STOP messages,
// folder names) terminal-safe: a peer cannot write escape sequences to the user's terminal.
void say(const std::string& line) { log::info(line); }

std::string seconds_text(double s) { return format_fixed(s, 1) + " s"; }

std::vector<HotkeyBinding> hotkey_bindings(const CaptureConfig& config) {
  return {{HotkeyAction::kMarker, config.hotkey_marker},
          {HotkeyAction::kPause, config.hotkey_pause},
          {HotkeyAction::kSave, config.hotkey_save}};
}

class Client {
 public:
  Client(const CaptureConfig& config, FrameSource& source)
      : config_(config),
        source_(source),
        tls_(config.tls ? make_tls_client_context(config.tls_ca, config.tls_fingerprint) : nullptr),
        connect_timer_(io_),
        retry_timer_(io_),
        bye_timer_(io_),
        ping_timer_(io_),
        stats_timer_(io_),
        sample_timer_(io_),
        signals_(io_, SIGINT, SIGTERM),
        user_signals_(io_, SIGUSR1, SIGUSR2),
        spool_(config.spool_mb << 20),
        connected_spool_limit_(std::min(spool_.limit() / 4, kConnectedSpoolBytes)),
        key_frames_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.key_interval_s)),
                    Clock::now()) {
    summary_.source = source_.describe();
  }

  int run() {
    const HostPort hp = parse_host_port(config_.connect);
    host_ = hp.host;
    asio::ip::tcp::resolver resolver(io_);
    error_code ec;
    endpoints_ = resolver.resolve(hp.host, std::to_string(hp.port), ec);
    if (ec) return fatal("cannot resolve " + config_.connect + ": " + ec.message());

    signals_.async_wait([this](error_code e, int sig) { on_signal(e, sig); });
    user_signals_.async_wait([this](error_code e, int sig) { on_user_signal(e, sig); });
    keys_ = std::make_unique<TerminalKeys>(io_, [this](char c) {
      if (c == 'm' || c == 'M') mark(wire::MarkerSource::kKey);
      if (c == 'p' || c == 'P') toggle_pause("key p");
      if (c == 's' || c == 'S') save_buffer();
    });
    start_hotkeys();
    start_window_list();
    connect();
    io_.run();
    stop_ = true;
    log::clear_status();  // the summary takes its place
    if (capture_thread_.joinable()) capture_thread_.join();
    // The capture thread's last report (its counts) may have been posted after run() returned.
    io_.restart();
    io_.poll();
    summary_.lost = spool_.lost();
    summary_.reconnects = reconnects_;
    if (!done_) summary_.undelivered = spool_.unstored();  // BYE's answer says everything was stored
    if (!error_.empty()) {
      say("error: " + error_);
      if (summary_.sent > 0 || ever_welcomed_) std::cerr << format_summary(summary_) << std::endl;  // has its prefix
      return 1;
    }
    std::cout << format_summary(summary_) << std::endl;
    return 0;
  }

 private:
  int fatal(const std::string& what) {
    say("error: " + what);
    return 1;
  }

  void on_signal(error_code ec, int sig) {
    if (ec) return;
    if (stop_.exchange(true)) std::_Exit(130);  // second Ctrl-C: do not wait
    if (summary_.ended_by.empty()) summary_.ended_by = sig == SIGINT ? "Ctrl-C" : "SIGTERM";
    if (!ever_welcomed_) return fail("interrupted before the session started");
    if (!link_ || !link_->welcomed)
      return fail("interrupted while the receiver was unreachable: " + std::to_string(spool_.unstored()) +
                  " frames it had not stored are lost");
    signals_.async_wait([this](error_code e, int s) { on_signal(e, s); });
  }

  // SIGUSR1 sets a marker, SIGUSR2 pauses or resumes capture.
  void on_user_signal(error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGUSR1) mark(wire::MarkerSource::kSignal);
    if (sig == SIGUSR2) toggle_pause("SIGUSR2");
    user_signals_.async_wait([this](error_code e, int s) { on_user_signal(e, s); });
  }

  // --- markers, pause and the drop ledger (protocol 4) -----------------------------------
  // A marker at the newest tick the capture thread is done with. Its frame is in the spool
  // already: the capture thread handed it over before it said it was done with the tick, so
  // the marker, posted now, comes after it (send_events keeps that order on the wire).
  void mark(wire::MarkerSource source, std::string label = {}) {
    const std::uint64_t tick = std::max<std::uint64_t>(live_counts_.done_tick.load(), 1);
    ++summary_.markers;
    if (label.empty()) label = "marker " + std::to_string(summary_.markers);
    if (!config_.quiet) say(label + " at tick " + std::to_string(tick));
    asio::post(io_, [this, m = wire::Marker{tick, wall_clock_us(), source, label}] { add_event(m); });
  }

  // Global hotkeys on the X display, when there is one (a test pattern without one has none).
  // One that cannot be had (another program holds it) costs its key, not the recording.
  void start_hotkeys() {
    if (config_.source.display.empty() && !std::getenv("DISPLAY")) return;
    try {
      hotkeys_ = make_global_hotkeys(io_, config_.source.display, hotkey_bindings(config_), [this](HotkeyAction a) {
        switch (a) {
          case HotkeyAction::kMarker: return mark(wire::MarkerSource::kHotkey);
          case HotkeyAction::kPause: return toggle_pause("hotkey");
          case HotkeyAction::kSave: return save_buffer();
        }
      });
      if (hotkeys_ && !config_.quiet) say("global hotkeys: " + hotkeys_->describe());
    } catch (const std::exception& e) {
      log::warning(std::string("no global hotkeys: ") + e.what());
    }
  }

  // The window geometry (protocol 6) of an X display that is recorded: the capture thread reads
  // it. Without it the recording goes on, with no windows for an export to black out.
  void start_window_list() {
    if (!config_.window_list || resolve_source_kind(config_.source) != "x11") return;
    try {
      window_list_ = make_x11_window_list(config_.source.display);
    } catch (const std::exception& e) {
      log::warning(std::string("no window geometry: ") + e.what());
    }
  }

  // Asks the receiver to keep its replay buffer (its --buffer; one without ignores it).
  void save_buffer() {
    const std::uint64_t tick = std::max<std::uint64_t>(live_counts_.done_tick.load(), 1);
    if (!config_.quiet) say("save the replay buffer at tick " + std::to_string(tick));
    asio::post(io_, [this, m = wire::SaveBuffer{tick, wall_clock_us()}] { add_event(m); });
  }

  void toggle_pause(const std::string& reason) {
    const bool paused = !live_counts_.paused.load();
    if (paused) pause_reason_ = reason;
    live_counts_.paused = paused;
    if (!config_.quiet)
      say(paused ? "paused (" + reason + "): nothing is read, sent or stored until p or SIGUSR2" : "resumed (" + reason + ")");
  }

  // An event for the receiver, in the order it came; sent only to a receiver of protocol 4.
  void add_event(wire::Message m) {
    if (!events_on_) {
      if (const auto* marker = std::get_if<wire::Marker>(&m); marker && ever_welcomed_) {
        ++summary_.markers_not_kept;
        if (!config_.quiet)
          say(marker->label + " is not kept: the receiver speaks protocol " + std::to_string(summary_.protocol) +
              ", which has no markers");
      }
      return;
    }
    std::uint64_t key = 0;  // every frame up to this tick goes before it
    std::vector<std::uint8_t> bytes;
    std::visit(
        [&](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, wire::Marker> || std::is_same_v<T, wire::SaveBuffer>) {
            key = e.tick;
          } else if constexpr (std::is_same_v<T, wire::Pause>) {
            e.reason = pause_reason_;
            key = e.tick - 1;
          } else if constexpr (std::is_same_v<T, wire::Resume>) {
            key = e.tick - 1;
          } else if constexpr (std::is_same_v<T, wire::Skipped>) {
            key = e.last_tick;
          } else if constexpr (std::is_same_v<T, wire::Windows>) {
            if (!windows_on_) return;  // protocol 6
            key = e.tick;
          }
          if constexpr (std::is_same_v<T, wire::Marker> || std::is_same_v<T, wire::Pause> ||
                        std::is_same_v<T, wire::Resume> || std::is_same_v<T, wire::Skipped> ||
                        std::is_same_v<T, wire::SaveBuffer> || std::is_same_v<T, wire::Windows>)
            bytes = wire::encode(e);
        },
        m);
    if (bytes.empty()) return;
    events_.push_back({key, share(std::move(bytes))});
    pump();
  }

  // Sends the events that belong before a frame of tick `before` (all of them when there is
  // none), keeping their order.
  void send_events(const std::shared_ptr<Link>& link, std::optional<std::uint64_t> before) {
    for (auto it = events_.begin(); it != events_.end();) {
      if (before && it->first >= *before) {
        ++it;
        continue;
      }
      link->send(it->second);
      it = events_.erase(it);
    }
  }

  // --- connecting ------------------------------------------------------------------------
  void connect() {
    auto link = std::make_shared<Link>(io_, tls_.get(), [this](const std::shared_ptr<Link>& l, error_code e) {
      lost(l, "cannot send to the receiver (" + e.message() + ")");
    });
    link_ = link;
    connect_timer_.expires_after(kHandshakeTimeout);
    connect_timer_.async_wait([this, link](error_code e) {
      if (!e && link == link_ && !link->welcomed)
        lost(link, "no answer from the receiver at " + config_.connect + " within 10 s");
    });
    link->open(endpoints_, host_, config_.tls_fingerprint, [this, link](error_code e, Link::Step step) {
      if (link != link_) return;
      if (e && step == Link::Step::kConnect)
        return lost(link, "cannot connect to " + config_.connect + ": " + e.message() +
                              " (is screenreel-receiver running there? start it first, or use --connect HOST:PORT)");
      if (e)
        return lost(link, "TLS handshake with " + config_.connect + " failed: " + e.message() +
                              (config_.tls_fingerprint.empty()
                                   ? " (check --tls-ca, or is the receiver started without --tls?)"
                                   : " (the certificate does not match --tls-fingerprint?)"));
      link->send_preamble(announce_);
      read(link);  // the receiver's preamble, then its CHALLENGE
    });
  }

  // The connection broke, or a (re)connection attempt failed. Before the first WELCOME that is
  // the end (a wrong address should say so at once); after it, the client reconnects.
  void lost(const std::shared_ptr<Link>& link, const std::string& why, bool retry_soon = false) {
    if (link != link_ || link->closed()) return;
    close_link(link);
    rate_.reset_link();
    if (done_) return;
    if (!ever_welcomed_ || !config_.reconnect || stop_requested_by_user()) return fail(why);
    const bool was_live = link->welcomed;
    if (was_live) {
      away_since_ = Clock::now();
      backoff_.reset();
      if (!config_.quiet)
        say(why + "; reconnecting (capture goes on into the spool, up to " + std::to_string(config_.spool_mb) +
            " MB)");
    }
    if (config_.retry_for_s > 0 && Clock::now() - away_since_ > std::chrono::duration<double>(config_.retry_for_s))
      return fail(why + "; gave up after --retry-for " + std::to_string(config_.retry_for_s).substr(0, 5) +
                  " s: " + std::to_string(spool_.unstored()) + " frames the receiver had not stored are lost");
    const auto wait = backoff_.next();  // grows on every try
    const auto delay = retry_soon ? std::chrono::milliseconds(500) : wait;
    if (!was_live && !config_.quiet) say(why + "; next try in " + seconds_text(static_cast<double>(delay.count()) / 1000));
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](error_code e) {
      if (!e && !closed_) connect();
    });
  }

  bool stop_requested_by_user() const {
    return summary_.ended_by == "Ctrl-C" || summary_.ended_by == "SIGTERM";
  }

  // --- reading ---------------------------------------------------------------------------
  void read(const std::shared_ptr<Link>& link) {
    link->read([this, link](Link::Incoming in) {
      if (link != link_) return;
      const bool tls_peer = link->reader.peer_speaks_tls();
      // A receiver started with --tls answers a plain preamble with a TLS alert, or (OpenSSL, for
      // bytes that are no TLS record at all) by closing without a word.
      if (in.ec && !ever_welcomed_ && !link->tls() && (tls_peer || link->reader.bytes_seen() == 0))
        return fail("the receiver at " + config_.connect + " closed the connection without answering: " +
                    (tls_peer ? "it speaks TLS" : "a receiver started with --tls?") +
                    " If so, add --tls, and --tls-ca or --tls-fingerprint");
      if (in.ec) return lost(link, "connection to the receiver lost (" + in.ec.message() + ")");
      if (in.foreign && tls_peer)
        return fail("the receiver at " + config_.connect +
                    " speaks TLS (it was started with --tls): add --tls, and --tls-ca or --tls-fingerprint");
      if (in.foreign)
        return fail("the peer at " + config_.connect + " is not a compatible screenreel-receiver: " + in.error);
      if (!in.message) return fail(in.error);
      on_message(link, *in.message);
    });
  }

  // Answers the receiver's CHALLENGE (with AUTH when it wants a token), then says HELLO,
  // naming the session to resume when there is one.
  void on_challenge(const std::shared_ptr<Link>& link, const wire::Challenge& c) {
    if (c.auth_required && config_.token.empty())
      return fail("the receiver at " + config_.connect + " requires a token: use --token-file FILE (the receiver's)");
    Introduction who;
    who.token = config_.token;
    who.hello.width = source_.width();
    who.hello.height = source_.height();
    who.hello.fps_milli = static_cast<std::uint32_t>(std::lround(config_.fps * 1000));
    who.hello.client_time_us = wall_clock_us();
    who.hello.name = config_.name;
    who.hello.source = source_.describe();
    who.hello.resume_session_id = session_id_;
    who.hello.wire_pixels = config_.wire_pixels == WirePixels::kYuv420 ? wire::kWirePixelsYuv420 : 0;
    who.resume_key = resume_key_;
    link->answer_challenge(c, who);
  }

  void on_message(const std::shared_ptr<Link>& link, const wire::Message& m) {
    if (auto* c = std::get_if<wire::Challenge>(&m)) {
      if (link->challenged) return fail("second CHALLENGE from the receiver");
      link->challenged = true;
      on_challenge(link, *c);
      if (closed_) return;
    } else if (auto* w = std::get_if<wire::Welcome>(&m)) {
      if (link->welcomed) return fail("second WELCOME from the receiver");
      on_welcome(link, *w);
    } else if (auto* a = std::get_if<wire::Ack>(&m)) {
      on_ack(link, *a);
    } else if (auto* s = std::get_if<wire::Stop>(&m)) {
      if (summary_.ended_by.empty()) summary_.ended_by = "receiver (" + s->message + ")";
      stop_ = true;
    } else if (auto* b = std::get_if<wire::Bye>(&m)) {
      summary_.stored = static_cast<std::int64_t>(b->frames);
      done_ = true;
      close();
      return;
    } else if (auto* e = std::get_if<wire::Error>(&m)) {
      // A receiver of an older protocol answers with its own version before it refuses ours:
      // connect again speaking that one.
      if (e->code == wire::ErrorCode::kUnsupportedVersion && link->reader.version() >= wire::kMinVersion &&
          link->reader.version() < announce_) {
        announce_ = link->reader.version();
        if (!config_.quiet) say("the receiver speaks protocol " + std::to_string(announce_) + "; connecting again with it");
        close_link(link);
        connect();
        return;
      }
      if (e->code == wire::ErrorCode::kAuthFailed)
        return fail("the receiver refused the token (" + e->message + "): check --token-file");
      // The receiver still had the session's old connection (it drops it now), or it found this
      // connection silent: both are about the connection, not the session.
      if (e->code == wire::ErrorCode::kSessionBusy || e->code == wire::ErrorCode::kTimeout ||
          e->code == wire::ErrorCode::kBusy)
        return lost(link, "the receiver said " + std::string(wire::to_string(e->code)) + ": " + e->message,
                    e->code == wire::ErrorCode::kSessionBusy);
      return fail(std::string(link->welcomed ? "the receiver stopped the session: " : "the receiver refused the session: ") +
                  std::string(wire::to_string(e->code)) + ": " + e->message);
    } else {
      return fail("unexpected message from the receiver");
    }
    read(link);
  }

  void on_welcome(const std::shared_ptr<Link>& link, const wire::Welcome& w) {
    link->welcomed = true;
    connect_timer_.cancel();
    max_in_flight_ = w.max_in_flight;
    const bool first = !ever_welcomed_;
    // Session ids are per archive: the same key (an HMAC of the id under the archive's secret)
    // says it is the same session of the same archive.
    const bool resumed = !first && w.session_id == session_id_ && w.resume_key == resume_key_;
    if (!first && !resumed && !config_.quiet)
      say("the receiver did not resume session " + std::to_string(session_id_) + "; recording goes on as session " +
          std::to_string(w.session_id) + " (" + w.folder + ")");
    session_id_ = w.session_id;
    resume_key_ = w.resume_key;
    backoff_.reset();
    // Reconnected to a receiver of protocol 2 after frames were made with copies: they cannot go
    // to it, and the capture thread makes the next frame a key frame without them.
    if (!first && copies_ && link->reader.version() < 3) {
      copies_ = false;
      const std::size_t gone = spool_.drop_copies();
      if (!config_.quiet)
        say("the receiver speaks protocol " + std::to_string(link->reader.version()) +
            ": no more copy rectangles; " + std::to_string(gone) + " spooled frames that used them are dropped");
    }
    // JPEG strips are coded at the quality of the receiver's JPEGs (protocol 4). A receiver that
    // now takes none, or another quality, cannot use the spooled frames that have them (nor, as
    // the spool tells frames apart, those with copies): they count as dropped, and the capture
    // thread's next frame is a key frame coded the new way.
    const int quality = link->reader.version() >= 4 ? static_cast<int>(w.jpeg_quality) : 0;
    if (!first && quality != jpeg_quality_.load()) {
      const std::size_t gone = spool_quality_ != 0 ? spool_.drop_copies() : 0;
      if (!config_.quiet && config_.wire != WireMode::kLossless)
        say("the receiver takes " + (quality ? "JPEG strips at quality " + std::to_string(quality) : std::string("no JPEG strips")) +
            " now; " + std::to_string(gone) + " spooled frames that cannot go to it are dropped");
    }
    jpeg_quality_ = quality;
    // 4:2:0 tiles (protocol 5) go to a receiver that took them; a receiver that does not cannot
    // use the spooled frames that have them (they count as dropped), and the capture thread's
    // next frame is a key frame in BGRX.
    const bool yuv420 = link->reader.version() >= 5 && (w.wire_pixels & wire::kWirePixelsYuv420) != 0 &&
                        config_.wire_pixels == WirePixels::kYuv420;
    if (!first && spool_yuv420_ && !yuv420) {
      const std::size_t gone = spool_.drop_copies();
      if (!config_.quiet)
        say("the receiver takes no 4:2:0 tiles now; " + std::to_string(gone) +
            " spooled frames that cannot go to it are dropped");
    }
    yuv420_ = yuv420;
    // The receiver's decoder starts empty: the spool sends from the newest key frame at or
    // before the first frame it does not hold. Frames up to last_tick it decodes without storing.
    // Markers, pause and the ledger are protocol 4: an older receiver gets none of them.
    events_on_ = link->reader.version() >= 4;
    summary_.protocol = link->reader.version();
    if (!events_on_) events_.clear();
    // Window geometry is protocol 6: a receiver that speaks it gets the whole list at the next tick.
    windows_on_ = link->reader.version() >= 6;
    if (windows_on_) live_counts_.windows_again = true;
    const std::size_t again = spool_.start_sending(resumed ? std::optional(w.last_tick) : std::nullopt);
    if (spool_.empty() && !first) spool_.await_key_frame();
    request_key_frame_if_wanted();
    if (first) {
      if (!config_.quiet)
        say("recording session " + std::to_string(w.session_id) + " (" +
            (w.session_id == 0 ? std::string("into the receiver's replay buffer") : w.folder) + ") " +
            source_.describe() + " at " +
            std::to_string(config_.fps).substr(0, 5) + " fps to " + config_.connect);
      ever_welcomed_ = true;
      // Copies are protocol 3: a receiver that speaks 2 gets today's encoding.
      copies_ = config_.copies && link->reader.version() >= 3;
      capture_started_ = Clock::now();
      capture_thread_ = std::thread([this] { capture(); });
      keep_alive();
      sample_link();
      if (show_status_) print_stats();
    } else {
      ++reconnects_;
      const double away = std::chrono::duration<double>(Clock::now() - away_since_).count();
      if (!config_.quiet)
        say((resumed ? "resumed session " + std::to_string(w.session_id) : std::string("reconnected")) + " after " +
            seconds_text(away) + " away; sending " + std::to_string(spool_.to_send()) + " spooled frames (" +
            std::to_string(again) + " of them again, as the base of the others)");
      // Until the backlog is out, no key frame is forced to keep the spool small.
      draining_ = true;
    }
    update_draining();
    pump();
  }

  void on_ack(const std::shared_ptr<Link>& link, const wire::Ack& a) {
    if (link->unacked > 0) --link->unacked;
    rate_.acked(a.seq);
    observe_link();
    if (spool_.acknowledge(a.seq)) {
      ++stored_;
      if (show_status_) stats_.acknowledged(a.seq, wall_clock_us());
    }
    spool_.stored_up_to(a.stored_tick);
    update_draining();
    pump();
  }

  // --- the spool ---------------------------------------------------------------------------
  // A frame from the capture thread.
  void enqueue(std::uint64_t tick, bool key, bool copies, int jpeg_quality, bool yuv420, std::vector<std::uint8_t> bytes) {
    const bool sending = link_ && link_->welcomed;
    // Made with copies (or JPEG strips of another quality) just before the capture thread saw
    // they are off: lost, like the frames after it until the key frame it makes next.
    // (Such a key frame is lost too: added as a delta frame, which the spool then drops.)
    const bool stale = (copies && !copies_) || (jpeg_quality != 0 && jpeg_quality != jpeg_quality_.load()) ||
                       (yuv420 && !yuv420_);
    if (stale) spool_.await_key_frame();
    if (jpeg_quality != 0) spool_quality_ = jpeg_quality;
    spool_yuv420_ = spool_yuv420_ || yuv420;
    if (!stale) rate_.queued(tick, bytes.size());
    if (spool_.add(tick, key && !stale, share(std::move(bytes)), sending, copies || jpeg_quality != 0 || yuv420) ==
            Spool::Added::kKeptDroppingOldest &&
        !spool_full_warned_ && !config_.quiet) {
      say("the spool is full (--spool-mb " + std::to_string(config_.spool_mb) +
          "): dropping the oldest frames the receiver has not stored; they are counted as lost");
      spool_full_warned_ = true;
    }
    request_key_frame_if_wanted();
    update_draining();
    // While connected the spool holds only what the receiver has not stored, and the key frame
    // that it builds on; a new key frame now and then keeps that small.
    if (sending && !draining_ && spool_.bytes() > connected_spool_limit_) key_frames_.request();
    pump();
  }

  // The spool dropped the run coming frames would build on: the capture thread makes a key frame.
  void request_key_frame_if_wanted() {
    if (spool_.take_key_request()) key_frames_.request();
  }

  // The receiver has a backlog to take: after a reconnection, and while its window is full (it
  // stalls, or it is slower than capture for a while). The backlog is done when the window has
  // room again.
  void update_draining() {
    if (link_ && link_->welcomed && spool_.unacknowledged() >= max_in_flight_) draining_ = true;
    if (draining_ && spool_.unacknowledged() < max_in_flight_) draining_ = false;
  }

  // Sends spooled frames while the receiver's window has room, then BYE once everything is out
  // and capture has ended.
  void pump() {
    const auto& link = link_;
    if (!link || !link->welcomed || link->closed()) return;
    while (link->unacked < max_in_flight_) {
      auto next = spool_.take_next();
      if (!next) break;
      send_events(link, next->tick);
      if (next->first_time) {
        ++summary_.sent;
        summary_.wire_bytes += next->bytes->size();
      }
      link->send_frame(std::move(next->bytes));
    }
    observe_link();  // a rate as soon as the kernel has one: a first big frame fills the link
    send_events(link, spool_.next_tick());
    if (finishing_ && spool_.all_sent() && !link->bye_sent) send_bye(link);
  }

  // While nothing changes on screen nothing is sent; a PING now and then tells the receiver
  // (which drops silent clients) that this one is alive.
  void keep_alive() {
    ping_timer_.expires_after(kPingEvery);
    ping_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      if (link_ && link_->welcomed && !link_->bye_sent && Clock::now() - link_->last_send() >= kPingEvery)
        link_->send(share(wire::encode(wire::Ping{})));
      keep_alive();
    });
  }

  // The kernel's view of the link, for the rate controller: at each ACK, and every kSampleEvery.
  void observe_link() {
    if (!link_ || !link_->welcomed || link_->closed()) return;
    if (const auto s = read_link_sample(link_->native_handle())) rate_.observe(*s, Clock::now());
  }
  void sample_link() {
    sample_timer_.expires_after(kSampleEvery);
    sample_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      observe_link();
      sample_link();
    });
  }

  // The rate controller's estimate of the link, Mbit/s (-1: none yet); what --wire is.
  double link_mbit() const {
    const auto bw = rate_.bandwidth();
    return bw ? *bw * 8 / 1e6 : -1;
  }
  const char* wire_name() const {
    if (jpeg_quality_.load() == 0 || config_.wire == WireMode::kLossless) return "lossless";
    return config_.wire == WireMode::kJpeg ? "jpeg" : "auto";
  }

  // The status line, once a second.
  void print_stats() {
    stats_timer_.expires_after(std::chrono::seconds(1));
    stats_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      const double elapsed = std::chrono::duration<double>(Clock::now() - capture_started_).count();
      const std::string line = stats_.line({elapsed, stored_, link_ && link_->welcomed, summary_.sent, summary_.wire_bytes,
                                            live_counts_.unchanged.load(), live_counts_.late.load() + spool_.lost(),
                                            config_.connect, spool_.bytes(), spool_.size(), spool_.lost(),
                                            live_counts_.copies.load(), live_counts_.copied_pixels.load(),
                                            live_counts_.jpeg_frames.load(), link_mbit(), wire_name()});
      if (on_terminal_)
        log::status(line);
      else
        log::info(line);
      print_stats();
    });
  }

  // Called on the io thread when the capture thread has finished: BYE once all frames are out.
  void finish_sending() {
    finishing_ = true;
    pump();
  }

  void send_bye(const std::shared_ptr<Link>& link) {
    link->bye_sent = true;
    link->send(share(wire::encode(wire::Bye{link->frames_sent, summary_.dropped + spool_.lost()})));
    bye_timer_.expires_after(std::chrono::seconds(15));
    bye_timer_.async_wait([this, link](error_code e) {
      if (!e && !done_ && link == link_) fail("the receiver did not confirm the end of the session within 15 s");
    });
  }

  void fail(const std::string& what) {
    if (error_.empty() && !done_) error_ = what;
    if (summary_.ended_by.empty()) summary_.ended_by = "an error (above)";
    stop_ = true;
    close();
  }

  void close_link(const std::shared_ptr<Link>& link) {
    if (link->closed()) return;
    link->close();
    if (link == link_) {
      connect_timer_.cancel();
      bye_timer_.cancel();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (link_) close_link(link_);
    retry_timer_.cancel();
    ping_timer_.cancel();
    stats_timer_.cancel();
    sample_timer_.cancel();
    if (show_status_) log::clear_status();
    signals_.cancel();
    user_signals_.cancel();
    if (keys_) keys_->cancel();
    hotkeys_.reset();  // ungrabs, and leaves io_ nothing to wait for
  }

  // --- capturing (own thread) ------------------------------------------------------------
  void capture() {
    const CaptureEnd end =
        capture_loop(config_, source_, key_frames_, stop_, live_counts_,
                     [this](std::uint64_t tick, std::int64_t t_us, bool key, bool copies, int quality, bool yuv420,
                            std::vector<std::uint8_t> message) {
                       asio::post(io_, [this, m = std::move(message), tick, t_us, key, copies, quality, yuv420]() mutable {
                         if (show_status_) stats_.captured(tick, t_us);
                         enqueue(tick, key, copies, quality, yuv420, std::move(m));
                       });
                     },
                     [this](wire::Message m) { asio::post(io_, [this, m = std::move(m)] { add_event(m); }); },
                     copies_, jpeg_quality_, yuv420_, rate_, window_list_.get());
    asio::post(io_, [this, end] {
      summary_.ticks = end.ticks;
      summary_.captured = end.captured;
      summary_.unchanged = end.unchanged;
      summary_.dropped = end.dropped;
      summary_.paused = end.paused;
      summary_.raw_bytes = end.raw_bytes;
      summary_.copies = end.copies;
      summary_.copied_pixels = end.copied_pixels;
      summary_.jpeg_frames = end.jpeg_frames;
      summary_.skipped = end.skipped;
      summary_.link_mbit = link_mbit();
      summary_.seconds = end.seconds;
      if (!end.error.empty()) {
        summary_.ended_by = "capture error";
        say(end.error);
      }
      if (!end.gone.empty() && summary_.ended_by.empty()) summary_.ended_by = end.gone;
      if (summary_.ended_by.empty()) summary_.ended_by = end.max_frames ? "--max-frames" : "--duration";
      if (!closed_) finish_sending();
    });
  }

  const CaptureConfig& config_;
  FrameSource& source_;
  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::string host_;
  asio::ip::tcp::resolver::results_type endpoints_;
  std::shared_ptr<Link> link_;  // the current connection (or attempt); null before the first
  asio::steady_timer connect_timer_, retry_timer_, bye_timer_, ping_timer_, stats_timer_, sample_timer_;
  asio::signal_set signals_, user_signals_;
  std::unique_ptr<TerminalKeys> keys_;  // m: marker, p: pause, s: save the receiver's replay buffer
  std::unique_ptr<GlobalHotkeys> hotkeys_;  // the same from anywhere on the X display
  const bool on_terminal_ = log::stderr_is_terminal();
  // On a terminal unless --quiet; with --stats always (as log lines where there is no terminal).
  const bool show_status_ = config_.stats || (on_terminal_ && !config_.quiet);
  Clock::time_point capture_started_ = Clock::now();
  std::uint64_t stored_ = 0;  // frames acknowledged as stored, for the status line
  LiveStats stats_;
  LiveCounts live_counts_;  // the capture thread's, for --stats

  // The session, across connections.
  std::uint64_t session_id_ = 0;
  std::uint16_t announce_ = wire::kVersion;  // the protocol version the preamble offers
  // Copy rectangles on: set before the capture thread starts, cleared (never set again) by a
  // reconnection to a protocol 2 receiver.
  std::atomic<bool> copies_{false};
  // The receiver's JPEG quality for JPEG strips (WELCOME, protocol 4); 0: it takes none. Set by
  // each WELCOME, read by the capture thread.
  std::atomic<int> jpeg_quality_{0};
  int spool_quality_ = 0;  // the quality of JPEG strips in the spool (0: none made yet)
  // 4:2:0 tiles on (WELCOME, protocol 5): set by each WELCOME, read by the capture thread.
  std::atomic<bool> yuv420_{false};
  bool spool_yuv420_ = false;  // frames with 4:2:0 tiles were made
  RateControl rate_{config_.wire, config_.fps};
  wire::ResumeKey resume_key_{};
  bool ever_welcomed_ = false, finishing_ = false, done_ = false, closed_ = false;
  Clock::time_point away_since_ = Clock::now();
  Backoff backoff_;
  std::uint64_t reconnects_ = 0;

  // The spool (io thread).
  Spool spool_;
  // While connected, a spool past this asks for a key frame, so that what it keeps (everything
  // since the key frame the unstored frames build on) stays small. On the 1080p video scene
  // (about 10 MB/s) 16 MiB means a key frame every 1.6 s or so, which costs little there: a
  // changed frame already holds most tiles. (A quarter of the default --spool-mb, 64 MiB, let the
  // client grow to 177 MB.)
  static constexpr std::size_t kConnectedSpoolBytes = std::size_t{16} << 20;
  const std::size_t connected_spool_limit_;
  bool draining_ = false, spool_full_warned_ = false;
  // Protocol 4's MARKER, PAUSE, RESUME and SKIPPED not sent yet, each with the tick after whose
  // frame it goes (before the frames after it).
  std::deque<std::pair<std::uint64_t, Bytes>> events_;
  bool events_on_ = false;   // the current receiver speaks protocol 4
  bool windows_on_ = false;  // ... and protocol 6 (WINDOWS)
  std::unique_ptr<WindowList> window_list_;  // read by the capture thread; none: no geometry
  std::string pause_reason_;  // of the pause the capture thread takes up next
  std::uint32_t max_in_flight_ = 1;

  std::atomic<bool> stop_{false};
  std::thread capture_thread_;
  CaptureSummary summary_;
  std::string error_;
  KeyFrameSchedule key_frames_;  // the capture thread's, but requests come from the io thread
};

}  // namespace

std::string check_hotkey_options(const CaptureConfig& config) { return check_hotkeys(hotkey_bindings(config)); }

int run(const CaptureConfig& config) {
  std::unique_ptr<FrameSource> source;
  try {
    source = exclude_from(make_source(config.source), config.exclusions, config.source);
  } catch (const std::exception& e) {
    say(std::string("error: ") + e.what());
    return 1;
  }
  try {
    Client client(config, *source);
    return client.run();
  } catch (const std::exception& e) {
    say(std::string("error: ") + e.what());
    return 1;
  }
}

}  // namespace screenreel::capture

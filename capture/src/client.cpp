// The capture client (see client.hpp). Two threads: the capture thread grabs, diffs and
// compresses on a steady clock; the io thread owns the connection (writes FRAMEs, reads ACK,
// STOP, BYE) and the spool. Frames cross between them through asio::post.
//
// Every frame goes into the spool, and leaves it only once the receiver says it is stored
// (ACK's stored_tick) and no later frame needs it as its base. While connected, at most
// max_in_flight frames are unacknowledged; when the receiver stalls (no ACKs), capture goes on
// into the spool and the backlog is sent when the window opens again. When the connection
// breaks, capture goes on into the spool too, and the io thread reconnects with capped
// exponential backoff; the new HELLO resumes the session and the spool is sent again from a key
// frame. Only a full spool (--spool-mb) drops frames, and counts them.
#include "screenreel/capture/client.hpp"
#include "screenreel/capture/key_frames.hpp"

#include <unistd.h>

#include <atomic>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "screenreel/protocol/address.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/terminal_text.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/transport.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::capture {
namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPingEvery = std::chrono::seconds(10);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

// Every line goes through the log, which makes the receiver's words (ERROR and STOP messages,
// folder names) terminal-safe: a peer cannot write escape sequences to the user's terminal.
void say(const std::string& line) { log::info(line); }

std::string megabytes(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// A captured, encoded frame, kept until the receiver has stored it.
struct Spooled {
  std::uint64_t tick = 0;
  bool key = false;
  std::shared_ptr<const std::vector<std::uint8_t>> bytes;
  bool counted = true;     // in pending_ (spooled, never acknowledged)
  bool sent_once = false;  // counted in the summary's "sent"
};

// One connection to the receiver. A new one is made for every (re)connection; handlers hold it
// by shared_ptr and do nothing once it is no longer the client's current one.
struct Link {
  Link(asio::io_context& io, asio::ssl::context* tls)
      : stream(tls ? Transport(asio::ip::tcp::socket(io), *tls) : Transport(asio::ip::tcp::socket(io))) {}
  Transport stream;
  wire::MessageReader reader;
  struct Outgoing {
    std::shared_ptr<const std::vector<std::uint8_t>> bytes;
    std::uint64_t frame_tick;  // 0: not a FRAME
  };
  std::deque<Outgoing> outbox;
  bool writing = false, challenged = false, welcomed = false, bye_sent = false, closed = false;
  std::uint32_t unacked = 0;      // FRAMEs sent on this link without their ACK yet
  std::uint64_t frames_sent = 0;  // FRAMEs sent on this link (its BYE says so)
};

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
        signals_(io_, SIGINT, SIGTERM),
        spool_limit_(config.spool_mb << 20),
        connected_spool_limit_(std::min(spool_limit_ / 4, kConnectedSpoolBytes)),
        rng_(std::random_device{}()),
        key_frames_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.key_interval_s)),
                    Clock::now()) {}

  int run() {
    const HostPort hp = parse_host_port(config_.connect);
    host_ = hp.host;
    asio::ip::tcp::resolver resolver(io_);
    error_code ec;
    endpoints_ = resolver.resolve(hp.host, std::to_string(hp.port), ec);
    if (ec) return fatal("cannot resolve " + config_.connect + ": " + ec.message());

    signals_.async_wait([this](error_code e, int sig) { on_signal(e, sig); });
    connect();
    io_.run();
    stop_ = true;
    if (capture_thread_.joinable()) capture_thread_.join();
    // The capture thread's last report (its counts) may have been posted after run() returned.
    io_.restart();
    io_.poll();
    summary_.lost = lost_ticks_.size();
    summary_.reconnects = reconnects_;
    if (!done_) summary_.undelivered = unstored();  // BYE's answer says everything was stored
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
      return fail("interrupted while the receiver was unreachable: " + std::to_string(unstored()) +
                  " frames it had not stored are lost");
    signals_.async_wait([this](error_code e, int s) { on_signal(e, s); });
  }

  // --- connecting ------------------------------------------------------------------------
  void connect() {
    auto link = std::make_shared<Link>(io_, tls_.get());
    link_ = link;
    connect_timer_.expires_after(kHandshakeTimeout);
    connect_timer_.async_wait([this, link](error_code e) {
      if (!e && link == link_ && !link->welcomed)
        lost(link, "no answer from the receiver at " + config_.connect + " within 10 s");
    });
    if (auto* tls = link->stream.tls_stream()) prepare_tls_client(*tls, host_, config_.tls_fingerprint);
    asio::async_connect(link->stream.socket(), endpoints_, [this, link](error_code e, const asio::ip::tcp::endpoint&) {
      if (link != link_) return;
      if (e)
        return lost(link, "cannot connect to " + config_.connect + ": " + e.message() +
                              " (is screenreel-receiver running there? start it first, or use --connect HOST:PORT)");
      error_code ignored;
      link->stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      link->stream.async_handshake(asio::ssl::stream_base::client, [this, link](error_code he) {
        if (link != link_) return;
        if (he)
          return lost(link, "TLS handshake with " + config_.connect + " failed: " + he.message() +
                                (config_.tls_fingerprint.empty()
                                     ? " (check --tls-ca, or is the receiver started without --tls?)"
                                     : " (the certificate does not match --tls-fingerprint?)"));
        send(link, std::make_shared<const std::vector<std::uint8_t>>(wire::encode_preamble(announce_)));
        read(link);  // the receiver's preamble, then its CHALLENGE
      });
    });
  }

  // The connection broke, or a (re)connection attempt failed. Before the first WELCOME that is
  // the end (a wrong address should say so at once); after it, the client reconnects.
  void lost(const std::shared_ptr<Link>& link, const std::string& why, bool retry_soon = false) {
    if (link != link_ || link->closed) return;
    close_link(link);
    if (done_) return;
    if (!ever_welcomed_ || !config_.reconnect || stop_requested_by_user()) return fail(why);
    const bool was_live = link->welcomed;
    if (was_live) {
      away_since_ = Clock::now();
      backoff_ = std::chrono::milliseconds(1000);
      if (!config_.quiet)
        say(why + "; reconnecting (capture goes on into the spool, up to " + std::to_string(config_.spool_mb) +
            " MB)");
    }
    if (config_.retry_for_s > 0 && Clock::now() - away_since_ > std::chrono::duration<double>(config_.retry_for_s))
      return fail(why + "; gave up after --retry-for " + std::to_string(config_.retry_for_s).substr(0, 5) +
                  " s: " + std::to_string(unstored()) + " frames the receiver had not stored are lost");
    // gRPC's connection backoff: the delay grows 1.6 times a try, up to 30 s, each one varied
    // by up to 20 % either way so that many clients do not come back in step.
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const auto delay = retry_soon ? std::chrono::milliseconds(500)
                                  : std::chrono::milliseconds(static_cast<std::int64_t>(
                                        static_cast<double>(backoff_.count()) * jitter(rng_)));
    if (!was_live && !config_.quiet) say(why + "; next try in " + seconds_text(static_cast<double>(delay.count()) / 1000));
    backoff_ = std::min(std::chrono::milliseconds(30'000),
                        std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(backoff_.count()) * 1.6)));
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
    const auto buf = link->reader.buffer();
    link->stream.async_read_some(asio::buffer(buf.data(), buf.size()), [this, link](error_code ec, std::size_t n) {
      if (link != link_ || link->closed) return;
      // A receiver started with --tls answers a plain preamble with a TLS alert, or (OpenSSL, for
      // bytes that are no TLS record at all) by closing without a word.
      if (ec && !ever_welcomed_ && !link->stream.tls() &&
          (link->reader.peer_speaks_tls() || link->reader.bytes_seen() == 0))
        return fail("the receiver at " + config_.connect + " closed the connection without answering: " +
                    (link->reader.peer_speaks_tls() ? "it speaks TLS" : "a receiver started with --tls?") +
                    " If so, add --tls, and --tls-ca or --tls-fingerprint");
      if (ec)
        return lost(link, "connection to the receiver lost (" + ec.message() + ")");
      switch (link->reader.commit(n)) {
        case wire::MessageReader::Event::kNeedMore:
        case wire::MessageReader::Event::kPreamble: return read(link);
        case wire::MessageReader::Event::kError:
          if (link->reader.peer_speaks_tls())
            return fail("the receiver at " + config_.connect +
                        " speaks TLS (it was started with --tls): add --tls, and --tls-ca or --tls-fingerprint");
          return fail("the peer at " + config_.connect + " is not a compatible screenreel-receiver: " +
                      link->reader.error().what);
        case wire::MessageReader::Event::kMessage: break;
      }
      if (link->reader.type() == wire::MessageType::kFrame) return fail("the receiver sent a FRAME");
      auto m = wire::decode_body(link->reader.type(), link->reader.body(), link->reader.version());
      if (!m) return fail("bad message from the receiver: " + m.error.what);
      on_message(link, *m.value);
    });
  }

  // Answers the receiver's CHALLENGE (with AUTH when it wants a token), then says HELLO,
  // naming the session to resume when there is one.
  void on_challenge(const std::shared_ptr<Link>& link, const wire::Challenge& c) {
    if (c.auth_required && config_.token.empty())
      return fail("the receiver at " + config_.connect + " requires a token: use --token-file FILE (the receiver's)");
    if (c.auth_required)  // the MAC covers the connection's version too: a downgrade changes it
      send(link, share(wire::encode(wire::Auth{auth_mac(config_.token, c.nonce, link->reader.version())})));
    wire::Hello hello;
    hello.width = source_.width();
    hello.height = source_.height();
    hello.fps_milli = static_cast<std::uint32_t>(std::lround(config_.fps * 1000));
    hello.client_time_us = wall_clock_us();
    hello.name = config_.name;
    hello.source = source_.describe();
    hello.resume_session_id = session_id_;
    // Protocol 3 proves the key over this connection's nonce; protocol 2 sent the key itself.
    hello.resume_key = link->reader.version() >= 3 ? resume_proof(resume_key_, c.nonce) : resume_key_;
    send(link, share(wire::encode(hello)));
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
    backoff_ = std::chrono::milliseconds(1000);
    // The receiver's decoder starts empty: send from the newest key frame at or before the first
    // frame it does not hold. Frames up to last_tick it decodes without storing them again.
    std::size_t first_needed = 0;
    if (resumed) {
      first_needed = first_after(w.last_tick);
      // Frames dropped from a full spool that the receiver had stored before it went away (it
      // had not said so yet) are not lost.
      std::erase_if(lost_ticks_, [&](std::uint64_t t) { return t <= w.last_tick; });
    }
    next_send_ = key_frame_for(first_needed);
    if (spool_.empty() && !first) await_key();
    if (first) {
      if (!config_.quiet)
        say("recording session " + std::to_string(w.session_id) + " (" + w.folder + ") " + source_.describe() + " at " +
            std::to_string(config_.fps).substr(0, 5) + " fps to " + config_.connect);
      ever_welcomed_ = true;
      capture_thread_ = std::thread([this] { capture_loop(); });
      keep_alive();
      if (config_.stats) print_stats();
    } else {
      ++reconnects_;
      const double away = std::chrono::duration<double>(Clock::now() - away_since_).count();
      if (!config_.quiet)
        say((resumed ? "resumed session " + std::to_string(w.session_id) : std::string("reconnected")) + " after " +
            seconds_text(away) + " away; sending " + std::to_string(spool_.size() - next_send_) + " spooled frames (" +
            std::to_string(first_needed - next_send_) + " of them again, as the base of the others)");
      // Until the backlog is out, new frames join the spool rather than being dropped.
      draining_ = true;
    }
    update_draining();
    pump();
  }

  void on_ack(const std::shared_ptr<Link>& link, const wire::Ack& a) {
    if (link->unacked > 0) --link->unacked;
    auto it = std::lower_bound(spool_.begin(), spool_.end(), a.seq,
                               [](const Spooled& s, std::uint64_t tick) { return s.tick < tick; });
    if (it != spool_.end() && it->tick == a.seq && it->counted) {
      it->counted = false;
      --pending_;
      if (config_.stats) {
        if (auto t = capture_times_.find(a.seq); t != capture_times_.end()) {
          ack_latency_ms_.push_back(static_cast<double>(wall_clock_us() - t->second) / 1000.0);
          capture_times_.erase(t);
        }
      }
    }
    if (a.stored_tick > stored_tick_) {
      stored_tick_ = a.stored_tick;
      forget_stored();
    }
    update_draining();
    pump();
  }

  // --- the spool ---------------------------------------------------------------------------
  static std::shared_ptr<const std::vector<std::uint8_t>> share(std::vector<std::uint8_t> bytes) {
    return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
  }

  // A frame from the capture thread.
  void enqueue(std::uint64_t tick, bool key, std::vector<std::uint8_t> bytes) {
    if (awaiting_key_ && !key) {  // its base was dropped from a full spool
      lost_ticks_.push_back(tick);
      return;
    }
    awaiting_key_ = false;
    ++pending_;
    spool_bytes_ += bytes.size();
    spool_.push_back(Spooled{tick, key, share(std::move(bytes))});
    if (spool_bytes_ > spool_limit_) make_room();
    update_draining();
    // While connected the spool holds only what the receiver has not stored, and the key frame
    // that it builds on; a new key frame now and then keeps that small.
    if (link_ && link_->welcomed && !draining_ && spool_bytes_ > connected_spool_limit_) key_frames_.request();
    pump();
  }

  // The index of the first spooled frame newer than `tick` (the spool's size when none is).
  std::size_t first_after(std::uint64_t tick) const {
    return static_cast<std::size_t>(
        std::upper_bound(spool_.begin(), spool_.end(), tick, [](std::uint64_t t, const Spooled& s) { return t < s.tick; }) -
        spool_.begin());
  }

  // The newest key frame at or before index `i` (the last frame when i is past the end): the
  // frame a fresh decoder must start from to rebuild frame i and what follows.
  std::size_t key_frame_for(std::size_t i) const {
    std::size_t k = std::min(i, spool_.empty() ? 0 : spool_.size() - 1);
    while (k > 0 && !spool_[k].key) --k;
    return k;
  }

  // Drops what the receiver has stored, keeping the key frame the rest is built on.
  void forget_stored() {
    erase_front(key_frame_for(first_after(stored_tick_)));
  }

  void erase_front(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      spool_bytes_ -= spool_.front().bytes->size();
      if (spool_.front().counted) --pending_;
      spool_.pop_front();
    }
    next_send_ = next_send_ > n ? next_send_ - n : 0;
  }

  // The spool is over --spool-mb: the oldest changes go. A run of frames from one key frame to
  // the next is dropped whole (the next key frame holds the screen as it then was: the changes
  // in between are merged into it); when only the newest run is left, it goes too and the
  // capture thread is asked for a key frame. Frames already on the wire stay.
  void make_room() {
    const std::size_t first_droppable = link_ && link_->welcomed ? next_send_ : 0;
    while (spool_bytes_ > spool_limit_) {
      std::size_t begin = first_droppable;
      while (begin < spool_.size() && !spool_[begin].key) ++begin;
      if (begin >= spool_.size()) break;  // nothing droppable
      std::size_t end = begin + 1;
      while (end < spool_.size() && !spool_[end].key) ++end;
      const bool last_run = end == spool_.size();
      for (std::size_t i = begin; i < end; ++i) {
        if (spool_[i].tick > stored_tick_) lost_ticks_.push_back(spool_[i].tick);
        if (spool_[i].counted) --pending_;
        spool_bytes_ -= spool_[i].bytes->size();
      }
      spool_.erase(spool_.begin() + static_cast<std::ptrdiff_t>(begin), spool_.begin() + static_cast<std::ptrdiff_t>(end));
      if (!spool_full_warned_ && !config_.quiet) {
        say("the spool is full (--spool-mb " + std::to_string(config_.spool_mb) +
            "): dropping the oldest frames the receiver has not stored; they are counted as lost");
        spool_full_warned_ = true;
      }
      if (last_run) {
        await_key();
        break;
      }
    }
  }

  void await_key() {
    awaiting_key_ = true;
    key_frames_.request();
  }

  // Frames the receiver has not confirmed as stored.
  std::uint64_t unstored() const {
    std::uint64_t n = 0;
    for (const auto& s : spool_) n += s.tick > stored_tick_ ? 1 : 0;
    return n;
  }

  // The receiver has a backlog to take: after a reconnection, and while its window is full (it
  // stalls, or it is slower than capture for a while). The backlog is done when the window has
  // room again.
  void update_draining() {
    if (link_ && link_->welcomed && pending_ >= max_in_flight_) draining_ = true;
    if (draining_ && pending_ < max_in_flight_) draining_ = false;
  }

  // Sends spooled frames while the receiver's window has room, then BYE once everything is out
  // and capture has ended.
  void pump() {
    const auto& link = link_;
    if (!link || !link->welcomed || link->closed) return;
    while (next_send_ < spool_.size() && link->unacked < max_in_flight_) {
      auto& s = spool_[next_send_++];
      ++link->unacked;
      ++link->frames_sent;
      if (!s.sent_once) {
        s.sent_once = true;
        ++summary_.sent;
        summary_.wire_bytes += s.bytes->size();
      }
      send(link, s.bytes, s.tick);
    }
    if (finishing_ && next_send_ == spool_.size() && !link->bye_sent) send_bye(link);
  }

  // --- writing ---------------------------------------------------------------------------
  void send(const std::shared_ptr<Link>& link, std::shared_ptr<const std::vector<std::uint8_t>> bytes,
            std::uint64_t frame_tick = 0) {
    if (link->closed) return;
    link->outbox.push_back({std::move(bytes), frame_tick});
    if (!link->writing) write_next(link);
  }

  void write_next(const std::shared_ptr<Link>& link) {
    if (link->outbox.empty()) {
      link->writing = false;
      return;
    }
    link->writing = true;
    last_send_ = Clock::now();
    link->stream.async_write(asio::buffer(*link->outbox.front().bytes), [this, link](error_code ec, std::size_t) {
      if (link != link_ || link->closed) return;
      if (ec) {
        link->writing = false;
        return lost(link, "cannot send to the receiver (" + ec.message() + ")");
      }
      link->outbox.pop_front();
      write_next(link);
    });
  }

  // While nothing changes on screen nothing is sent; a PING now and then tells the receiver
  // (which drops silent clients) that this one is alive.
  void keep_alive() {
    ping_timer_.expires_after(kPingEvery);
    ping_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      if (link_ && link_->welcomed && !link_->bye_sent && Clock::now() - last_send_ >= kPingEvery)
        send(link_, share(wire::encode(wire::Ping{})));
      keep_alive();
    });
  }

  // --stats: one status line a second: frames sent, bandwidth, how long the receiver took to
  // take each frame (capture to ACK), ticks unchanged and dropped so far; while away, the spool.
  void print_stats() {
    stats_timer_.expires_after(std::chrono::seconds(1));
    stats_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      auto& lat = ack_latency_ms_;
      std::sort(lat.begin(), lat.end());
      const double p50 = lat.empty() ? 0 : lat[lat.size() / 2], p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
      char line[256];
      if (link_ && link_->welcomed) {
        std::snprintf(line, sizeof line,
                      "%5llu fps  %7.2f MB/s  ack latency p50 %5.1f ms p99 %5.1f ms  unchanged %llu  dropped %llu",
                      static_cast<unsigned long long>(summary_.sent - stats_sent_),
                      static_cast<double>(summary_.wire_bytes - stats_bytes_) / 1e6, p50, p99,
                      static_cast<unsigned long long>(live_unchanged_.load()),
                      static_cast<unsigned long long>(late_ticks_.load() + lost_ticks_.size()));
      } else {
        std::snprintf(line, sizeof line, "reconnecting to %s: spool %s (%zu frames), %llu lost",
                      config_.connect.c_str(), megabytes(spool_bytes_).c_str(), spool_.size(),
                      static_cast<unsigned long long>(lost_ticks_.size()));
      }
      std::cerr << (stderr_tty_ ? "\r" : "") << line << (stderr_tty_ ? "\033[K" : "\n") << std::flush;
      stats_sent_ = summary_.sent;
      stats_bytes_ = summary_.wire_bytes;
      lat.clear();
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
    send(link, share(wire::encode(wire::Bye{link->frames_sent, summary_.dropped + lost_ticks_.size()})));
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
    if (link->closed) return;
    link->closed = true;
    link->stream.close();
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
    if (config_.stats && stderr_tty_) std::cerr << "\n";
    signals_.cancel();
  }

  // --- capturing (own thread) ------------------------------------------------------------
  void capture_loop() {
    std::uint32_t w = source_.width(), h = source_.height();
    auto encoder = std::make_unique<FrameEncoder>(w, h);
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / config_.fps));
    const auto start = Clock::now();
    std::uint64_t tick = 0, captured = 0, unchanged = 0, dropped = 0, queued = 0, raw = 0;
    std::string error, gone;
    try {
      while (!stop_) {
        const auto due = start + period * static_cast<Clock::rep>(tick);
        std::this_thread::sleep_until(due);
        if (stop_) break;
        const auto now = Clock::now();
        if (config_.duration_s > 0 && now - start >= std::chrono::duration<double>(config_.duration_s)) break;
        // Fell behind by more than a tick (a slow grab, a busy machine): skip to the current
        // tick and count the ones missed, rather than bursting to catch up.
        const auto behind = static_cast<std::uint64_t>((now - due) / period);
        if (behind > 0) {
          dropped += behind;
          late_ticks_.fetch_add(behind);
          tick += behind;
        }
        ++tick;
        const FrameRef ref = source_.grab(tick - 1);
        const std::int64_t t_us = wall_clock_us();
        ++captured;
        bool key = key_frames_.due(now);
        if (ref.width != w || ref.height != h) {  // the screen was resized: start over with a key frame
          w = ref.width;
          h = ref.height;
          encoder = std::make_unique<FrameEncoder>(w, h);
          key = true;
        }
        std::vector<std::uint8_t> message;
        auto stats =
            encoder->encode(ref.pixels, ref.stride, tick, t_us, key, config_.every_frame, message, ref.changed);
        if (!stats) {
          ++unchanged;
          live_unchanged_.fetch_add(1);
          continue;
        }
        if (stats->key) key_frames_.sent(now);
        raw += std::uint64_t{w} * h * 4;
        ++queued;
        asio::post(io_, [this, m = std::move(message), tick, t_us, is_key = stats->key]() mutable {
          if (config_.stats) capture_times_[tick] = t_us;
          enqueue(tick, is_key, std::move(m));
        });
        if (config_.max_frames && queued >= config_.max_frames) break;
      }
    } catch (const SourceGone& e) {  // the window being recorded closed: a normal end
      gone = e.what();
    } catch (const std::exception& e) {
      error = std::string("capture failed: ") + e.what();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    asio::post(io_, [=, this] {
      summary_.ticks = tick;
      summary_.captured = captured;
      summary_.unchanged = unchanged;
      summary_.dropped = dropped;
      summary_.raw_bytes = raw;
      summary_.seconds = seconds;
      if (!error.empty()) {
        summary_.ended_by = "capture error";
        say(error);
      }
      if (!gone.empty() && summary_.ended_by.empty()) summary_.ended_by = gone;
      if (summary_.ended_by.empty())
        summary_.ended_by = config_.max_frames && queued >= config_.max_frames ? "--max-frames" : "--duration";
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
  asio::steady_timer connect_timer_, retry_timer_, bye_timer_, ping_timer_, stats_timer_;
  asio::signal_set signals_;
  bool stderr_tty_ = ::isatty(STDERR_FILENO) == 1;
  std::map<std::uint64_t, std::int64_t> capture_times_;  // --stats: seq -> capture time, until ACKed
  std::vector<double> ack_latency_ms_;
  std::uint64_t stats_sent_ = 0, stats_bytes_ = 0;
  std::atomic<std::uint64_t> live_unchanged_{0}, late_ticks_{0};
  Clock::time_point last_send_ = Clock::now();

  // The session, across connections.
  std::uint64_t session_id_ = 0;
  std::uint16_t announce_ = wire::kVersion;  // the protocol version the preamble offers
  wire::ResumeKey resume_key_{};
  bool ever_welcomed_ = false, finishing_ = false, done_ = false, closed_ = false;
  Clock::time_point away_since_ = Clock::now();
  std::chrono::milliseconds backoff_{1000};
  std::uint64_t reconnects_ = 0;

  // The spool (io thread), and what the capture thread reads of it.
  std::deque<Spooled> spool_;
  std::size_t spool_bytes_ = 0;
  const std::size_t spool_limit_;
  // While connected, a spool past this asks for a key frame, so that what it keeps (everything
  // since the key frame the unstored frames build on) stays small. On the 1080p video scene
  // (about 10 MB/s) 16 MiB means a key frame every 1.6 s or so, which costs little there: a
  // changed frame already holds most tiles. (A quarter of the default --spool-mb, 64 MiB, let the
  // client grow to 177 MB.)
  static constexpr std::size_t kConnectedSpoolBytes = std::size_t{16} << 20;
  const std::size_t connected_spool_limit_;
  std::size_t next_send_ = 0;      // index of the next frame to send on the current link
  std::uint64_t stored_tick_ = 0;  // the receiver holds every frame up to this tick
  std::vector<std::uint64_t> lost_ticks_;  // frames dropped from a full spool, the receiver not having them
  bool awaiting_key_ = false, draining_ = false, spool_full_warned_ = false;
  std::uint32_t pending_ = 0;  // frames spooled and never acknowledged
  std::uint32_t max_in_flight_ = 1;

  std::atomic<bool> stop_{false};
  std::thread capture_thread_;
  CaptureSummary summary_;
  std::string error_;
  std::mt19937 rng_;
  KeyFrameSchedule key_frames_;  // the capture thread's, but requests come from the io thread
};

}  // namespace

std::string format_summary(const CaptureSummary& s) {
  char buf[640];
  const double fps = s.seconds > 0 ? static_cast<double>(s.captured) / s.seconds : 0;
  const double pct = s.raw_bytes ? 100.0 * static_cast<double>(s.wire_bytes) / static_cast<double>(s.raw_bytes) : 0;
  std::string away;
  if (s.reconnects > 0 || s.lost > 0 || s.undelivered > 0)
    away = "; reconnected " + std::to_string(s.reconnects) + (s.reconnects == 1 ? " time, " : " times, ") +
           std::to_string(s.lost) +
           " lost from a full spool, " + std::to_string(s.undelivered) + " never stored";
  std::snprintf(buf, sizeof buf,
                "screenreel-capture: %llu frames sent, %s (%.1f%% of raw), %.2f fps achieved over %.1f s "
                "(%llu ticks: %llu unchanged, %llu dropped)%s; receiver stored %s; ended by %s",
                static_cast<unsigned long long>(s.sent), megabytes(s.wire_bytes).c_str(), pct, fps, s.seconds,
                static_cast<unsigned long long>(s.ticks), static_cast<unsigned long long>(s.unchanged),
                static_cast<unsigned long long>(s.dropped), away.c_str(),
                s.stored < 0 ? "unknown" : std::to_string(s.stored).c_str(), terminal_safe(s.ended_by).c_str());
  return buf;
}

int run(const CaptureConfig& config) {
  std::unique_ptr<FrameSource> source;
  try {
    source = make_source(config.source);
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

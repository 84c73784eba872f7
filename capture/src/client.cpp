// The capture client (see client.hpp). Two threads: the capture thread grabs, diffs and
// compresses on a steady clock; the io thread owns the socket (writes FRAMEs, reads ACK, STOP,
// BYE). Frames cross between them through asio::post; at most max_in_flight are unacknowledged,
// and a tick that finds the window full is dropped and counted instead of queued.
#include "screenreel/capture/client.hpp"

#include <unistd.h>

#include <atomic>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <deque>
#include <map>
#include <iostream>
#include <thread>

#include "screenreel/address.hpp"
#include "screenreel/archive.hpp"
#include "screenreel/auth.hpp"
#include "screenreel/frame_codec.hpp"
#include "screenreel/message_reader.hpp"
#include "screenreel/transport.hpp"
#include "screenreel/wire.hpp"

namespace screenreel::capture {
namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPingEvery = std::chrono::seconds(10);

void say(const std::string& line) { std::cerr << "screenreel-capture: " << line << std::endl; }

std::string megabytes(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}

class Client {
 public:
  Client(const CaptureConfig& config, FrameSource& source)
      : config_(config),
        source_(source),
        tls_(config.tls ? make_tls_client_context(config.tls_ca, config.tls_fingerprint) : nullptr),
        stream_(tls_ ? Transport(asio::ip::tcp::socket(io_), *tls_) : Transport(asio::ip::tcp::socket(io_))),
        timer_(io_),
        ping_timer_(io_),
        stats_timer_(io_),
        signals_(io_, SIGINT, SIGTERM) {}

  int run() {
    const HostPort hp = parse_host_port(config_.connect);
    asio::ip::tcp::resolver resolver(io_);
    error_code ec;
    auto endpoints = resolver.resolve(hp.host, std::to_string(hp.port), ec);
    if (ec) return fatal("cannot resolve " + config_.connect + ": " + ec.message());

    signals_.async_wait([this](error_code e, int sig) { on_signal(e, sig); });
    timer_.expires_after(std::chrono::seconds(10));
    timer_.async_wait([this](error_code e) {
      if (!e && !welcomed_) fail("no answer from the receiver at " + config_.connect + " within 10 s");
    });
    if (auto* tls = stream_.tls_stream()) prepare_tls_client(*tls, hp.host, config_.tls_fingerprint);
    asio::async_connect(stream_.socket(), endpoints, [this](error_code e, const asio::ip::tcp::endpoint&) {
      if (e) {
        return fail("cannot connect to " + config_.connect + ": " + e.message() +
                    " (is screenreel-receiver running there? start it first, or use --connect HOST:PORT)");
      }
      error_code ignored;
      stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      stream_.async_handshake(asio::ssl::stream_base::client, [this](error_code he) {
        if (he)
          return fail("TLS handshake with " + config_.connect + " failed: " + he.message() +
                      (config_.tls_fingerprint.empty() ? " (check --tls-ca, or is the receiver started without --tls?)"
                                                       : " (the certificate does not match --tls-fingerprint?)"));
        send(wire::encode_preamble());
        read();  // the receiver's preamble, then its CHALLENGE
      });
    });
    io_.run();
    if (capture_thread_.joinable()) capture_thread_.join();
    // The capture thread's last report (its counts) may have been posted after run() returned.
    io_.restart();
    io_.poll();
    if (!error_.empty()) {
      say("error: " + error_);
      if (summary_.sent > 0 || welcomed_) say(format_summary(summary_));
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
    if (!welcomed_) return fail("interrupted before the session started");
    signals_.async_wait([this](error_code e, int s) { on_signal(e, s); });
  }

  // --- reading ---------------------------------------------------------------------------
  void read() {
    const auto buf = reader_.buffer();
    stream_.async_read_some(asio::buffer(buf.data(), buf.size()), [this](error_code ec, std::size_t n) {
      if (ec) return on_read_error(ec);
      switch (reader_.commit(n)) {
        case wire::MessageReader::Event::kNeedMore:
        case wire::MessageReader::Event::kPreamble: return read();
        case wire::MessageReader::Event::kError:
          return fail("the peer at " + config_.connect + " is not a compatible screenreel-receiver: " +
                      reader_.error().what);
        case wire::MessageReader::Event::kMessage: break;
      }
      if (reader_.type() == wire::MessageType::kFrame) return fail("the receiver sent a FRAME");
      auto m = wire::decode_body(reader_.type(), reader_.body());
      if (!m) return fail("bad message from the receiver: " + m.error.what);
      on_message(*m.value);
    });
  }

  void on_read_error(error_code ec) {
    if (done_) return;
    fail("connection to the receiver lost (" + ec.message() + ")" +
         (bye_sent_ ? "" : "; frames after the last acknowledged one may not be stored"));
  }

  // Answers the receiver's CHALLENGE (with AUTH when it wants a token), then says HELLO.
  void on_challenge(const wire::Challenge& c) {
    if (c.auth_required && config_.token.empty())
      return fail("the receiver at " + config_.connect + " requires a token: use --token-file FILE (the receiver's)");
    if (c.auth_required) send(wire::encode(wire::Auth{auth_mac(config_.token, c.nonce)}));
    wire::Hello hello;
    hello.width = source_.width();
    hello.height = source_.height();
    hello.fps_milli = static_cast<std::uint32_t>(std::lround(config_.fps * 1000));
    hello.client_time_us = wall_clock_us();
    hello.name = config_.name;
    hello.source = source_.describe();
    send(wire::encode(hello));
  }

  // While nothing changes on screen nothing is sent; a PING now and then tells the receiver
  // (which drops silent clients) that this one is alive.
  void keep_alive() {
    ping_timer_.expires_after(kPingEvery);
    ping_timer_.async_wait([this](error_code ec) {
      if (ec || closed_ || bye_sent_) return;
      if (Clock::now() - last_send_ >= kPingEvery) send(wire::encode(wire::Ping{}));
      keep_alive();
    });
  }

  // --stats: one status line a second: frames sent, bandwidth, how long the receiver took to
  // take each frame (capture to ACK), ticks unchanged and dropped so far.
  void print_stats() {
    stats_timer_.expires_after(std::chrono::seconds(1));
    stats_timer_.async_wait([this](error_code ec) {
      if (ec || closed_) return;
      auto& lat = ack_latency_ms_;
      std::sort(lat.begin(), lat.end());
      const double p50 = lat.empty() ? 0 : lat[lat.size() / 2], p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
      char line[200];
      std::snprintf(line, sizeof line, "%5llu fps  %7.2f MB/s  ack latency p50 %5.1f ms p99 %5.1f ms  unchanged %llu  dropped %llu",
                    static_cast<unsigned long long>(summary_.sent - stats_sent_),
                    static_cast<double>(summary_.wire_bytes - stats_bytes_) / 1e6, p50, p99,
                    static_cast<unsigned long long>(live_unchanged_.load()),
                    static_cast<unsigned long long>(live_dropped_.load()));
      std::cerr << (stderr_tty_ ? "\r" : "") << line << (stderr_tty_ ? "" : "\n") << std::flush;
      stats_sent_ = summary_.sent;
      stats_bytes_ = summary_.wire_bytes;
      lat.clear();
      print_stats();
    });
  }

  void on_message(const wire::Message& m) {
    if (auto* c = std::get_if<wire::Challenge>(&m)) {
      if (challenged_) return fail("second CHALLENGE from the receiver");
      challenged_ = true;
      on_challenge(*c);
      if (closed_) return;
    } else if (auto* w = std::get_if<wire::Welcome>(&m)) {
      if (welcomed_) return fail("second WELCOME from the receiver");
      welcomed_ = true;
      timer_.cancel();
      max_in_flight_ = w->max_in_flight;
      session_id_ = w->session_id;
      if (!config_.quiet)
        say("recording session " + std::to_string(w->session_id) + " (" + w->folder + ") " + source_.describe() +
            " at " + std::to_string(config_.fps).substr(0, 5) + " fps to " + config_.connect);
      capture_thread_ = std::thread([this] { capture_loop(); });
      keep_alive();
      if (config_.stats) print_stats();
    } else if (auto* a = std::get_if<wire::Ack>(&m)) {
      in_flight_.fetch_sub(1);
      if (auto it = capture_times_.find(a->seq); it != capture_times_.end()) {
        ack_latency_ms_.push_back(static_cast<double>(wall_clock_us() - it->second) / 1000.0);
        capture_times_.erase(it);
      }
    } else if (auto* s = std::get_if<wire::Stop>(&m)) {
      if (summary_.ended_by.empty()) summary_.ended_by = "receiver (" + s->message + ")";
      stop_ = true;
    } else if (auto* b = std::get_if<wire::Bye>(&m)) {
      summary_.stored = static_cast<std::int64_t>(b->frames);
      done_ = true;
      close();
      return;
    } else if (auto* e = std::get_if<wire::Error>(&m)) {
      if (e->code == wire::ErrorCode::kAuthFailed)
        return fail("the receiver refused the token (" + e->message + "): check --token-file");
      return fail(std::string(welcomed_ ? "the receiver stopped the session: " : "the receiver refused the session: ") +
                  std::string(wire::to_string(e->code)) + ": " + e->message);
    } else {
      return fail("unexpected message from the receiver");
    }
    read();
  }

  // --- writing ---------------------------------------------------------------------------
  void send(std::vector<std::uint8_t> message, bool is_frame = false) {
    if (closed_) return;
    outbox_.push_back({std::move(message), is_frame});
    if (!writing_) write_next();
  }

  void write_next() {
    if (outbox_.empty()) {
      writing_ = false;
      if (finishing_ && !bye_sent_) send_bye();
      return;
    }
    writing_ = true;
    last_send_ = Clock::now();
    stream_.async_write(asio::buffer(outbox_.front().bytes), [this](error_code ec, std::size_t n) {
      if (ec) {
        writing_ = false;
        return fail("cannot send to the receiver (" + ec.message() + ")");
      }
      if (outbox_.front().is_frame) {
        ++summary_.sent;
        summary_.wire_bytes += n;
      }
      outbox_.pop_front();
      write_next();
    });
  }

  // Called on the io thread when the capture thread has finished: BYE once all frames are out.
  void finish_sending() {
    finishing_ = true;
    if (!writing_ && !bye_sent_) send_bye();
  }

  void send_bye() {
    bye_sent_ = true;
    send(wire::encode(wire::Bye{summary_.sent, summary_.dropped}));
    timer_.expires_after(std::chrono::seconds(15));
    timer_.async_wait([this](error_code e) {
      if (!e && !done_) fail("the receiver did not confirm the end of the session within 15 s");
    });
  }

  void fail(const std::string& what) {
    if (error_.empty() && !done_) error_ = what;
    stop_ = true;
    close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    timer_.cancel();
    ping_timer_.cancel();
    stats_timer_.cancel();
    if (config_.stats && stderr_tty_) std::cerr << "\n";
    signals_.cancel();
    stream_.close();
  }

  // --- capturing (own thread) ------------------------------------------------------------
  void capture_loop() {
    std::uint32_t w = source_.width(), h = source_.height();
    auto encoder = std::make_unique<FrameEncoder>(w, h);
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / config_.fps));
    const auto start = Clock::now();
    const auto key_every = std::chrono::duration<double>(config_.key_interval_s);
    auto last_key = start;
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
          tick += behind;
        }
        ++tick;
        if (in_flight_.load() >= max_in_flight_) {  // the receiver is behind: drop, never queue
          ++dropped;
          live_dropped_.fetch_add(1);
          continue;
        }
        const FrameRef ref = source_.grab(tick - 1);
        const std::int64_t t_us = wall_clock_us();
        ++captured;
        bool key = now - last_key >= key_every;
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
        if (key) last_key = now;
        in_flight_.fetch_add(1);
        raw += std::uint64_t{w} * h * 4;
        ++queued;
        asio::post(io_, [this, m = std::move(message), tick, t_us]() mutable {
          if (config_.stats) capture_times_[tick] = t_us;
          send(std::move(m), true);
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
  Transport stream_;
  asio::steady_timer timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer stats_timer_;
  bool stderr_tty_ = ::isatty(STDERR_FILENO) == 1;
  std::map<std::uint64_t, std::int64_t> capture_times_;  // --stats: seq -> capture time, until ACKed
  std::vector<double> ack_latency_ms_;
  std::uint64_t stats_sent_ = 0, stats_bytes_ = 0;
  std::atomic<std::uint64_t> live_unchanged_{0}, live_dropped_{0};
  Clock::time_point last_send_ = Clock::now();
  asio::signal_set signals_;
  wire::MessageReader reader_;
  struct Outgoing {
    std::vector<std::uint8_t> bytes;
    bool is_frame;
  };
  std::deque<Outgoing> outbox_;
  bool writing_ = false, finishing_ = false, bye_sent_ = false, closed_ = false;
  bool welcomed_ = false, done_ = false, challenged_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint32_t> in_flight_{0};
  std::atomic<std::uint32_t> max_in_flight_{1};
  std::uint64_t session_id_ = 0;
  std::thread capture_thread_;
  CaptureSummary summary_;
  std::string error_;
};

}  // namespace

std::string format_summary(const CaptureSummary& s) {
  char buf[512];
  const double fps = s.seconds > 0 ? static_cast<double>(s.captured) / s.seconds : 0;
  const double pct = s.raw_bytes ? 100.0 * static_cast<double>(s.wire_bytes) / static_cast<double>(s.raw_bytes) : 0;
  std::snprintf(buf, sizeof buf,
                "screenreel-capture: %llu frames sent, %s (%.1f%% of raw), %.2f fps achieved over %.1f s "
                "(%llu ticks: %llu unchanged, %llu dropped); receiver stored %s; ended by %s",
                static_cast<unsigned long long>(s.sent), megabytes(s.wire_bytes).c_str(), pct, fps, s.seconds,
                static_cast<unsigned long long>(s.ticks), static_cast<unsigned long long>(s.unchanged),
                static_cast<unsigned long long>(s.dropped),
                s.stored < 0 ? "unknown" : std::to_string(s.stored).c_str(), s.ended_by.c_str());
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

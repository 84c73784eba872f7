// One capture client's connection (see connection.hpp): the handshake, authentication, resume,
// and the FRAME path into the recorder, as one asynchronous sequence on the connection's strand
// (about 450 lines, read top to bottom in the order a connection goes through them).
#include "connection.hpp"

#include "screenreel/common/log.hpp"
#include "screenreel/common/terminal_text.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <sstream>

#include "screenreel/archive/archive.hpp"

namespace screenreel::receiver {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The ledger's cause for the ticks a replay buffer did not keep (catalog schema 6).
constexpr const char* kNotSavedCause = "not-saved";

// What a failed TLS handshake means, in the words of someone who has to fix it.
std::string tls_failure(const error_code& ec) {
  const std::string what = ec.message();
  const auto has = [&](const char* s) { return what.find(s) != std::string::npos; };
  if (has("wrong version number") || has("http request") || has("packet length too long"))
    return what + ": a client without --tls?";
  if (has("unknown ca") || has("bad certificate") || has("certificate unknown"))
    return what + ": the client does not trust this certificate (its --tls-ca or --tls-fingerprint)";
  if (has("unsupported protocol") || has("protocol version"))
    return what + ": the client offered TLS older than 1.3, which this receiver does not speak";
  if (has("stream truncated") || ec == asio::error::eof) return what + ": the client went away during the handshake";
  return what;
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, ServerContext& server)
    : stream_(server.options.tls ? Transport(std::move(socket), *server.options.tls) : Transport(std::move(socket))),
      server_(server),
      deadline_(server.io),
      idle_(server.io),
      write_timer_(server.io) {
  error_code ec;
  const auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    std::ostringstream s;
    s << ep;
    peer_ = s.str();
    address_ = ep.address().to_string();
  } else {
    peer_ = "unknown peer";
  }
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  // What the receiver sends is small (ACKs of 32 bytes, STOP, ERROR): a small send buffer keeps
  // a client that does not read them from hiding thousands in the kernel, so max_in_flight
  // (on_frame) catches it within the few its own receive buffer holds.
  stream_.socket().set_option(asio::socket_base::send_buffer_size(16 * 1024), ec);
}

std::string Connection::who() const {
  if (!session_) return peer_;
  return "session " + std::to_string(session_->record().id) + " '" + session_->record().name + "' (" + peer_ + ")";
}

void Connection::start() {
  // Until HELLO is accepted a peer can make us hold only a few hundred bytes, for a short time.
  reader_.set_body_limit(wire::kMaxPreAuthBody);
  arm_deadline(server_.options.handshake_timeout, "handshake");
  // With --tls, nothing of ours is read before the TLS handshake has succeeded.
  stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
    if (ec) {
      if (ec != asio::error::operation_aborted)  // the deadline said why already
        log::info(self->peer_ + ": TLS handshake failed (" + tls_failure(ec) + "); closed");
      return self->close();
    }
    self->handshaken_ = true;
    self->read();
  });
}

void Connection::arm_idle() {
  idle_deadline_ = std::chrono::steady_clock::now() + server_.options.idle_timeout;
  idle_.expires_at(idle_deadline_);
  idle_.async_wait([weak = std::weak_ptr<Connection>(shared_from_this())](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::kRecording) return;
    // Silence is measured on the receiver's own reading: a receiver that was stopped (SIGSTOP,
    // a suspended machine) wakes with this timer long past, and bytes waiting unread (it was
    // stopped, or reading waits for room in the queue) are not silence either.
    error_code e;
    if (std::chrono::steady_clock::now() - self->idle_deadline_ > std::chrono::seconds(1) ||
        self->stream_.socket().available(e) > 0)
      return self->arm_idle();
    log::info(self->who() + ": nothing received for " + std::to_string(self->server_.options.idle_timeout.count() / 1000) +
        " s; closing the session");
    self->send(wire::encode(wire::Error{wire::ErrorCode::kTimeout, "silent for too long"}));
    self->end_session("disconnected", "", false);
  });
}

void Connection::on_auth(const wire::Auth& auth) {
  if (!macs_equal(auth.mac, auth_mac(*server_.options.token, nonce_, reader_.version()))) {
    server_.auth_failed(address_);
    log::info(peer_ + ": authentication failed (wrong token); closing");
    send(wire::encode(wire::Error{wire::ErrorCode::kAuthFailed, "authentication failed: wrong token"}));
    close_after_write_ = true;
    if (!writing_) close();
    return;
  }
  server_.auth_succeeded(address_);
  state_ = State::kHello;
  read();
}

bool Connection::handshaking() const {
  return state_ == State::kPreamble || state_ == State::kAuth || state_ == State::kHello;
}

void Connection::evict() {
  if (!handshaking()) return;
  log::info(peer_ + ": closed while still handshaking, to make room for a newer connection (more than --max-pending at once)");
  evicted_ = true;  // reads nothing more
  if (state_ != State::kPreamble)  // it has our preamble: it can read an ERROR
    send(wire::encode(wire::Error{wire::ErrorCode::kBusy, "too many connections are handshaking at once; try again"}));
  close_after_write_ = true;
  if (!writing_) close();
}

void Connection::arm_deadline(std::chrono::milliseconds after, const char* what) {
  deadline_.expires_after(after);
  deadline_.async_wait([self = shared_from_this(), what](error_code ec) {
    if (ec) return;  // cancelled: the awaited thing happened
    log::info(self->who() + ": " + what + " deadline passed" +
        (self->handshaken_ ? "" : " (no TLS handshake: a client without --tls, or a stalled one?)") + "; closing");
    // Silence before authentication counts against the address as a failed authentication does.
    if (self->handshaking() && self->server_.options.token) self->server_.auth_failed(self->address_);
    if (self->state_ == State::kRecording || self->state_ == State::kEnding) {
      self->end_session("receiver", "", false);
    } else if (!self->handshaken_) {
      self->close();  // nothing can be written before the TLS handshake: close at once
    } else {
      self->send(wire::encode(wire::Error{wire::ErrorCode::kTimeout, std::string(what) + " took too long"}));
      self->close_after_write_ = true;
      if (!self->writing_) self->close();
    }
  });
}

void Connection::read() {
  const auto buf = reader_.buffer();
  stream_.async_read_some(asio::buffer(buf.data(), buf.size()), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (ec) return self->on_read_error(ec);
    if (self->state_ == State::kRecording) self->arm_idle();
    switch (self->reader_.commit(n)) {
      case wire::MessageReader::Event::kNeedMore: return self->read();
      case wire::MessageReader::Event::kPreamble: {
        const bool auth = self->server_.options.token.has_value();
        self->nonce_ = random_nonce();
        self->send(wire::encode_preamble(self->reader_.version()));  // the version this connection speaks
        self->send(wire::encode(wire::Challenge{auth, self->nonce_}));
        self->state_ = auth ? State::kAuth : State::kHello;
        return self->read();
      }
      case wire::MessageReader::Event::kMessage: return self->on_message(self->reader_.type());
      case wire::MessageReader::Event::kError: {
        const auto& e = self->reader_.error();
        if (self->state_ == State::kPreamble && e.code != wire::ErrorCode::kUnsupportedVersion) {
          log::info(self->peer_ + ": " + e.what + "; closed");  // not a screenreel client: no answer
          return self->close();
        }
        if (self->state_ == State::kPreamble) self->send(wire::encode_preamble());
        return self->fail(e);
      }
    }
  });
}

void Connection::on_read_error(const error_code& ec) {
  if (state_ == State::kRecording) {
    log::info(who() + ": connection lost (" + ec.message() + ")" +
        (reader_.in_message() ? "; the partly received message is discarded" : ""));
    end_session("disconnected", "", false);
  } else if (state_ != State::kEnding) {
    close();
  }
}

void Connection::on_message(wire::MessageType type) {
  if (evicted_) return;
  const std::int64_t receive_us = wall_clock_us();
  auto parsed = wire::decode_body(type, reader_.body(), reader_.version());
  if (!parsed) return fail(parsed.error());
  auto& msg = *parsed;

  if (state_ == State::kAuth) {
    if (auto* auth = std::get_if<wire::Auth>(&msg)) return on_auth(*auth);
    server_.auth_failed(address_);
    return fail({wire::ErrorCode::kAuthFailed, "this receiver needs a token: expected AUTH, got " +
                                                   std::string(wire::to_string(type)) + " (use --token-file)"});
  }
  if (state_ == State::kHello) {
    if (auto* hello = std::get_if<wire::Hello>(&msg)) return on_hello(*hello);
    return fail({wire::ErrorCode::kBadMessage, "expected HELLO, got " + std::string(wire::to_string(type))});
  }
  if (state_ != State::kRecording) return;  // ending: nothing more is read
  if (auto* frame = std::get_if<wire::FrameView>(&msg)) return on_frame(*frame, receive_us);
  if (std::holds_alternative<wire::Ping>(msg)) return read();
  if (std::holds_alternative<wire::Marker>(msg) || std::holds_alternative<wire::Pause>(msg) ||
      std::holds_alternative<wire::Resume>(msg) || std::holds_alternative<wire::Skipped>(msg)) {
    on_event(msg);
    return read();
  }
  if (auto* windows = std::get_if<wire::Windows>(&msg)) {
    if (static_cast<std::int64_t>(windows->tick) <= windows_tick_)
      return fail({wire::ErrorCode::kBadSequence, "WINDOWS tick " + std::to_string(windows->tick) +
                                                      " is not after the previous WINDOWS' tick " +
                                                      std::to_string(windows_tick_)});
    on_windows(*windows);
    return read();
  }
  if (std::holds_alternative<wire::SaveBuffer>(msg)) {
    save_buffer("asked by the client");
    return read();
  }
  if (auto* bye = std::get_if<wire::Bye>(&msg)) {
    client_dropped_ = bye->dropped;
    if (bye->frames != frames_received_)
      log::info(who() + ": client says it sent " + std::to_string(bye->frames) + " frames, " +
          std::to_string(frames_received_) + " arrived");
    return end_session(stop_sent_ ? "receiver" : "client", "", true);
  }
  if (auto* err = std::get_if<wire::Error>(&msg)) {
    log::info(who() + ": client reported error " + std::string(wire::to_string(err->code)) + ": " + err->message);  // the log makes it terminal-safe
    return end_session("error", "client error: " + terminal_safe(err->message), false);
  }
  fail({wire::ErrorCode::kBadMessage, std::string(wire::to_string(type)) + " is not a client message"});
}

std::int64_t Connection::session_id() const { return session_ ? session_->record().id : 0; }

void Connection::replaced() {
  if (state_ != State::kRecording) return;
  log::info(who() + ": its client reconnected; ending this connection's part of the session");
  end_session("disconnected", "", false);
  error_code ignored;
  stream_.socket().close(ignored);
}

std::shared_ptr<SessionWriter> Connection::try_resume(const wire::Hello& hello, bool& busy) {
  const auto id = static_cast<std::int64_t>(hello.resume_session_id);
  std::shared_ptr<SessionWriter> session;
  std::string why;
  // A protocol-3 HELLO carries a proof over this connection's nonce, never the key; a protocol-2
  // client sends the key itself, which anyone watching a plain connection could replay, so its
  // resume is taken over TLS only.
  const wire::ResumeKey key = server_.recorder.resume_key(id);
  const bool proven = reader_.version() >= 3 ? resume_keys_equal(hello.resume_key, resume_proof(key, nonce_))
                                             : server_.options.tls && resume_keys_equal(hello.resume_key, key);
  if (!proven) {
    log::info(peer_ + ": cannot resume session " + std::to_string(id) +
        (reader_.version() >= 3 ? " (wrong resume proof or unknown session)"
                                : " (a protocol-2 client resumes only over --tls: its key travels in the clear)") +
        "; starting a new session");
    return nullptr;
  }
  switch (server_.recorder.resume_session(id, key, session, why)) {
    case Recorder::Resume::kResumed:
      log::info(peer_ + ": resumes session " + std::to_string(id) + " after tick " +
          std::to_string(session->resumed_after_tick()) + (why.empty() ? "" : " (" + why + ")"));
      return session;
    case Recorder::Resume::kBusy:
      busy = true;
      log::info(peer_ + ": resumes session " + std::to_string(id) +
          ", which its old connection still holds: dropping that one, the client will try again");
      server_.drop_session_connection(id);
      return nullptr;
    case Recorder::Resume::kRefused:
      log::info(peer_ + ": cannot resume session " + std::to_string(id) + " (" + why + "); starting a new session");
      return nullptr;
  }
  return nullptr;
}

void Connection::on_hello(const wire::Hello& hello) {
  NewSession s;
  s.name = hello.name.empty() ? "unnamed" : hello.name;
  s.client_address = peer_;
  s.source = hello.source;
  s.width = hello.width;
  s.height = hello.height;
  s.fps = hello.fps_milli / 1000.0;
  s.started_us = wall_clock_us();
  try {
    bool busy = false;
    if (hello.resume_session_id != 0) session_ = try_resume(hello, busy);
    if (busy) {
      send(wire::encode(wire::Error{wire::ErrorCode::kSessionBusy,
                                    "session " + std::to_string(hello.resume_session_id) +
                                        " is still open here; its old connection is being closed: try again"}));
      close_after_write_ = true;
      return;
    }
    new_session_ = s;
    if (!session_) session_ = server_.recorder.buffers() ? server_.recorder.open_buffer(s) : server_.recorder.open_session(s);
  } catch (const std::exception& e) {
    log::info(peer_ + ": cannot create a session: " + e.what());
    send(wire::encode(wire::Error{wire::ErrorCode::kStorage, std::string("cannot create session: ") + e.what()}));
    close_after_write_ = true;
    return;
  }
  deadline_.cancel();
  decoder_.emplace(hello.width, hello.height, [&recorder = server_.recorder](std::uint32_t w, std::uint32_t h) {
    return recorder.acquire_buffer(w, h);
  });
  // Protocol 5's 4:2:0 tiles: their planes are kept beside the pixels, and the JPEGs coded from them.
  decoder_->keep_planes(reader_.version() >= 5 && (hello.wire_pixels & wire::kWirePixelsYuv420) != 0);
  // Protocol 4: JPEG strips at the quality of the archive's JPEGs, decoded for the frame (the
  // live window, OCR, the next FRAME) and spliced into the file as they came.
  const int quality = server_.recorder.jpeg_quality();
  if (reader_.version() >= 4) {
    strip_decoder_ = std::make_unique<JpegStripDecoder>(quality);
    decoder_->set_strip_decoder([this, quality](std::span<const wire::RectView> rects, FrameBuffer& frame)
                                    -> Result<void, wire::WireError> {
      strips_.clear();
      for (const auto& r : rects) {
        if (r.jpeg_quality != static_cast<std::uint32_t>(quality))
          return wire::WireError{wire::ErrorCode::kBadMessage, "JPEG strip coded at quality " +
                                                                   std::to_string(r.jpeg_quality) + ", WELCOME said " +
                                                                   std::to_string(quality)};
        strips_.push_back({r.strip, r.jpeg});
      }
      if (auto done = strip_decoder_->decode(JpegStripGrid(frame.width, frame.height), strips_, frame.pixels.data(),
                                             frame.stride());
          !done)
        return wire::WireError{wire::ErrorCode::kBadMessage, done.error().message};
      return {};
    });
  }
  reader_.set_body_limit(wire::kMaxMessageBytes);
  state_ = State::kRecording;
  arm_idle();
  const auto& rec = session_->record();
  const auto last_tick = static_cast<std::uint64_t>(session_->resumed_after_tick());
  accounted_tick_ = session_->resumed_accounted_tick();
  last_frame_ = rec.frame_count;
  const bool buffering = session_->buffering();
  log::info(who() + ": recording " + std::to_string(hello.width) + "x" + std::to_string(hello.height) + " at " +
      std::to_string(hello.fps_milli / 1000.0).substr(0, 5) + " fps " +
      (buffering ? "into the replay buffer (memory only, until a save)" : "into sessions/" + rec.folder));
  // A buffering session is in no archive yet: session 0, no folder, nothing to resume.
  // Protocol 5: the decoder takes 4:2:0 tiles (converting them back to BGRX for the window,
  // OCR and the next FRAME; the JPEGs are coded from their planes), so whatever of them the
  // client offers is taken.
  send(wire::encode(wire::Welcome{buffering ? 0 : static_cast<std::uint64_t>(rec.id), server_.options.max_in_flight,
                                  rec.folder, buffering ? wire::ResumeKey{} : server_.recorder.resume_key(rec.id),
                                  last_tick, reader_.version() >= 4 ? static_cast<std::uint32_t>(quality) : 0,
                                  reader_.version() >= 5 ? hello.wire_pixels & wire::kWirePixelsYuv420 : 0}));
  if (server_.sink) server_.sink->session_started(rec.id, window_title());
  if (server_.stopping) return stop(server_.stop_reason);
  read();
}

void Connection::on_frame(const wire::FrameView& frame, std::int64_t receive_us) {
  // WELCOME's max_in_flight binds the client: FRAMEs sent ahead of the ACKs it has read. Every
  // ACK it has read was written here first, so an honest client never has more than that many
  // FRAMEs here beyond the ACKs written; one that does is not reading them (resent frames of a
  // resumed session count too).
  if (frames_received_ + 1 > acks_written_ + server_.options.max_in_flight)
    return fail({wire::ErrorCode::kBadSequence,
                 "FRAME seq " + std::to_string(frame.seq) + " is more than max_in_flight (" +
                     std::to_string(server_.options.max_in_flight) +
                     ") FRAMEs ahead of the ACKs the client has been sent: it must read them"});
  if (auto applied = decoder_->apply(frame); !applied) return fail(applied.error());
  ++frames_received_;
  // A resumed session's client sends again from a key frame: what the session holds already is
  // decoded (the frames after it build on it) but not stored twice.
  if (frame.seq <= static_cast<std::uint64_t>(session_->resumed_after_tick())) {
    send(wire::encode(wire::Ack{frame.seq, 0, static_cast<std::uint64_t>(session_->stored_tick())}));
    return read();
  }
  if (paused_here_) {  // decoded for the FRAMEs after it, not stored: the receiver's pause
    if (static_cast<std::int64_t>(frame.seq) > accounted_tick_) {
      SessionEvents events;
      events.ledger.push_back({session_->record().id, accounted_tick_ + 1, static_cast<std::int64_t>(frame.seq), "paused"});
      accounted_tick_ = static_cast<std::int64_t>(frame.seq);
      emit(std::move(events));
    }
    send(wire::encode(wire::Ack{frame.seq, 0, static_cast<std::uint64_t>(session_->stored_tick())}));
    return read();
  }
  // Shared, not copied: the decoder draws the next FRAME into another buffer while this one is read.
  SharedFrame shared = decoder_->share();
  // No rectangles: the client says nothing changed (--every-frame), so the JPEG is shared.
  changed_.clear();
  for (const auto& r : frame.rects) changed_.push_back(r.area());
  if (frame.is_key())
    changed_.assign(1, PixelRect{0, 0, static_cast<std::int32_t>(frame.width), static_cast<std::int32_t>(frame.height)});
  FrameJob job{static_cast<std::int64_t>(frame.seq), decoder_->capture_time_us(), receive_us, shared, frame.rects.empty(),
               changed_, client_strips(frame)};
  if (job.client_strips) {  // the recorder codes only what the other rectangles changed
    job.changed.clear();
    for (const auto& r : frame.rects)
      if (r.encoding != wire::RectEncoding::kJpegStrip) job.changed.push_back(r.area());
  }
  if (std::exchange(whole_next_, false)) {
    // The frames the pause did not store changed the screen: this one is coded from its pixels
    // alone, neither a repeat nor built on the last JPEG stored.
    job.repeat = false;
    job.client_strips = nullptr;
    job.changed.assign(1, PixelRect{0, 0, static_cast<std::int32_t>(frame.width), static_cast<std::int32_t>(frame.height)});
  }
  const std::uint64_t seq = frame.seq;
  std::weak_ptr<Connection> weak = shared_from_this();
  auto& io = server_.io;
  const auto number = session_->submit(std::move(job), [weak, seq, &io](std::uint64_t n) {
    asio::post(io, [weak, seq, n] {
      if (auto self = weak.lock()) self->on_frame_accepted(seq, n);
    });
  });
  if (!number) {
    const auto err = session_->storage_error().value_or("session closed");
    log::info(who() + ": cannot record: " + err);
    send(wire::encode(wire::Error{wire::ErrorCode::kStorage, err}));
    return end_session("error", err, false);
  }
  if (!session_->buffering())
    server_.recorder.note_changes(session_->record().id, *number, decoder_->capture_time_us(), shared, frame.rects);
  last_frame_ = static_cast<std::int64_t>(*number);
  if (static_cast<std::int64_t>(frame.seq) > accounted_tick_) {
    SessionEvents events;
    account_before(static_cast<std::int64_t>(frame.seq), events);
    accounted_tick_ = static_cast<std::int64_t>(frame.seq);
    emit(std::move(events));
  }
  stored_here_ = true;
  if (server_.sink) server_.sink->show(session_->record().id, *number, std::move(shared), changed_);
}

std::string Connection::unexplained_cause() const {
  if (reader_.version() < 4) return "unknown";  // its client says nothing of its ticks
  // Before the first frame stored on a connection the gap spans a reconnection (a resumed
  // session, or a new one its client started after an old one could not be resumed: a client's
  // first connection explains every tick before its first frame); after it, the client's spool
  // dropped the ticks (and their SKIPPED with them).
  return stored_here_ ? "spool-full" : "disconnected";
}

std::optional<std::int64_t> Connection::frame_on_screen() const {
  if (last_frame_ == 0) return std::nullopt;
  return last_frame_;
}

void Connection::account_before(std::int64_t tick, SessionEvents& events) {
  if (tick - 1 > accounted_tick_)
    events.ledger.push_back({session_->record().id, accounted_tick_ + 1, tick - 1, unexplained_cause()});
}

void Connection::on_event(const wire::Message& m) {
  const auto id = session_->record().id;
  SessionEvents events;
  static constexpr const char* kSources[] = {"", "capture-key", "signal", "hotkey", "api"};
  if (auto* marker = std::get_if<wire::Marker>(&m)) {
    ++markers_;
    const std::string label = marker->label.empty() ? "marker " + std::to_string(markers_) : terminal_safe(marker->label);
    events.markers.push_back({id, marker->time_us, static_cast<std::int64_t>(marker->tick), frame_on_screen(), label,
                              kSources[static_cast<int>(marker->source)]});
    log::info(who() + ": marker '" + label + "' at tick " + std::to_string(marker->tick));
  } else if (auto* pause = std::get_if<wire::Pause>(&m)) {
    events.pauses.push_back({id, static_cast<std::int64_t>(pause->tick), pause->time_us, std::nullopt, std::nullopt,
                             terminal_safe(pause->reason)});
    log::info(who() + ": paused at tick " + std::to_string(pause->tick) + " (" + pause->reason + ")");
    if (server_.sink) server_.sink->session_paused(id, true);
  } else if (auto* resume = std::get_if<wire::Resume>(&m)) {
    events.pause_ends.push_back({id, static_cast<std::int64_t>(resume->tick), resume->time_us});
    log::info(who() + ": resumed at tick " + std::to_string(resume->tick));
    if (server_.sink) server_.sink->session_paused(id, false);
  } else if (auto* skipped = std::get_if<wire::Skipped>(&m)) {
    static constexpr const char* kCauses[] = {"", "unchanged", "flow-control", "paused"};
    // A run sent again after a reconnection is clipped to what is not accounted for yet.
    const auto first = std::max(static_cast<std::int64_t>(skipped->first_tick), accounted_tick_ + 1);
    const auto last = static_cast<std::int64_t>(skipped->last_tick);
    if (first <= last) {
      account_before(first, events);
      // While the receiver pauses, no tick of the session is stored, whatever the client says.
      events.ledger.push_back({id, first, last, paused_here_ ? "paused" : kCauses[static_cast<int>(skipped->cause)]});
      accounted_tick_ = last;
    }
  }
  emit(std::move(events));
}

void Connection::on_windows(const wire::Windows& m) {
  const auto id = session_->record().id;
  const auto tick = static_cast<std::int64_t>(m.tick);
  SessionEvents events;
  // The first list of a connection: rows an earlier connection of the session left open end here
  // (its windows are all in this list again, those still there with rows of their own).
  if (windows_tick_ == 0) events.window_ends.push_back({id, std::nullopt, tick, m.time_us});
  windows_tick_ = tick;
  std::map<std::int64_t, WindowRecord> now;
  for (const auto& w : m.windows) {
    if (!w.visible || now.count(w.id)) continue;  // not on screen; a repeated id: its first entry counts
    WindowRecord row{id, tick, m.time_us, std::nullopt, std::nullopt, w.id, w.title, w.x, w.y, w.width, w.height};
    const auto old = windows_.find(w.id);
    if (old != windows_.end() && old->second.title == row.title && old->second.area() == row.area()) {
      now.emplace(w.id, old->second);  // unchanged: its row goes on
      continue;
    }
    if (old != windows_.end()) events.window_ends.push_back({id, old->first, tick, m.time_us});
    events.windows.push_back(row);
    now.emplace(w.id, std::move(row));
  }
  for (const auto& [wid, row] : windows_)
    if (!now.count(wid)) events.window_ends.push_back({id, wid, tick, m.time_us});
  if (events.window_ends.size() == 1 && !events.window_ends[0].window_id)  // the connection's first list
    log::info(who() + ": window geometry from tick " + std::to_string(tick) + ": " + std::to_string(now.size()) +
        " windows on screen");
  windows_ = std::move(now);
  emit(std::move(events));
}

void Connection::emit(SessionEvents events) {
  if (!session_->buffering()) return server_.recorder.add_events(std::move(events));
  append_events(held_events_, events);
}

std::string Connection::window_title() const {
  const auto& rec = session_->record();
  return "Received Video Stream - " + terminal_safe(rec.name) +
         (session_->buffering() ? std::string(" (replay buffer)") : " (session " + std::to_string(rec.id) + ")");
}

void Connection::save_buffer(const std::string& by) {
  if (state_ != State::kRecording || !session_->buffering()) return;
  const auto buffer = session_;
  Recorder::Saved saved;
  try {
    saved = server_.recorder.save_buffer(buffer, new_session_);
  } catch (const std::exception& e) {
    log::info(who() + ": cannot save the replay buffer: " + e.what());
    send(wire::encode(wire::Error{wire::ErrorCode::kStorage, std::string("cannot create session: ") + e.what()}));
    return end_session("error", e.what(), false);
  }
  session_ = saved.session;
  const auto id = session_->record().id;
  // The ticks before the first frame saved left with the buffer (or were discarded): the ledger
  // says so, and of what was held only the part saved goes to the catalog.
  const std::int64_t first = saved.frames ? saved.first_tick : accounted_tick_ + 1;
  SessionEvents events;
  if (first > 1) events.ledger.push_back({id, 1, first - 1, kNotSavedCause});
  const auto saved_frame = [&](std::optional<std::int64_t> n) -> std::optional<std::int64_t> {
    const auto first_number = static_cast<std::int64_t>(saved.first_number);
    if (!n || saved.frames == 0 || *n < first_number) return std::nullopt;
    return *n - first_number + 1;
  };
  for (auto m : held_events_.markers)
    if (m.tick >= first) events.markers.push_back({id, m.time_us, m.tick, saved_frame(m.frame), m.label, m.source});
  for (auto p : held_events_.pauses)
    if (p.from_tick >= first) events.pauses.push_back({id, p.from_tick, p.from_us, p.to_tick, p.to_us, p.reason});
  for (auto e : held_events_.pause_ends)
    if (e.to_tick >= first) events.pause_ends.push_back({id, e.to_tick, e.to_us});
  for (auto run : held_events_.ledger)
    if (run.last_tick >= first) events.ledger.push_back({id, std::max(run.first_tick, first), run.last_tick, run.cause});
  // The held window rows with the ends held after them applied (as the catalog would), then
  // those still on screen at the first tick saved, from there.
  auto rows = held_events_.windows;
  for (const auto& e : held_events_.window_ends)
    for (auto& r : rows)
      if (!r.to_tick && r.from_tick < e.to_tick && (!e.window_id || *e.window_id == r.window_id)) {
        r.to_tick = e.to_tick;
        r.to_us = e.to_us;
      }
  for (auto r : rows)
    if (!r.to_tick || *r.to_tick > first) {
      r.session_id = id;
      r.from_tick = std::max(r.from_tick, first);
      events.windows.push_back(std::move(r));
    }
  // The rows still open are this connection's: they end as its next lists say.
  for (auto& [wid, row] : windows_) {
    row.session_id = id;
    row.from_tick = std::max(row.from_tick, first);
  }
  held_events_ = {};
  server_.recorder.add_events(std::move(events));
  last_frame_ = static_cast<std::int64_t>(saved.frames);
  stored_here_ = stored_here_ || saved.frames > 0;
  log::info(who() + ": replay buffer saved (" + by + "): " + std::to_string(saved.frames) + " frames" +
      (saved.frames ? ", ticks " + std::to_string(saved.first_tick) + ".." + std::to_string(saved.last_tick) : "") +
      (saved.dropped ? "; " + std::to_string(saved.dropped) + " older ones had left it" : "") +
      " into sessions/" + session_->record().folder + "; recording goes on");
  if (server_.sink) {
    server_.sink->session_ended(buffer->record().id);
    server_.sink->session_started(id, window_title());
  }
}

void Connection::toggle_pause() {
  if (state_ != State::kRecording) return;
  paused_here_ = !paused_here_;
  const auto id = session_->record().id;
  SessionEvents events;
  const std::int64_t tick = accounted_tick_ + 1;  // the first tick not stored, or stored again
  if (paused_here_) {
    events.pauses.push_back({id, tick, wall_clock_us(), std::nullopt, std::nullopt, "receiver key p"});
  } else {
    events.pause_ends.push_back({id, tick, wall_clock_us()});
    whole_next_ = true;
  }
  emit(std::move(events));
  log::info(who() + (paused_here_ ? ": paused at the receiver at tick " : ": resumed at the receiver at tick ") +
      std::to_string(tick) + (paused_here_ ? " (frames are read, not stored, until p again)" : ""));
  if (server_.sink) server_.sink->session_paused(id, paused_here_);
}

void Connection::discard_buffer() {
  if (state_ != State::kRecording || !session_->buffering()) return;
  const std::size_t n = server_.recorder.discard_buffer(*session_);
  held_events_ = {};
  log::info(who() + ": replay buffer discarded: " + std::to_string(n) + " frames; buffering goes on");
}

void Connection::mark(const std::string& label) {
  if (state_ != State::kRecording) return;
  ++markers_;
  SessionEvents events;
  events.markers.push_back({session_->record().id, wall_clock_us(), accounted_tick_, frame_on_screen(), label,
                            "receiver-key"});
  log::info(who() + ": marker '" + label + "' at tick " + std::to_string(accounted_tick_));
  emit(std::move(events));
}

// The FRAME's JPEG strips that no rectangle after them touched (each strip's last one), for the
// file as they are. Nothing for a FRAME without strips.
std::shared_ptr<const CodedStrips> Connection::client_strips(const wire::FrameView& frame) {
  const bool any = std::any_of(frame.rects.begin(), frame.rects.end(),
                               [](const wire::RectView& r) { return r.encoding == wire::RectEncoding::kJpegStrip; });
  if (!any) return nullptr;
  const JpegStripGrid grid(frame.width, frame.height);
  auto out = std::make_shared<CodedStrips>();
  out->clear(grid);
  strip_marks_.assign(grid.size(), 0);  // 1: a later rectangle touched it; 2: its strip is taken
  for (auto r = frame.rects.rbegin(); r != frame.rects.rend(); ++r) {
    if (r->encoding != wire::RectEncoding::kJpegStrip)
      grid.mark(r->area(), strip_marks_);
    else if (strip_marks_[r->strip] == 0) {
      strip_marks_[r->strip] = 2;
      out->add(r->strip, r->jpeg);
    }
  }
  return out;
}

void Connection::on_frame_accepted(std::uint64_t seq, std::uint64_t number) {
  if (state_ != State::kRecording) return;
  send(wire::encode(wire::Ack{seq, number, static_cast<std::uint64_t>(session_->stored_tick())}));
  read();  // the next message is read only once this frame had room: backpressure
}

void Connection::stop(wire::StopReason reason) {
  if (state_ == State::kRecording) {
    if (!stop_sent_) {
      stop_sent_ = true;
      send(wire::encode(wire::Stop{reason, reason == wire::StopReason::kUserEnded ? "recording ended at the receiver"
                                                                                  : "receiver shutting down"}));
      arm_deadline(server_.options.stop_timeout, "stop (waiting for the client's BYE)");
    }
  } else if (state_ == State::kPreamble || state_ == State::kAuth || state_ == State::kHello) {
    close();
  }
}

void Connection::fail(const wire::WireError& e) {
  log::info(who() + ": protocol error (" + std::string(wire::to_string(e.code)) + "): " + e.what + "; closing");
  send(wire::encode(wire::Error{e.code, e.what}));
  if (state_ == State::kRecording) return end_session("error", e.what, false);
  close_after_write_ = true;
  if (!writing_) close();
}

void Connection::end_session(const std::string& reason, const std::string& error, bool answer_bye) {
  if (state_ != State::kRecording) return;
  state_ = State::kEnding;
  deadline_.cancel();
  idle_.cancel();
  std::weak_ptr<Connection> weak = shared_from_this();
  auto& io = server_.io;
  const auto id = session_->record().id;
  auto done = [weak, &io, answer_bye, reason, id, session = std::weak_ptr(session_)](std::int64_t stored) {
    const auto writer = session.lock();  // every frame is written by now
    const std::int64_t planes = writer ? writer->coded_from_planes() : 0;
    asio::post(io, [weak, answer_bye, reason, id, stored, planes] {
      auto self = weak.lock();
      log::info("session " + std::to_string(id) + " ended (" + reason + "): " + std::to_string(stored) +
          " frames stored" + (planes ? ", " + std::to_string(planes) + " of them coded from 4:2:0 planes" : ""));
      if (!self) return;
      if (answer_bye) self->send(wire::encode(wire::Bye{static_cast<std::uint64_t>(stored), 0}));
      self->close_after_write_ = true;
      if (!self->writing_) self->close();
    });
  };
  if (session_->buffering()) {  // never saved: nothing of it is written
    const std::size_t n = server_.recorder.discard_buffer(*session_);
    held_events_ = {};
    log::info(who() + ": ended (" + reason + ") without a save: the replay buffer's " + std::to_string(n) +
        " frames are discarded");
    done(0);
  } else {
    session_->close(reason, error, static_cast<std::int64_t>(client_dropped_), std::move(done));
  }
  if (server_.sink) server_.sink->session_ended(id);
}

void Connection::send(std::vector<std::uint8_t> message) {
  if (state_ == State::kClosed) return;
  outbox_.push_back(std::move(message));
  if (!writing_) write_next();
}

void Connection::write_next() {
  if (outbox_.empty()) {
    writing_ = false;
    if (close_after_write_) close();
    return;
  }
  writing_ = true;
  // A peer that stops reading must not hold us (and its session) for ever.
  write_timer_.expires_after(server_.options.write_timeout);
  write_timer_.async_wait([weak = std::weak_ptr<Connection>(shared_from_this())](error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    log::info(self->who() + ": not reading what we send; closing");
    error_code ignored;
    self->stream_.socket().close(ignored);  // fails the pending write, which ends the session
  });
  // Counted as it is handed to the socket: the client can have read no more ACKs than these.
  if (outbox_.front()[0] == static_cast<std::uint8_t>(wire::MessageType::kAck)) ++acks_written_;
  stream_.async_write(asio::buffer(outbox_.front()), [self = shared_from_this()](error_code ec, std::size_t) {
    self->write_timer_.cancel();
    self->outbox_.pop_front();
    if (ec) {
      self->writing_ = false;
      self->outbox_.clear();
      if (self->state_ == State::kRecording) return self->end_session("disconnected", "", false);
      if (self->state_ != State::kEnding || self->close_after_write_) self->close();
      return;
    }
    self->write_next();
  });
}

void Connection::close() {
  if (state_ == State::kClosed) return;
  if (state_ == State::kRecording) return end_session("disconnected", "", false);
  if (state_ == State::kEnding && !close_after_write_) return;  // waiting for the session to be stored
  state_ = State::kClosed;
  error_code ec;
  deadline_.cancel();
  idle_.cancel();
  write_timer_.cancel();
  stream_.close();
  server_.closed(shared_from_this());
}

}  // namespace screenreel::receiver

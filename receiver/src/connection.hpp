// One capture client's connection: handshake, then FRAMEs into its session until BYE, STOP,
// an error or a dropped link. Follows Asio's chat_server shape: kept alive by shared_from_this,
// a read-header -> read-body chain, a timer for deadlines, no blocking calls in handlers.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/transport.hpp"
#include "screenreel/receiver/server.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::receiver {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, ServerContext& server);
  void start();
  // The receiver is ending: ask the client to stop (STOP), and end the session if it does
  // not answer in time.
  void stop(wire::StopReason reason);
  // The session this connection records (0 before HELLO).
  std::int64_t session_id() const;
  // Its client has reconnected and resumes the session: end it here as 'disconnected'.
  void replaced();
  // A marker on this connection's session at the newest tick it has (the receiver's `m` key).
  void mark(const std::string& label);
  // --buffer: writes what the session's replay buffer holds and records normally from then on
  // (SAVE_BUFFER, the receiver's `s` key; `by` says which, for the log). Nothing when not buffering.
  void save_buffer(const std::string& by);
  // --buffer: forgets what the session's replay buffer holds (the receiver's `d` key); it goes on
  // buffering.
  void discard_buffer();
  // The receiver's `p` key: stops storing this session's frames (they are still read and
  // decoded: the next FRAME builds on them), or starts again. The catalog gets a pause and its
  // ticks go to the ledger as `paused`, as with the client's own pause.
  void toggle_pause();
  // Before HELLO was accepted (it counts against --max-pending, not --max-clients).
  bool handshaking() const;
  // Closes a connection still handshaking, to make room for a newer one (ERROR busy).
  void evict();

 private:
  enum class State { kPreamble, kAuth, kHello, kRecording, kEnding, kClosed };

  void read();
  void on_read_error(const boost::system::error_code& ec);
  void on_message(wire::MessageType type);
  void on_hello(const wire::Hello& hello);
  // HELLO with resume fields: the session continued, or nothing when it cannot be (then a new
  // one is started, or the client told to try again: `busy`).
  std::shared_ptr<SessionWriter> try_resume(const wire::Hello& hello, bool& busy);
  void on_frame(const wire::FrameView& frame, std::int64_t receive_us);
  void on_frame_accepted(std::uint64_t seq, std::uint64_t number);
  // Protocol 4's MARKER, PAUSE, RESUME and SKIPPED (schemas/wire-protocol.md, "Markers, pause and
  // the drop ledger"): rows for the catalog.
  void on_event(const wire::Message& m);
  // Protocol 6's WINDOWS (schemas/wire-protocol.md, "Window geometry"): the visible windows'
  // rows for the catalog, compared with the ones this connection holds open.
  void on_windows(const wire::Windows& m);
  // Events for the catalog: held with the replay buffer while the session buffers (the ones in
  // the part saved go to the catalog at the save), to the recorder otherwise.
  void emit(SessionEvents events);
  // The live window's title for the session ("... (replay buffer)" while buffering).
  std::string window_title() const;
  // The drop ledger: ticks up to `tick` - 1 that nobody named go to it with the cause
  // unexplained_cause() gives; then ticks up to `last` are accounted for.
  void account_before(std::int64_t tick, SessionEvents& events);
  std::string unexplained_cause() const;
  // The session's newest frame: the one on screen at the tick of an event, which the client
  // sends after every frame up to that tick. None before the first.
  std::optional<std::int64_t> frame_on_screen() const;
  std::shared_ptr<const CodedStrips> client_strips(const wire::FrameView& frame);
  // Protocol violation: tell the peer why, log it, end the session as 'error'.
  void fail(const wire::WireError& e);
  // Ends the session once its frames are stored; `answer_bye` sends BYE before closing.
  void end_session(const std::string& reason, const std::string& error, bool answer_bye);
  void send(std::vector<std::uint8_t> message);
  void write_next();
  void close();
  void arm_deadline(std::chrono::milliseconds after, const char* what);
  void arm_idle();
  void on_auth(const wire::Auth& auth);
  std::string who() const;

  Transport stream_;
  ServerContext& server_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer idle_;         // recording: no byte from the client for idle_timeout
  std::chrono::steady_clock::time_point idle_deadline_;
  boost::asio::steady_timer write_timer_;  // a write that does not finish in write_timeout
  std::string address_;                    // the peer's IP, for the failure blacklist
  Nonce nonce_{};
  std::string peer_;
  State state_ = State::kPreamble;

  wire::MessageReader reader_;

  std::deque<std::vector<std::uint8_t>> outbox_;
  bool writing_ = false;
  bool close_after_write_ = false;

  std::shared_ptr<SessionWriter> session_;
  NewSession new_session_;      // what HELLO asked for: the session a replay buffer's save makes
  SessionEvents held_events_;   // emit()'s while buffering (ids of the buffering session)
  std::optional<FrameDecoder> decoder_;
  std::vector<PixelRect> changed_;  // the last FRAME's rectangles (a key frame: all of it; reused)
  // Protocol 4: the JPEG strips a client sends (at the recorder's quality) drawn into the frame.
  std::unique_ptr<JpegStripDecoder> strip_decoder_;
  std::vector<JpegStripDecoder::Strip> strips_;  // the run being decoded (reused)
  std::vector<std::uint8_t> strip_marks_;        // one a strip (reused)
  std::uint64_t frames_received_ = 0;
  std::uint64_t acks_written_ = 0;  // ACKs handed to the socket (the client can have read no more)
  std::uint64_t client_dropped_ = 0;
  // The drop ledger (protocol 4): every tick up to accounted_tick_ is a frame or a ledger run.
  std::int64_t accounted_tick_ = 0;
  std::int64_t last_frame_ = 0;        // the session's newest frame number (markers point at it)
  bool stored_here_ = false;           // a frame was stored on this connection
  // Protocol 6: the window rows this connection opened and has not ended, by window id, and the
  // tick of its last WINDOWS (0: none yet, so the next one also ends what earlier ones left open).
  std::map<std::int64_t, WindowRecord> windows_;
  std::int64_t windows_tick_ = 0;
  std::int64_t markers_ = 0;           // markers set on this connection, to number unlabelled ones
  bool paused_here_ = false;  // toggle_pause(): frames are not stored
  bool whole_next_ = false;   // the first frame stored after it: coded whole (the strips are stale)
  bool stop_sent_ = false;
  bool evicted_ = false;
  bool handshaken_ = false;  // the TLS handshake is done (always, without --tls)  // closed to make room (evict): whatever still arrives is ignored
};

}  // namespace screenreel::receiver

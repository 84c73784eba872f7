// The receiver program (see app.hpp): threads, signals and the order things end in.
#include "screenreel/receiver/app.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "screenreel/common/log.hpp"
#include "screenreel/common/address.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/protocol/transport.hpp"
#include "screenreel/receiver/display.hpp"
#include "screenreel/common/terminal_keys.hpp"

#include <cctype>
#include "service_manager.hpp"

namespace screenreel::receiver {
namespace asio = boost::asio;

namespace {
std::string describe(const DiskLimits& l) {
  auto number = [](double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  return "min-free " + std::to_string(l.min_free_bytes >> 20) + " MB, keep-days " +
         (l.retention.keep_days ? number(*l.retention.keep_days) : "none") + ", max-archive-gb " +
         (l.retention.max_archive_gb ? number(*l.retention.max_archive_gb) : "none");
}
}  // namespace

namespace {
asio::ip::tcp::endpoint resolve_listen(asio::io_context& io, const std::string& text) {
  const HostPort hp = parse_host_port(text);
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(hp.host, std::to_string(hp.port), asio::ip::resolver_base::passive, ec);
  if (ec || results.empty()) throw std::runtime_error("cannot resolve --listen " + text + ": " + ec.message());
  return results.begin()->endpoint();
}

// The archive folder made if missing, and checked to be writable by this user before anything
// is written into it: "cannot write to archive DIR (Permission denied)" and what to do.
void prepare_archive_folder(const std::filesystem::path& root) {
  const auto advice = " (choose another with --archive DIR, or fix its permissions)";
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) throw std::runtime_error("cannot create archive " + root.string() + ": " + ec.message() + advice);
  if (::access(root.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error("cannot write to archive " + root.string() + " (" + std::strerror(errno) + ")" + advice);
}
}  // namespace

int run(const ReceiverConfig& config) {
  try {
    asio::io_context io;
    ServerOptions server_options;
    server_options.listen = resolve_listen(io, config.listen);
    server_options.max_in_flight = config.max_in_flight;
    server_options.max_clients = config.max_clients;
    server_options.max_pending = config.max_pending;
    if (!config.tls_cert.empty()) server_options.tls = make_tls_server_context(config.tls_cert, config.tls_key);
    if (!config.token_file.empty()) server_options.token = read_token_file(config.token_file);
    if (!server_options.listen.address().is_loopback() && !server_options.token && !config.insecure_listen)
      throw std::runtime_error("refusing to listen on " + server_options.listen.address().to_string() +
                               " without --token-file: anyone who can reach that address could record into this "
                               "archive. Give --token-file FILE (and the same file to screenreel-capture), or "
                               "--insecure-listen if you really mean it");
    // Listen first: a receiver that cannot listen leaves no archive, lock or reserve behind.
    asio::ip::tcp::acceptor listening = listen_on(io, server_options.listen);

    const ArchivePaths paths(config.archive);
    prepare_archive_folder(paths.root());
    ArchiveLock lock(paths);
    Recorder recorder(paths, config.recorder);
    // A receiver killed while recording left sessions open: they were closed as 'crashed' (and
    // can be resumed by their clients), with the frame files it had written indexed.
    for (const auto& line : recorder.recovered().actions) log::info("recovered: " + line);
    for (const auto& line : recorder.recovered().warnings) log::info("recovery warning: " + line);

    bool show = config.display;
    if (show && !std::getenv("DISPLAY")) {
      log::info("no $DISPLAY: running without the live window (as with --no-display)");
      show = false;
    }
    std::unique_ptr<Display> display;
    if (show) {
      try {
        display = std::make_unique<Display>([&recorder](std::int64_t session, std::uint64_t number, std::int64_t t) {
          recorder.note_displayed(session, number, t);
        });
      } catch (const std::exception& e) {
        log::info(std::string("no live window: ") + e.what() + "; recording without it");
      }
    }
    Server server(io, std::move(listening), recorder, display.get(), server_options);
    if (!server.local_endpoint().address().is_loopback() && !server_options.token)
      log::info("WARNING: listening on " + server.local_endpoint().address().to_string() +
          " without authentication (--insecure-listen): anyone who can reach this port can record into this archive");

    ServiceManager service(io);
    asio::signal_set hangup(io, SIGHUP);
    std::atomic<bool> finished{false};
    bool stopping = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::unique_ptr<TerminalKeys> keys;
    auto request_stop = [&](wire::StopReason reason, const std::string& why) {
      asio::post(io, [&, reason, why] {
        if (stopping) return;
        stopping = true;
        service.stopping();
        log::info(why + ": ending the recording (telling " + std::to_string(server.connection_count()) +
            " client(s) to stop, writing every frame received)");
        server.stop(reason, [&] {
          signals.cancel();
          hangup.cancel();
          if (keys) keys->cancel();
          finished = true;
        });
      });
    };
    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                               int sig) {
      if (ec) return;
      if (stopping) {  // a second Ctrl-C: the user does not want to wait
        log::info("second signal: exiting now; run `screenreel-replay recover` to close the open sessions");
        std::_Exit(130);
      }
      request_stop(wire::StopReason::kShutdown, sig == SIGINT ? "Ctrl-C" : "SIGTERM");
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    // SIGHUP (systemctl reload): the settings read again; what can change while recording does.
    std::string ready_status;
    std::function<void(const boost::system::error_code&, int)> on_hangup = [&](const boost::system::error_code& ec, int) {
      if (ec) return;
      service.reloading();
      try {
        if (config.reload) {
          recorder.set_disk_limits(config.reload());
          log::info("SIGHUP: settings read again: " + describe(recorder.disk_limits()) +
                    " from now on; the other settings take effect at the next start");
        }
      } catch (const std::exception& e) {
        log::error(std::string("SIGHUP: settings left as they were: ") + e.what());
      }
      service.ready(ready_status);
      hangup.async_wait(on_hangup);
    };
    hangup.async_wait(on_hangup);
    // The receiver's keys, the same in a window and on its terminal; run on the io thread.
    const auto on_key = [&](int key, const std::string& where) {
      switch (std::tolower(key)) {
        case 'q': return request_stop(wire::StopReason::kUserEnded, "q pressed " + where);
        case 'm': return server.mark_all();
        case 'p': return server.pause_all();
        case 's': return server.save_all();
        case 'd': return server.discard_all();
        default: return;
      }
    };
    keys = std::make_unique<TerminalKeys>(io, [&](char c) { on_key(c, "on the terminal"); });

    std::ostringstream bound;
    bound << server.local_endpoint();  // the real port, also when --listen asked for port 0
    log::info("listening on " + bound.str() + (server_options.tls ? " (TLS 1.3)" : "") + ", archive " + std::filesystem::absolute(paths.root()).string() +
        (config.recorder.catalog ? ", catalog " + config.recorder.catalog->describe() + " as receiver " +
                                       config.recorder.catalog->receiver
                                 : std::string()) +
        (display ? "; press q in a window or on this terminal, or Ctrl-C, to end; m sets a marker" : "; press q or Ctrl-C to end, m to set a marker") +
        "; p pauses storing and resumes it" + (recorder.buffers() ? "; replay buffer on: s saves it, d discards it" : ""));

    ready_status = "listening on " + bound.str();
    service.ready(ready_status);
    service.start_watchdog();

    std::atomic<bool> net_failed{false};
    std::thread net([&] {
      try {
        io.run();
      } catch (const std::exception& e) {
        log::info(std::string("network thread failed: ") + e.what());
        net_failed = true;
        finished = true;
      }
    });

    bool window_ok = display != nullptr;
    while (!finished) {
      if (window_ok) {
        try {
          if (const int key = display->pump(10); key >= 0)
            asio::post(io, [&on_key, key] { on_key(key, "in the window"); });  // the io thread's
        } catch (const std::exception& e) {
          log::info(std::string("cannot show the live window (") + e.what() + "); recording continues without it");
          window_ok = false;
        }
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    net.join();
    if (window_ok) display->close_all();
    keys.reset();
    if (net_failed) return 1;
    log::info("catalog commits: " + recorder.commit_times().describe());
    log::info("all sessions written; bye");
    return 0;
  } catch (const std::exception& e) {
    log::error(e.what());
    return 1;
  }
}

}  // namespace screenreel::receiver

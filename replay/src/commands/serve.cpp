// screenreel-replay serve: the archive in a browser (sessions, a player, search) and its JSON
// API, served over HTTP/1.1 from replay/src/serve/.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

#include "../serve/http_server.hpp"
#include "../serve/viewer.hpp"
#include "commands.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/address.hpp"
#include "screenreel/common/token_file.hpp"
#include "screenreel/protocol/transport.hpp"
#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay::commands {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The address to listen on: the first one HOST resolves to.
tcp::endpoint listen_endpoint(asio::io_context& io, const std::string& listen) {
  HostPort hp;
  try {
    hp = parse_host_port(listen);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--listen: ") + e.what());
  }
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto found = resolver.resolve(hp.host, std::to_string(hp.port), tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) throw Failure("--listen: cannot resolve " + hp.host + ": " + ec.message());
  return found.begin()->endpoint();
}

std::string url_of(const tcp::endpoint& e, bool tls) {
  const auto a = e.address();
  return std::string(tls ? "https://" : "http://") + (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port()) + "/";
}

int run(CommandLine& cli) {
  po::options_description o = options();
  std::string listen, token_file, tls_cert, tls_key;
  serve::ServerLimits limits;
  int idle_seconds = static_cast<int>(limits.idle_timeout.count());
  o.add_options()("listen", po::value(&listen)->default_value("127.0.0.1:8080")->value_name("HOST:PORT"),
                  "where to listen; port 0 picks a free one. An address other than loopback needs "
                  "--token-file")(
      "token-file", po::value(&token_file)->value_name("FILE"),
      "require this token (the receiver's token file format, at least 16 bytes): browsers log in once "
      "at /login, scripts send 'Authorization: Bearer TOKEN'")(
      "max-clients", po::value(&limits.max_clients)->default_value(limits.max_clients)->value_name("N"),
      "open connections at most; beyond it the one idle longest is closed")(
      "idle-timeout", po::value(&idle_seconds)->default_value(idle_seconds)->value_name("S"),
      "seconds a client has to send a whole request (or to take an answer) before it is disconnected")(
      "tls", "serve HTTPS (TLS 1.3, as the receiver's --tls) with --tls-cert and --tls-key")(
      "tls-cert", po::value(&tls_cert)->value_name("PEM"), "the server's certificate (chain), PEM")(
      "tls-key", po::value(&tls_key)->value_name("PEM"), "the certificate's private key, PEM");
  const auto vm = cli.parse(
      o,
      {"serve [--listen HOST:PORT] [--token-file FILE] [--tls ...] [OPTIONS]",
       "Serves the archive to a web browser: open the printed URL. The sessions page lists every\n"
       "session (newest first, filtered by name) with its first frame, start, duration, frames and\n"
       "status, live ones marked, and searches the text that was on screen (as 'search'), each\n"
       "hit opening the player at that moment. A session's page plays its JPEGs at their recorded\n"
       "timing (space plays and pauses, left/right step a frame, [ and ] change the speed, a click\n"
       "on the timeline seeks) and follows a live session as it is written. The pages use a JSON\n"
       "API that scripts can use too (schemas/http-api.md): /api/sessions, /api/sessions/ID,\n"
       "/api/sessions/ID/frames, /api/frames/ID/NUMBER.jpg, /api/search?q=WORDS.\n"
       "\n"
       "Read-only, and safe while a receiver records into the archive. It listens on loopback by\n"
       "default; any other address needs --token-file, and off loopback --tls keeps the token and\n"
       "the frames private (HTTPS only on that port). A URL never names a file: frames are found\n"
       "through their catalog rows, in their session folder, never through a symbolic link.\n"
       "On a catalog a fleet shares (--catalog) it serves every receiver's sessions, each read\n"
       "from its receiver's archive (the catalog's root, or --archive-root NAME=PATH).\n"
       "Requests are limited to 8 KiB of header in 64 fields and 4 KiB of body. SIGINT or SIGTERM\n"
       "stops it (exit status 0).",
       "  screenreel-replay serve\n"
       "  screenreel-replay --archive /data/rec serve --listen 127.0.0.1:9000\n"
       "  screenreel-replay serve --listen 0.0.0.0:8080 --token-file /etc/screenreel/token \\\n"
       "      --tls --tls-cert cert.pem --tls-key key.pem\n"
       "  curl -H \"Authorization: Bearer $(cat token)\" http://host:8080/api/sessions\n"});
  if (!vm) return 0;
  if (limits.max_clients < 1) throw UsageError("--max-clients must be at least 1");
  if (idle_seconds < 1) throw UsageError("--idle-timeout must be at least 1 second");
  limits.idle_timeout = std::chrono::seconds(idle_seconds);
  const bool tls = vm->count("tls") > 0;
  if (tls && (tls_cert.empty() || tls_key.empty()))
    throw UsageError("--tls needs --tls-cert and --tls-key (a self-signed pair for a test:\n"
                     "  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \\\n"
                     "    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \\\n"
                     "    -keyout key.pem -out cert.pem)");
  if (!tls && (!tls_cert.empty() || !tls_key.empty())) throw UsageError("--tls-cert and --tls-key go with --tls");

  asio::io_context io;
  const tcp::endpoint endpoint = listen_endpoint(io, listen);
  if (!endpoint.address().is_loopback() && token_file.empty())
    throw UsageError("--listen " + listen + " is reachable from other machines: give --token-file FILE too");
  std::optional<std::string> token;
  if (!token_file.empty()) token = read_token_file(token_file);
  std::shared_ptr<asio::ssl::context> tls_context;
  if (tls) {
    try {
      tls_context = make_tls_server_context(tls_cert, tls_key);
    } catch (const std::runtime_error& e) {
      throw Failure(e.what());
    }
  }

  OpenArchive archive(cli);
  serve::Viewer viewer(archive.catalog, archive.paths, cli.catalog(), token, tls);
  serve::HttpServer server(io, endpoint, limits, [&](const serve::Request& r) { return viewer.answer(r); },
                            tls_context);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) server.stop();
  });
  log::info("serving archive " + archive.paths.root().string() + " at " + url_of(server.local_endpoint(), tls) +
            (token ? " (log in with the token)" : ""));
  io.run();
  // One line: what a stop leaves undone is said with it.
  const auto stopped = viewer.stop_exports();
  log::info(stopped ? "stopped; export " + std::to_string(stopped->job) + " (session " +
                          std::to_string(stopped->session) + ") was cut short and its file removed"
                    : std::string("stopped"));
  return 0;
}

}  // namespace

const Command kServe{"serve", {{"serve [--listen HOST:PORT]", "the archive in a web browser, and its JSON API"}}, run};

}  // namespace screenreel::replay::commands

// screenreel-receiver: receives screen streams from screenreel-capture clients, shows them live
// and records each as numbered JPEGs indexed in the archive's SQLite catalog.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/ocr/engine.hpp"
#include "screenreel/protocol/wire.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/options.hpp"
#include "screenreel/receiver/app.hpp"

namespace po = boost::program_options;

namespace {

const std::string kConfigFile = "/etc/screenreel/receiver.conf";

// What the command line and the configuration file set, before it is checked (finish).
struct Settings {
  screenreel::receiver::ReceiverConfig config;
  std::string archive, token_file, tls_cert, tls_key;
  std::string catalog, receiver_name;
  std::uint64_t min_free_mb = 200;
  double ocr_interval = 1.0;
  std::string log_format = "text";
  std::uint64_t catalog_journal_mb = 256;
};

// The receiver's options, written into `s` when parsed.
po::options_description options_for(Settings& s) {
  po::options_description opts = screenreel::options::table(
      "Usage: screenreel-receiver [OPTIONS]\n\n"
      "Receives screen streams from screenreel-capture clients (one session each), shows each in a\n"
      "window titled \"Received Video Stream - NAME (session N)\", and records every frame as\n"
      "ARCHIVE/sessions/<folder>/frame_000001.jpg, ... indexed in ARCHIVE/catalog.db (SQLite).\n"
      "Ends on q (in a window or on this terminal), Ctrl-C or SIGTERM: clients are told to stop,\n"
      "every frame already received is written, the sessions are marked ended, exit status 0.\n"
      "m (in a window or on this terminal) sets a marker on every session recording; p pauses\n"
      "storing them (frames still arrive, none is stored, the catalog has the pause) and resumes it;\n"
      "a paused session shows \"- paused\" in its window's title.\n"
      "With --buffer (a replay buffer), sessions are kept in memory and written only when saved: s\n"
      "(in a window or on this terminal) or the capture client's s saves every session's buffer and\n"
      "records on normally; d discards what the buffers hold; a session that ends unsaved writes\n"
      "nothing.\n\n"
      "Options");
  // clang-format off
  opts.add_options()
    ("listen", po::value(&s.config.listen)->default_value(s.config.listen)->value_name("HOST:PORT"),
     "address to accept capture clients on ([::1]:5000 for IPv6; port 0: any free port, logged). "
     "Anything but loopback needs --token-file (or --insecure-listen)")
    ("token-file", po::value(&s.token_file)->value_name("FILE"),
     "require clients to prove they know the token in FILE (HMAC-SHA256 challenge); make one with "
     "head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE")
    ("insecure-listen", "allow listening on a non-loopback address without --token-file")
    ("tls", "encrypt every connection with TLS 1.3 (needs --tls-cert and --tls-key)")
    ("tls-cert", po::value(&s.tls_cert)->value_name("PEM"), "the receiver's certificate (chain), PEM")
    ("tls-key", po::value(&s.tls_key)->value_name("PEM"), "the certificate's private key, PEM")
    ("archive", po::value(&s.archive)->value_name("DIR"),
     "archive folder (created if missing); default $SCREENREEL_ARCHIVE, else ./recordings")
    ("no-display", "no live window (servers, CI); still ends on terminal q, Ctrl-C, SIGTERM")
    ("catalog", po::value(&s.catalog)->value_name("URL"),
     "the catalog a fleet of receivers shares: a PostgreSQL address (postgresql://USER@HOST/DB, or "
     "any libpq connection string, its password best in ~/.pgpass); default $SCREENREEL_CATALOG, else "
     "the archive's own catalog.db (SQLite)")
    ("receiver-name", po::value(&s.receiver_name)->value_name("NAME"),
     "this receiver's name in a shared --catalog, stored on every session it records with its "
     "archive folder; default the host name")
    ("catalog-journal-mb", po::value(&s.catalog_journal_mb)->default_value(s.catalog_journal_mb)->value_name("MB"),
     "with a PostgreSQL --catalog: while the database does not answer, recording goes on and the "
     "catalog rows wait in ARCHIVE/catalog-journal (at most MB), written in order when it answers "
     "again; new sessions are refused meanwhile. When the journal is full, the sessions recording "
     "stop with an error: every frame already acknowledged is kept, and clients keep the rest in "
     "their spools and send it when they can resume")
    ("quality", po::value(&s.config.recorder.jpeg_quality)->default_value(90)->value_name("1-100"), "JPEG quality")
    ("encoder-threads", po::value(&s.config.recorder.encoder_threads)->default_value(0, "auto")->value_name("N"),
     "JPEG encoder threads; auto (0): one per core")
    ("queue-frames", po::value(&s.config.recorder.queue_frames)->default_value(0, "auto")->value_name("N"),
     "frames waiting for the encoders before clients are slowed down; auto (0): 2 per encoder thread")
    ("min-free", po::value(&s.min_free_mb)->default_value(200)->value_name("MB"),
     "stop a session (with an error, everything written so far kept) when the archive's disk has "
     "less free space than this; new sessions are refused until there is more. With --keep-days or "
     "--max-archive-gb, the oldest ended sessions are deleted first to make room")
    ("keep-days", po::value<double>()->value_name("DAYS"),
     "retention: delete sessions that ended more than DAYS ago (oldest first; never one recording "
     "or kept with 'screenreel-replay keep'); checked every 2 s")
    ("max-archive-gb", po::value<double>()->value_name("GB"),
     "retention: delete the oldest ended sessions while the archive's frames take more than GB "
     "(10^9 bytes); 'screenreel-replay prune --dry-run' shows what that would delete now")
    ("max-clients", po::value(&s.config.max_clients)->default_value(64)->value_name("N"),
     "sessions recording at once; a client beyond them is told the receiver is busy")
    ("max-pending", po::value(&s.config.max_pending)->default_value(64)->value_name("N"),
     "connections still handshaking (not yet authenticated) at once; a new one closes the oldest, "
     "so idle connections cannot lock out a client with the token")
    ("max-in-flight", po::value(&s.config.max_in_flight)->default_value(8)->value_name("N"),
     "frames a client may send ahead of the receiver's acknowledgements")
    ("buffer", po::value<double>()->value_name("SECONDS"),
     "replay buffer: keep each new session in memory, not in the archive, holding the frames of the "
     "last SECONDS (the JPEGs it would write); s saves them (numbered from 1, their original times) "
     "and recording goes on normally; a session that ends unsaved, or d, writes nothing. Frames "
     "older than SECONDS, or past --buffer-mb, leave the buffer oldest first (in a saved session's "
     "drop ledger their ticks are 'unknown')")
    ("buffer-mb", po::value<std::uint64_t>()->value_name("MB"),
     "the most memory a session's replay buffer takes (default 256 with --buffer; alone: a replay "
     "buffer bounded by memory only); past it the oldest frames go")
    ("ocr", "read the text on screen into the catalog's text index (Tesseract on one "
     "low-priority thread, only the regions that changed since its last pass); find it with "
     "screenreel-replay search. Off by default: on a screen that changes all over it takes up "
     "to a core")
    ("ocr-lang", po::value(&s.config.recorder.ocr.lang)->default_value("eng")->value_name("LANG"),
     "Tesseract language(s) for --ocr, e.g. eng, deu, eng+fra (package tesseract-ocr-LANG)")
    ("ocr-interval", po::value(&s.ocr_interval)->default_value(1.0)->value_name("SECONDS"),
     "at most one OCR pass a session this often; changes in between are merged into the next")
    ("print-key", "print the public key (PEM) of the archive's signing key, made on first use, and exit: "
     "keep it apart from the archive to check recordings with 'screenreel-replay verify --integrity --key'")
    ("log-format", po::value(&s.log_format)->default_value(s.log_format)->value_name("text|json"),
     "text: a line each, starting with its local time (ISO 8601, milliseconds; under journald the "
     "syslog level instead, the journal keeps the time); json: one object a line with time, level, "
     "program, session and event, for log shippers")
    ("version", "print the version and exit")
    ("help,h", "print this help and exit");
  // clang-format on
  screenreel::options::add_config_options(opts, kConfigFile);
  return opts;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !*name) return "receiver";
  return name;
}

// Checks the settings and completes s.config from them; a message for the user (a bad command
// line or configuration file) when one is out of range.
std::optional<std::string> finish(Settings& s, const po::variables_map& vm) {
  if (s.log_format != "text" && s.log_format != "json") return std::string("--log-format must be text or json");
  if (s.config.max_in_flight < 1) {
    return std::string("--max-in-flight must be 1 or more");
  }
  if (s.config.recorder.jpeg_quality < 1 || s.config.recorder.jpeg_quality > 100) {
    return std::string("--quality must be 1 to 100");
  }
  if (s.catalog_journal_mb < 1 || s.catalog_journal_mb > (1u << 20)) {
    return std::string("--catalog-journal-mb must be 1 to 1048576");
  }
  if (s.ocr_interval < 0.05 || s.ocr_interval > 3600) {
    return std::string("--ocr-interval must be 0.05 to 3600 seconds");
  }
  if (vm.count("keep-days")) s.config.recorder.retention.keep_days = vm["keep-days"].as<double>();
  if (vm.count("max-archive-gb")) s.config.recorder.retention.max_archive_gb = vm["max-archive-gb"].as<double>();
  if ((s.config.recorder.retention.keep_days && *s.config.recorder.retention.keep_days <= 0) ||
      (s.config.recorder.retention.max_archive_gb && *s.config.recorder.retention.max_archive_gb <= 0)) {
    return std::string("--keep-days and --max-archive-gb must be more than 0");
  }
  s.config.recorder.ocr.enabled = vm.count("ocr") > 0;
  s.config.recorder.ocr.interval_us = static_cast<std::int64_t>(s.ocr_interval * 1e6);
  s.config.archive = s.archive.empty() ? screenreel::default_archive_dir() : std::filesystem::path(s.archive);
  if (const char* env = std::getenv("SCREENREEL_CATALOG"); s.catalog.empty() && env) s.catalog = env;
  if (!s.catalog.empty()) {
    try {
      auto where = screenreel::CatalogLocation::parse(s.catalog, screenreel::ArchivePaths(s.config.archive).catalog());
      where.receiver = s.receiver_name.empty() ? host_name() : s.receiver_name;
      where.archive_root = std::filesystem::absolute(s.config.archive);
      s.config.recorder.catalog = where;
      s.config.recorder.catalog_journal_bytes = s.catalog_journal_mb << 20;
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  } else if (!s.receiver_name.empty()) {
    return std::string("--receiver-name goes with --catalog (a catalog shared by several receivers)");
  }
  s.config.display = !vm.count("no-display");
  s.config.token_file = s.token_file;
  s.config.recorder.min_free_bytes = s.min_free_mb << 20;
  if (vm.count("buffer")) {
    const double seconds = vm["buffer"].as<double>();
    if (!(seconds > 0 && seconds <= 86'400)) return std::string("--buffer takes SECONDS from 0 to 86400, e.g. --buffer 60");
    s.config.recorder.buffer.keep_us = static_cast<std::int64_t>(seconds * 1e6);
    s.config.recorder.buffer.max_bytes = 256ull << 20;
  }
  if (vm.count("buffer-mb")) {
    const std::uint64_t mb = vm["buffer-mb"].as<std::uint64_t>();
    if (mb == 0 || mb > (1u << 20)) return std::string("--buffer-mb takes MB from 1 to 1048576");
    s.config.recorder.buffer.max_bytes = mb << 20;
  }
  // A benchmark hook, not an option: the chain's cost measured against none (RecorderOptions::chain).
  s.config.recorder.chain = std::getenv("SCREENREEL_BENCH_NO_CHAIN") == nullptr;
  if (vm.count("tls") && (s.tls_cert.empty() || s.tls_key.empty())) {
    return std::string("--tls needs --tls-cert and --tls-key (a self-signed pair for a test:\n"
                       "  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \\\n"
                       "    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \\\n"
                       "    -keyout key.pem -out cert.pem)");
  }
  if (!vm.count("tls") && (!s.tls_cert.empty() || !s.tls_key.empty())) {
    return std::string("--tls-cert and --tls-key go with --tls");
  }
  s.config.tls_cert = s.tls_cert;
  s.config.tls_key = s.tls_key;
  s.config.insecure_listen = vm.count("insecure-listen") > 0;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  screenreel::log::set_program("screenreel-receiver");
  Settings s;
  po::options_description opts = options_for(s);
  screenreel::options::Origins origins;
  po::variables_map vm;
  try {
    vm = screenreel::options::parse_with_config(argc, argv, opts, kConfigFile, &origins);
  } catch (const po::error& e) {
    std::cerr << "screenreel-receiver: " << e.what() << "\nTry 'screenreel-receiver --help'.\n";
    return 2;
  }
  if (vm.count("help")) {
    screenreel::options::print_help(std::cout, opts);
    std::cout << "\nExamples:\n"
              << "  screenreel-receiver                       # listen on 127.0.0.1:5000, window on\n"
              << "  screenreel-receiver --no-display --archive /data/rec --listen 127.0.0.1:6000\n"
              << "  screenreel-replay list                    # what was recorded\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "screenreel-receiver " SCREENREEL_VERSION ", wire protocol " << screenreel::wire::kVersion << " (speaks "
              << screenreel::wire::kMinVersion << " to " << screenreel::wire::kVersion << "), catalog schema "
              << screenreel::kCatalogSchemaVersion << "\n";
    return 0;
  }
  if (vm.count("print-config")) {
    screenreel::options::print_config(std::cout, "screenreel-receiver", opts, vm, origins);
    return 0;
  }
  if (vm.count("print-key")) {
    try {
      const screenreel::ArchivePaths paths(s.archive.empty() ? screenreel::default_archive_dir() : std::filesystem::path(s.archive));
      std::filesystem::create_directories(paths.root());
      std::cout << screenreel::SigningKey::load_or_create(paths.signing_key()).public_key_pem();
    } catch (const std::exception& e) {
      std::cerr << "screenreel-receiver: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  if (const auto bad = finish(s, vm)) {
    std::cerr << "screenreel-receiver: " << *bad << "\n";
    return 2;
  }
  screenreel::log::set_format(s.log_format == "json" ? screenreel::log::Format::kJson : screenreel::log::Format::kText,
                              true);
  // Before any thread exists: Tesseract's OpenMP threads are limited at program start.
  if (s.config.recorder.ocr.enabled) screenreel::ocr::limit_openmp_threads(argv);
  // SIGHUP: the command line and the configuration file read again, for the disk limits.
  s.config.reload = [argc, argv] {
    Settings again;
    const po::options_description table = options_for(again);
    const po::variables_map vm = screenreel::options::parse_with_config(argc, argv, table, kConfigFile);
    if (const auto bad = finish(again, vm)) throw std::runtime_error(*bad);
    return screenreel::receiver::DiskLimits{again.config.recorder.min_free_bytes, again.config.recorder.retention};
  };
  return screenreel::receiver::run(s.config);
}

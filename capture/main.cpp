// screenreel-capture: grabs the screen (X11 with MIT-SHM, or Wayland through the ScreenCast
// portal and PipeWire) or a test pattern on a steady clock and
// streams the changed parts, LZ4-compressed, to a screenreel-receiver.
#include <boost/program_options.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "screenreel/protocol/auth.hpp"
#include "screenreel/capture/client.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/options.hpp"
#include "screenreel/capture/source.hpp"
#include "screenreel/protocol/wire.hpp"

namespace po = boost::program_options;

namespace {
// $XDG_CONFIG_HOME/screenreel/capture.conf, else ~/.config/screenreel/capture.conf.
std::filesystem::path user_config_file() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/')
    return std::filesystem::path(xdg) / "screenreel" / "capture.conf";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".config" / "screenreel" / "capture.conf";
  return {};
}
}  // namespace

int main(int argc, char** argv) {
  screenreel::log::set_program("screenreel-capture");
  screenreel::capture::CaptureConfig config;
  std::string size = "1280x720", token_file, wire, wire_pixels;
  std::vector<std::string> exclude_regions;
  po::options_description opts = screenreel::options::table(
      "Usage: screenreel-capture [OPTIONS]\n\n"
      "Captures the screen and streams it to a screenreel-receiver, which records it as a session.\n"
      "Only the 64x64 tiles that changed are sent (LZ4), or, on a link too thin for them, the\n"
      "changed JPEG strips (--wire); an unchanged screen sends nothing.\n"
      "Ends after --duration or --max-frames, on Ctrl-C / SIGTERM, or when the receiver stops the\n"
      "recording (q there); then prints a one-line summary and exits 0.\n"
      "While it records: m on its terminal or SIGUSR1 sets a marker (screenreel-replay markers\n"
      "lists them); p or SIGUSR2 pauses capture (nothing is read, sent or stored; the session\n"
      "records the pause) and resumes it; s asks a receiver with a replay buffer (its --buffer) to\n"
      "save it. Markers, pauses and saves need a receiver of protocol 4.\n\n"
      "Options");
  // clang-format off
  opts.add_options()
    ("connect", po::value(&config.connect)->default_value(config.connect)->value_name("HOST:PORT"),
     "the receiver's address")
    ("fps", po::value(&config.fps)->default_value(30)->value_name("N"),
     "capture rate; frames are taken on a steady clock (1 to 240)")
    ("display", po::value(&config.source.display)->value_name(":N"), "X display to capture; default $DISPLAY")
    ("source", po::value(&config.source.kind)->default_value("auto")->value_name("auto|x11|pipewire|test-pattern"),
     "auto: pipewire in a Wayland session (XDG_SESSION_TYPE=wayland or $WAYLAND_DISPLAY set) and no --display, x11 otherwise; x11: the X screen (MIT-SHM, falls back to GetImage; with X DAMAGE a still screen is not read or compared; a RandR resize is followed); pipewire: a Wayland desktop through xdg-desktop-portal's ScreenCast and PipeWire (the first run may show the desktop's dialog; the choice is kept in $XDG_STATE_HOME/screenreel/ for the next runs); test-pattern: a deterministic moving picture, for demos and tests without a screen")
    ("size", po::value(&size)->default_value(size)->value_name("WxH"), "test-pattern only: frame size")
    ("region", po::value(&config.source.region)->value_name("X,Y,W,H"),
     "record only this rectangle of the screen: its top left corner and size, in pixels; if the screen is resized, what is outside it is black (all outside: the recording ends)")
    ("monitor", po::value(&config.source.monitor)->value_name("N|NAME|ask"),
     "record one monitor (RandR), by its number or name in --list-monitors; followed by name when the screen is reconfigured (gone: the recording ends). pipewire: 'ask' (the default) asks the portal for a monitor, which the desktop's dialog chooses")
    ("window", po::value(&config.source.window)->value_name("ID|TITLE|ask"),
     "record one window's area, following it when it moves: its id (0x1a00003, from xwininfo or xdotool search --name) or part of its title; the recording ends when it closes. pipewire: 'ask' asks the portal for a window, where it offers them (the dialog chooses)")
    ("exclude-window", po::value(&config.exclusions.windows)->composing()->value_name("ID|TITLE"),
     "black out this window in every frame, following it as it moves and resizes, before anything is compared, sent or stored (its pixels never leave this machine): its id or part of its title, as --window; repeatable. x11 only")
    ("exclude-region", po::value(&exclude_regions)->composing()->value_name("X,Y,W,H"),
     "black out this rectangle of the screen (screen pixels, as --region) in every frame; repeatable")
    ("no-cursor", "leave the mouse pointer out of the frames (default: drawn in, through XFixes or the portal's embedded cursor)")
    ("list-monitors", "print the X display's monitors (number, name, geometry, primary) and exit")
    ("name", po::value(&config.name)->value_name("LABEL"), "session label stored in the catalog (default: the host's name and the local start time, myhost-2026-12-05-1405)")
    ("duration", po::value(&config.duration_s)->default_value(0, "none")->value_name("SECONDS"), "stop after this long; none (0): until stopped")
    ("max-frames", po::value(&config.max_frames)->default_value(0, "none")->value_name("N"), "stop after sending N frames; none (0): no limit")
    ("every-frame", "send a frame every tick, even when nothing changed")
    ("wire", po::value(&wire)->default_value("auto")->value_name("auto|lossless|jpeg"),
     "how changed pixels travel: lossless (LZ4 tiles, the screen's exact pixels), jpeg (the changed 16-row JPEG strips, coded at the receiver's --quality as it would store them: no second loss), or auto: lossless while the link (its delivery rate as the kernel measures it) carries the changes at --fps; for the frames it does not, a picture's blocks (a video window's) as JPEG strips until the frame fits, text's lossless; and fewer frames only when even those do not fit; frames waiting on a slow or stopped receiver go into the spool, as with lossless. JPEG strips need a receiver of protocol 4; an older one gets lossless tiles")
    ("wire-pixels", po::value(&wire_pixels)->default_value("bgrx")->value_name("bgrx|yuv420"),
     "what the changed tiles' pixels travel as: bgrx (the screen's exact pixels) or yuv420 (the 4:2:0 planes the archive's JPEGs keep of them, with the JPEG's own colour conversion: 2.7 times fewer bytes before LZ4; the receiver codes the stored JPEGs from the planes: those bgrx gives, byte for byte at a width that is a multiple of 16; the live window and OCR see the planes converted back). yuv420 needs a receiver of protocol 5; an older one gets bgrx")
    ("no-window-list", "do not send the top-level windows' places and titles (X11: sent at the start and when they change, so that screenreel-replay export --redact-window can black a window out; needs a receiver of protocol 6)")
    ("no-copies", "send scrolled or moved content as changed tiles, not as copies of the previous frame (copies need a receiver of protocol 3; a protocol-2 receiver never gets them)")
    ("key-interval", po::value(&config.key_interval_s)->default_value(10)->value_name("SECONDS"),
     "send the whole frame (not only changed tiles) at least this often, when the screen changes")
    ("token-file", po::value(&token_file)->value_name("FILE"),
     "the receiver's token file, for a receiver started with --token-file")
    ("tls", "connect with TLS 1.3 (to a receiver started with --tls); the receiver's certificate is checked against --tls-ca (or the system's CAs) and the host name of --connect")
    ("tls-ca", po::value(&config.tls_ca)->value_name("PEM"), "CA certificate(s) to trust; for a self-signed receiver, its certificate")
    ("tls-fingerprint", po::value(&config.tls_fingerprint)->value_name("SHA256"),
     "instead: accept exactly the certificate with this SHA-256 (hex; print it with openssl x509 -in cert.pem -noout -fingerprint -sha256)")
    ("spool-mb", po::value(&config.spool_mb)->default_value(config.spool_mb)->value_name("MB"),
     "frames kept until the receiver has stored them, and captured while it is unreachable, up to this much memory; when full, the oldest changes are dropped (counted as lost)")
    ("no-reconnect", "end with an error when the connection to the receiver breaks, instead of reconnecting (backoff 1 s, x1.6 a try, at most 30 s) and resuming the session")
    ("retry-for", po::value(&config.retry_for_s)->default_value(0, "forever")->value_name("SECONDS"),
     "give up reconnecting after this long; forever (0): keep trying until Ctrl-C")
    ("stats", "print the status line (time recorded, frames stored, fps, bandwidth, capture-to-ACK latency, drops) once a second also when stderr is no terminal (as log lines) and with --quiet; on a terminal it shows anyway, updated in place")
    ("hotkey-marker", po::value(&config.hotkey_marker)->default_value(config.hotkey_marker)->value_name("KEYS"),
     "global hotkey (on the X display, whichever window has the focus) that sets a marker, like m; none: no hotkey")
    ("hotkey-pause", po::value(&config.hotkey_pause)->default_value(config.hotkey_pause)->value_name("KEYS"),
     "global hotkey that pauses and resumes capture, like p; none: no hotkey")
    ("hotkey-save", po::value(&config.hotkey_save)->default_value(config.hotkey_save)->value_name("KEYS"),
     "global hotkey that asks the receiver to save its replay buffer, like s; none: no hotkey. KEYS: "
     "modifiers (ctrl, alt, shift, super) and one key (a-z, 0-9, f1-f24, space, ...) joined by '+'. "
     "A hotkey another program holds is reported and left out")
    ("quiet,q", "print only the summary (no status line, no notices)")
    ("version", "print the version and exit")
    ("help,h", "print this help and exit");
  // clang-format on
  screenreel::options::add_config_options(opts, "$XDG_CONFIG_HOME/screenreel/capture.conf (~/.config/...)");
  screenreel::options::Origins origins;
  po::variables_map vm;
  try {
    vm = screenreel::options::parse_with_config(argc, argv, opts, user_config_file(), &origins);
    if (config.fps < 1 || config.fps > static_cast<double>(screenreel::wire::kMaxFps))
      throw po::error("--fps must be between 1 and 240");
    if (config.duration_s < 0) throw po::error("--duration must not be negative");
    if (config.retry_for_s < 0) throw po::error("--retry-for must not be negative");
    if (const std::string bad = screenreel::capture::check_hotkey_options(config); !bad.empty()) throw po::error(bad);
    if (config.spool_mb < 16 || config.spool_mb > (1u << 20))
      throw po::error("--spool-mb must be between 16 and 1048576 (it must hold a few whole frames)");
    unsigned w = 0, h = 0;
    char x = 0;
    if (std::sscanf(size.c_str(), "%u%c%u", &w, &x, &h) != 3 || x != 'x' || w < 16 || h < 16 || w > 8192 || h > 8192)
      throw po::error("--size must be WxH, 16 to 8192 each (for example 1920x1080)");
    for (const std::string& spec : exclude_regions) {
      const auto r = screenreel::capture::parse_rect_spec(spec);
      if (!r || r->w <= 0 || r->h <= 0)
        throw po::error("--exclude-region " + spec +
                        ": want X,Y,W,H in screen pixels, for example 0,0,400,300 (the top left corner, then a "
                        "positive width and height)");
      config.exclusions.regions.push_back(*r);
    }
    config.source.width = w;
    config.source.height = h;
    const int areas = vm.count("region") + vm.count("monitor") + vm.count("window");
    if (areas > 1) throw po::error("give only one of --region, --monitor and --window");
    if (areas > 0 && config.source.kind == "test-pattern")
      throw po::error("--region, --monitor and --window go with --source x11 or pipewire");
  } catch (const po::error& e) {
    std::cerr << "screenreel-capture: " << e.what() << "\nTry 'screenreel-capture --help'.\n";
    return 2;
  }
  if (vm.count("help")) {
    screenreel::options::print_help(std::cout, opts);
    std::cout << "\nExamples:\n"
              << "  screenreel-capture                                # this screen, 30 fps, to 127.0.0.1:5000\n"
              << "  screenreel-capture --fps 60 --name standup --duration 600\n"
              << "  screenreel-capture --source test-pattern --size 1920x1080 --max-frames 300\n"
              << "  screenreel-capture --region 0,0,1280,720 --no-cursor\n"
              << "  screenreel-capture --list-monitors; screenreel-capture --monitor HDMI-1\n"
              << "  screenreel-capture --window \"Mozilla Firefox\"      # until that window closes\n"
              << "  screenreel-capture --exclude-window KeePassXC   # that window is black in every frame\n"
              << "  screenreel-capture --source pipewire --window ask  # Wayland: the desktop asks which window\n"
              << "\nEnvironment:\n"
              << "  SCREENREEL_NO_SHM=1     read the screen with GetImage, not MIT-SHM\n"
              << "  SCREENREEL_NO_DAMAGE=1  read and compare every frame whole (no X DAMAGE gate)\n"
              << "  XDG_STATE_HOME          where the portal's restore token is kept (default ~/.local/state)\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "screenreel-capture " SCREENREEL_VERSION ", wire protocol " << screenreel::wire::kVersion << " (speaks "
              << screenreel::wire::kMinVersion << " to " << screenreel::wire::kVersion << ")\n";
    return 0;
  }
  if (vm.count("print-config")) {
    screenreel::options::print_config(std::cout, "screenreel-capture", opts, vm, origins);
    return 0;
  }
  if (vm.count("list-monitors")) {
    try {
      std::cout << screenreel::capture::format_monitors(
          screenreel::capture::list_x11_monitors(config.source.display));
    } catch (const std::exception& e) {
      std::cerr << "screenreel-capture: error: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  config.source.fps = config.fps;
  config.source.cursor = vm.count("no-cursor") == 0;
  config.every_frame = vm.count("every-frame") > 0;
  config.copies = vm.count("no-copies") == 0;
  config.window_list = vm.count("no-window-list") == 0;
  if (wire == "auto") config.wire = screenreel::capture::WireMode::kAuto;
  else if (wire == "lossless") config.wire = screenreel::capture::WireMode::kLossless;
  else if (wire == "jpeg") config.wire = screenreel::capture::WireMode::kJpeg;
  else {
    std::cerr << "screenreel-capture: --wire " << wire << ": expected auto, lossless or jpeg\n";
    return 2;
  }
  if (wire_pixels == "bgrx") config.wire_pixels = screenreel::capture::WirePixels::kBgrx;
  else if (wire_pixels == "yuv420") config.wire_pixels = screenreel::capture::WirePixels::kYuv420;
  else {
    std::cerr << "screenreel-capture: --wire-pixels " << wire_pixels << ": expected bgrx or yuv420\n";
    return 2;
  }
  config.quiet = vm.count("quiet") > 0;
  config.stats = vm.count("stats") > 0;
  config.tls = vm.count("tls") > 0;
  config.reconnect = vm.count("no-reconnect") == 0;
  if (!config.tls && (!config.tls_ca.empty() || !config.tls_fingerprint.empty())) {
    std::cerr << "screenreel-capture: --tls-ca and --tls-fingerprint go with --tls\n";
    return 2;
  }
  if (!token_file.empty()) {
    try {
      config.token = screenreel::read_token_file(token_file);
    } catch (const std::exception& e) {
      std::cerr << "screenreel-capture: error: " << e.what() << "\n";
      return 1;
    }
  }
  if (config.name.empty()) {
    // The host and the local start time (myhost-2026-12-05-1405): sessions recorded without
    // --name are told apart, and each name says where and when.
    char host[256] = {};
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char started[32] = {};
    std::strftime(started, sizeof started, "-%Y-%m-%d-%H%M", &local);
    config.name = std::string(gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "screen") + started;
  }
  return screenreel::capture::run(config);
}

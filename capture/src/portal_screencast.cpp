// The ScreenCast portal handshake through libportal (portal_screencast.hpp). libportal's calls
// are asynchronous on a GLib main context; the handshake runs them on a private one and iterates
// it until each answers, so nothing else in the program needs GLib.
#include "portal_screencast.hpp"

#include <gio/gio.h>
#include <libportal/portal.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>

#include "restore_token.hpp"
#include "screenreel/common/log.hpp"

namespace screenreel::capture {
namespace {

constexpr const char* kPortalBus = "org.freedesktop.portal.Desktop";
constexpr const char* kPortalPath = "/org/freedesktop/portal/desktop";
constexpr const char* kScreenCast = "org.freedesktop.portal.ScreenCast";
constexpr std::uint32_t kPersistUntilRevoked = 2;  // persist_mode 2, ScreenCast version 4
constexpr std::uint32_t kFirstPersistVersion = 4;

struct ErrorFree {
  void operator()(GError* e) const { g_error_free(e); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
struct VariantUnref {
  void operator()(GVariant* v) const { g_variant_unref(v); }
};
using VariantPtr = std::unique_ptr<GVariant, VariantUnref>;

std::runtime_error fail(const std::string& line) { return std::runtime_error(line); }

// What the portal says of itself: its ScreenCast version and what it offers.
struct PortalOffer {
  std::uint32_t version = 0;
  std::uint32_t source_types = 0;  // XdpOutputType bits
  std::uint32_t cursor_modes = 0;  // XdpCursorMode bits
};

PortalOffer ask_portal(GDBusConnection* bus) {
  GError* raw = nullptr;
  VariantPtr reply(g_dbus_connection_call_sync(
      bus, kPortalBus, kPortalPath, "org.freedesktop.DBus.Properties", "GetAll",
      g_variant_new("(s)", kScreenCast), G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 25000,
      nullptr, &raw));
  ErrorPtr err(raw);
  if (!reply) {
    const bool absent = g_error_matches(err.get(), G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
                        g_error_matches(err.get(), G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
    if (absent)
      throw fail("no xdg-desktop-portal on the D-Bus session bus: install xdg-desktop-portal and "
                 "your desktop's backend (xdg-desktop-portal-gnome, -kde or -wlr), or record an X "
                 "server with --source x11");
    throw fail(std::string("cannot ask the desktop portal for screen casting (") + err->message +
               "): is xdg-desktop-portal running? Or record an X server with --source x11");
  }
  PortalOffer offer;
  VariantPtr props(g_variant_get_child_value(reply.get(), 0));
  g_variant_lookup(props.get(), "version", "u", &offer.version);
  g_variant_lookup(props.get(), "AvailableSourceTypes", "u", &offer.source_types);
  g_variant_lookup(props.get(), "AvailableCursorModes", "u", &offer.cursor_modes);
  if (offer.version == 0)
    throw fail("the desktop portal has no ScreenCast interface: install your desktop's portal "
               "backend (xdg-desktop-portal-gnome, -kde or -wlr) and log in again");
  return offer;
}

}  // namespace

struct PortalScreenCast::Glib {
  GMainContext* context = g_main_context_new();
  XdpPortal* portal = nullptr;
  XdpSession* session = nullptr;
  // The answers of the two asynchronous calls.
  bool created = false, started = false;
  GError* create_error = nullptr;
  GError* start_error = nullptr;

  ~Glib() {
    if (session) {
      xdp_session_close(session);
      g_object_unref(session);
    }
    if (portal) g_object_unref(portal);
    while (g_main_context_iteration(context, FALSE)) {
    }
    g_main_context_unref(context);
  }

  // Iterates the private context until `done`.
  template <typename Done>
  void wait(const Done& done) {
    while (!done()) g_main_context_iteration(context, TRUE);
  }
};

PortalScreenCast::PortalScreenCast(const PortalRequest& request) : glib_(std::make_unique<Glib>()) {
  GError* raw = nullptr;
  GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr, &raw);
  ErrorPtr err(raw);
  if (!bus)
    throw fail(std::string("no D-Bus session bus (") + err->message +
               "): --source pipewire runs inside a desktop session; run it from a terminal there, "
               "or record an X server with --source x11");
  const PortalOffer offer = ask_portal(bus);
  g_object_unref(bus);  // libportal takes the same shared connection again

  kind_ = request.window ? "window" : "monitor";
  const std::uint32_t wanted = request.window ? XDP_OUTPUT_WINDOW : XDP_OUTPUT_MONITOR;
  if ((offer.source_types & wanted) == 0)
    throw fail("the desktop portal offers no " + kind_ + " sources to record (AvailableSourceTypes " +
               std::to_string(offer.source_types) + ")" +
               (request.window ? ": leave out --window to record a monitor" : ""));
  XdpCursorMode cursor = XDP_CURSOR_MODE_HIDDEN;
  if (request.cursor && (offer.cursor_modes & XDP_CURSOR_MODE_EMBEDDED)) {
    cursor = XDP_CURSOR_MODE_EMBEDDED;
    cursor_embedded_ = true;
  } else if (request.cursor) {
    log::warning("the desktop portal cannot draw the cursor into the stream (AvailableCursorModes " +
                 std::to_string(offer.cursor_modes) + "); recording without it");
  }

  std::optional<std::string> token;
  std::optional<std::filesystem::path> token_file;
  const bool persists = offer.version >= kFirstPersistVersion;
  if (!persists) {
    log::warning("the desktop portal's ScreenCast is version " + std::to_string(offer.version) +
                 ", too old to remember the choice (restore tokens came in version 4): every run "
                 "asks again; update xdg-desktop-portal for unattended runs");
  } else if (auto path = restore_token_path(kind_); !path) {
    log::warning(path.error().message);
  } else {
    token_file = *path;
    token = load_restore_token(*token_file);
    log::info(token ? "asking the desktop portal to restore the " + kind_ + " chosen before (restore token in " +
                          token_file->string() + ")"
                    : "asking the desktop portal for a " + kind_ +
                          " to record; the desktop may show a dialog to choose one (this run only: "
                          "the choice is kept in " + token_file->string() + ")");
  }

  g_main_context_push_thread_default(glib_->context);
  glib_->portal = xdp_portal_new();
  xdp_portal_create_screencast_session(
      glib_->portal, static_cast<XdpOutputType>(wanted), XDP_SCREENCAST_FLAG_NONE, cursor,
      persists ? static_cast<XdpPersistMode>(kPersistUntilRevoked) : XDP_PERSIST_MODE_NONE,
      token ? token->c_str() : nullptr, nullptr,
      [](GObject* source, GAsyncResult* result, gpointer data) {
        auto* self = static_cast<PortalScreenCast*>(data);
        GError* e = nullptr;
        self->glib_->session =
            xdp_portal_create_screencast_session_finish(XDP_PORTAL(source), result, &e);
        self->glib_->create_error = e;
        self->glib_->created = true;
      },
      this);
  glib_->wait([&] { return glib_->created; });
  if (!glib_->session) {
    g_main_context_pop_thread_default(glib_->context);
    ErrorPtr e(glib_->create_error);
    glib_->create_error = nullptr;
    throw fail(std::string("the desktop portal could not make a screen cast session (") +
               (e ? e->message : "no reason given") + "); is xdg-desktop-portal working?");
  }
  xdp_session_start(
      glib_->session, nullptr, nullptr,
      [](GObject* source, GAsyncResult* result, gpointer data) {
        auto* self = static_cast<PortalScreenCast*>(data);
        GError* e = nullptr;
        if (!xdp_session_start_finish(XDP_SESSION(source), result, &e) && !e)
          e = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "no reason given");
        self->glib_->start_error = e;
        self->glib_->started = true;
      },
      this);
  glib_->wait([&] { return glib_->started; });
  g_main_context_pop_thread_default(glib_->context);
  if (glib_->start_error) {
    ErrorPtr e(glib_->start_error);
    glib_->start_error = nullptr;
    if (g_error_matches(e.get(), G_IO_ERROR, G_IO_ERROR_CANCELLED))
      throw fail("the screen share was refused in the desktop's dialog: run again and choose a " +
                 kind_ + " to share");
    throw fail(std::string("the desktop portal could not start the screen cast (") + e->message +
               "): is PipeWire running? (systemctl --user start pipewire wireplumber)");
  }

  VariantPtr streams(xdp_session_get_streams(glib_->session));
  if (!streams || g_variant_n_children(streams.get()) == 0)
    throw fail("the desktop portal started the screen cast with no stream in it");
  VariantPtr first(g_variant_get_child_value(streams.get(), 0));
  VariantPtr props;
  {
    GVariant* p = nullptr;
    g_variant_get(first.get(), "(u@a{sv})", &node_, &p);
    props.reset(p);
  }
  fd_ = xdp_session_open_pipewire_remote(glib_->session);
  if (fd_ < 0)
    throw fail("the desktop portal could not open PipeWire for the screen cast: is PipeWire "
               "running? (systemctl --user start pipewire wireplumber)");

  if (token_file) {
    char* fresh = xdp_session_get_restore_token(glib_->session);
    if (fresh) {
      if (const auto saved = save_restore_token(*token_file, fresh); !saved) log::warning(saved.error().message);
      g_free(fresh);
    } else {
      log::warning("the desktop portal gave no restore token (its backend cannot remember the "
                   "choice): the next run asks again");
    }
  }
}

PortalScreenCast::~PortalScreenCast() {
  if (fd_ >= 0) ::close(fd_);
}

int PortalScreenCast::take_pipewire_fd() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

}  // namespace screenreel::capture

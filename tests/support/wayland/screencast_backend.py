#!/usr/bin/python3
# A ScreenCast portal backend (org.freedesktop.impl.portal.ScreenCast) for the PipeWire capture
# tests, in place of xdg-desktop-portal-wlr, whose Debian 12 version (0.7.0) cannot start a cast
# on a compositor without DMA-BUF (a GPU-less machine: sway's pixman renderer; upstream
# xdg-desktop-portal-wlr issue 289). Everything around it is real: xdg-desktop-portal (the
# frontend screenreel talks to, which keeps the restore tokens in the permission store), D-Bus,
# PipeWire and wireplumber. The screen it shares is a PipeWire video source made by GStreamer's
# pipewiresink, showing a solid colour.
#
# Usage: screencast_backend.py CONFIG LOG. CONFIG (JSON, read at each Start and watched while
# streaming): width, height, format (a GStreamer video format: BGRx, RGBx, ...), colour
# (0xRRGGBB), optional pattern (a videotestsrc pattern instead of the colour, for measuring) and
# fps (default 10), refuse (answer Start as if the user pressed Cancel), stopped (end every stream, as
# a user stopping the share). LOG gets a line a call, with the restore data it was handed.
import json
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gio, GLib, Gst  # noqa: E402

BUS_NAME = "org.freedesktop.impl.portal.desktop.screenreeltest"
IFACE = """
<node>
  <interface name="org.freedesktop.impl.portal.ScreenCast">
    <method name="CreateSession">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <method name="SelectSources">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <method name="Start">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="s" name="parent_window" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <property name="AvailableSourceTypes" type="u" access="read"/>
    <property name="AvailableCursorModes" type="u" access="read"/>
    <property name="version" type="u" access="read"/>
  </interface>
</node>
"""
SESSION_IFACE = """
<node><interface name="org.freedesktop.impl.portal.Session"><method name="Close"/></interface></node>
"""

config_path, log_path = sys.argv[1], sys.argv[2]
streams = {}  # session handle -> its GStreamer pipeline
session_nodes = Gio.DBusNodeInfo.new_for_xml(SESSION_IFACE)


def log(line):
    with open(log_path, "a") as f:
        f.write(line + "\n")


def find_node(name, deadline):
    while time.time() < deadline:
        out = subprocess.run(["pw-dump"], capture_output=True, text=True).stdout
        try:
            for obj in json.loads(out or "[]"):
                props = (obj.get("info") or {}).get("props") or {}
                if obj.get("type") == "PipeWire:Interface:Node" and props.get("node.name") == name:
                    return obj["id"]
        except json.JSONDecodeError:
            pass
        time.sleep(0.1)
    return None


def video_caps(cfg):
    return Gst.Caps.from_string("video/x-raw,format=%s,width=%d,height=%d,framerate=%d/1"
                                % (cfg["format"], cfg["width"], cfg["height"], cfg.get("fps", 10)))


def start_stream(session, cfg):
    name = "screenreel-test-screen-%d" % len(streams)
    colour = int(cfg["colour"], 16) | 0xFF000000
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true pattern=%s foreground-color=%d ! capsfilter name=caps ! "
        "pipewiresink mode=provide stream-properties=\"props,node.name=%s,media.class=Video/Source\""
        % (cfg.get("pattern", "solid-color"), colour, name))
    pipeline.get_by_name("caps").set_property("caps", video_caps(cfg))
    pipeline.set_state(Gst.State.PLAYING)
    streams[session] = pipeline
    return find_node(name, time.time() + 10)


def stop_stream(session):
    pipeline = streams.pop(session, None)
    if pipeline:
        pipeline.set_state(Gst.State.NULL)


def watch_config():
    try:
        cfg = json.load(open(config_path))
    except (OSError, ValueError):
        return True
    if cfg.get("stopped") and streams:
        log("stopped")
        for session in list(streams):
            stop_stream(session)
    return True


def on_session_call(conn, sender, path, iface, method, params, invocation):
    log("Session.Close " + path)
    conn.unregister_object(registered_sessions.pop(path, 0))
    stop_stream(path)  # the screen cast ends with its session
    invocation.return_value(None)


registered_sessions = {}


def on_call(conn, sender, path, iface, method, params, invocation):
    args = params.unpack()
    cfg = json.load(open(config_path))
    if method == "CreateSession":
        session = args[1]
        registered_sessions[session] = conn.register_object(
            session, session_nodes.interfaces[0], on_session_call, None, None)
        log("CreateSession")
        invocation.return_value(GLib.Variant("(ua{sv})", (0, {})))
    elif method == "SelectSources":
        options = args[3]
        log("SelectSources types=%s cursor_mode=%s persist_mode=%s restore_data=%s" % (
            options.get("types"), options.get("cursor_mode"), options.get("persist_mode"),
            json.dumps(options.get("restore_data"))))
        invocation.return_value(GLib.Variant("(ua{sv})", (0, {})))
    elif method == "Start":
        if cfg.get("refuse"):
            log("Start refused")
            invocation.return_value(GLib.Variant("(ua{sv})", (1, {})))
            return
        node = start_stream(args[1], cfg)
        log("Start node=%s" % node)
        if node is None:
            invocation.return_value(GLib.Variant("(ua{sv})", (2, {})))
            return
        results = {
            "streams": GLib.Variant("a(ua{sv})", [(node, {
                "size": GLib.Variant("(ii)", (cfg["width"], cfg["height"])),
                "source_type": GLib.Variant("u", 1)})]),
            "persist_mode": GLib.Variant("u", 2),
            "restore_data": GLib.Variant("(suv)", ("screenreel-test", 1, GLib.Variant("s", "HEADLESS-1"))),
        }
        invocation.return_value(GLib.Variant("(ua{sv})", (0, results)))


def on_get_property(conn, sender, path, iface, name):
    return GLib.Variant("u", {"AvailableSourceTypes": 1, "AvailableCursorModes": 3, "version": 4}[name])


def on_bus(conn, name):
    node = Gio.DBusNodeInfo.new_for_xml(IFACE)
    conn.register_object("/org/freedesktop/portal/desktop", node.interfaces[0], on_call, on_get_property, None)


def on_name(conn, name):
    log("ready")


Gst.init(None)
loop = GLib.MainLoop()
GLib.timeout_add(100, watch_config)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, lambda: loop.quit() or False)  # SIGTERM: end the streams too
Gio.bus_own_name(Gio.BusType.SESSION, BUS_NAME, Gio.BusNameOwnerFlags.NONE, on_bus, on_name,
                 lambda *a: loop.quit())
try:
    loop.run()
finally:
    for session in list(streams):
        stop_stream(session)

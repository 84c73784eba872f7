#!/bin/bash
# A desktop session's screen-casting services for the PipeWire capture tests, run as an
# unprivileged user inside dbus-run-session (its own session bus): PipeWire, wireplumber, the
# stand-in ScreenCast backend (screencast_backend.py) and xdg-desktop-portal, which finds the
# backend through XDG_DESKTOP_PORTAL_DIR and XDG_CURRENT_DESKTOP=screenreel-test. HOME,
# XDG_RUNTIME_DIR and XDG_STATE_HOME come from the test (private folders of its own).
# Usage: session.sh DIR, where DIR holds backend.json; writes DIR/bus (the session bus address)
# once everything answers, logs to DIR/*.log, and runs until SIGTERM (its pid is in DIR/pid),
# which ends the services.
set -u
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
export XDG_CURRENT_DESKTOP=screenreel-test XDG_DESKTOP_PORTAL_DIR=$here
# What D-Bus activation starts (the portal, if a call reaches it before ours has the name; the
# permission store) must find the same desktop and backend.
dbus-update-activation-environment XDG_CURRENT_DESKTOP XDG_DESKTOP_PORTAL_DIR HOME XDG_RUNTIME_DIR XDG_STATE_HOME
pids=()
echo $$ >"$dir/pid"
trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 0' TERM INT EXIT
pipewire >"$dir/pipewire.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/pipewire-0" ] && break; sleep 0.05; done
wireplumber >"$dir/wireplumber.log" 2>&1 & pids+=($!)
/usr/bin/python3 "$here/screencast_backend.py" "$dir/backend.json" "$dir/backend.log" >"$dir/backend.err" 2>&1 & pids+=($!)
for _ in $(seq 400); do grep -q ready "$dir/backend.log" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$dir/backend.log" 2>/dev/null || { echo "session.sh: the ScreenCast backend did not start in 20 s" >&2; exit 1; }
/usr/libexec/xdg-desktop-portal >"$dir/portal.log" 2>&1 & pids+=($!)
ready=
for _ in $(seq 200); do
  gdbus call --session --dest org.freedesktop.portal.Desktop --object-path /org/freedesktop/portal/desktop \
    --method org.freedesktop.DBus.Properties.Get org.freedesktop.portal.ScreenCast version >/dev/null 2>&1 && ready=1 && break
  sleep 0.1
done
[ -n "$ready" ] || { echo "session.sh: the portal has no ScreenCast after 20 s" >&2; exit 1; }
echo "$DBUS_SESSION_BUS_ADDRESS" >"$dir/bus.tmp" && mv "$dir/bus.tmp" "$dir/bus"
wait

#!/usr/bin/env bash
# Installs every Debian 12 package screenreel needs to build, test and benchmark.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ninja-build clang libclang-rt-14-dev
  # libraries the programs link
  libboost-system-dev libboost-program-options-dev libboost-filesystem-dev
  libopencv-dev liblz4-dev libsqlite3-dev libturbojpeg0-dev libjpeg62-turbo-dev libssl-dev
  libxcb1-dev libxcb-shm0-dev libxcb-xfixes0-dev libxcb-randr0-dev libxcb-damage0-dev libxxhash-dev
  nlohmann-json3-dev
  # the PostgreSQL catalog backend (--catalog postgresql://...): libpq; the server, for its tests
  libpq-dev postgresql
  # export's H.264: libx264 through libavcodec, with libavformat's containers and libswscale
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  # display widths of names in any script (CJK takes two columns)
  libutf8proc-dev
  # the receiver's sd_notify (a Type=notify service)
  libsystemd-dev
  # the Wayland capture source: the ScreenCast portal (libportal, GIO) and PipeWire
  libpipewire-0.3-dev libportal-dev libglib2.0-dev
  # OCR (receiver --ocr, screenreel-replay index/search): Tesseract 5 and its English model
  libtesseract-dev tesseract-ocr-eng
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  xvfb xdotool xterm x11-xserver-utils x11-apps ffmpeg sqlite3 procps
  fonts-dejavu-core openssl time
  # the package test (tests/install): dpkg -i needs adduser for the postinst; lintian checks the .deb
  adduser lintian
  # time zones (the clock-time tests run screenreel-replay with TZ=Asia/Tokyo and Asia/Shanghai)
  tzdata
  # screenreel-replay serve's pages in a real browser (tests/serve/browser_test.py): headless
  # Chromium driven by Selenium through chromedriver
  chromium chromium-driver python3-selenium
  # the PipeWire capture tests' desktop session: a session bus, PipeWire and wireplumber, the
  # ScreenCast portal, and the stand-in backend's stream (GStreamer's pipewiresink) and D-Bus
  # service (python3-gi); sway and xdg-desktop-portal-wlr, the real wlroots stack (whose Debian 12
  # backend cannot cast without a GPU: tests/support/wayland/screencast_backend.py), and grim
  dbus pipewire pipewire-bin wireplumber xdg-desktop-portal xdg-desktop-portal-wlr
  gstreamer1.0-plugins-base gstreamer1.0-pipewire gir1.2-gstreamer-1.0 python3-gi
  sway swaybg grim
  # shaped-link tests and benchmark (tests/support/shaped_link.sh, scene.sh): ip, tc, setpriv, perl
  iproute2 util-linux perl-base
  # packaging (cmake/ScreenreelInstall.cmake): man pages from --help, the .deb's shlibdeps, man -l,
  # screenreel-archive(5) from schemas/ (pandoc)
  help2man dpkg-dev fakeroot man-db bsdextrautils pandoc
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

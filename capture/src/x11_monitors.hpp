// RandR 1.5 monitors: listing them (--list-monitors) and choosing one (--monitor N|NAME).
#pragma once

#include <string>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "x11_names.hpp"

namespace screenreel::capture {

// The display's monitors, in the server's order. Throws std::runtime_error without RandR 1.5.
std::vector<MonitorInfo> query_monitors(const X11Display& display);

// `spec`: all digits is an index into query_monitors(), anything else a monitor's exact name.
// Throws std::invalid_argument naming the monitors that exist, or when the monitor reaches
// outside the screen (a --setmonitor rectangle can).
MonitorInfo pick_monitor(const X11Display& display, const std::string& spec);

}  // namespace screenreel::capture

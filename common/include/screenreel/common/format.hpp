// Numbers, sizes and durations as every program prints them for people (replay's tables and
// progress, the capture's status line and summary, the receiver's messages): one formatter each.
#pragma once

#include <cstdint>
#include <string>

namespace screenreel {

// "12.3" with `decimals` digits after the point.
std::string format_fixed(double value, int decimals);
// "41.2 MB", "512 B", "1.3 GB" (powers of 1000, as file managers show sizes).
std::string format_bytes(std::int64_t bytes);
// Always in MB with one decimal ("0.4 MB", "1234.5 MB"): for lines that scripts read.
std::string format_megabytes(std::uint64_t bytes);
// A duration or an offset as a clock shows it: "01:02:03.457" (rounded to the millisecond), or
// with `millis` false "01:02:03" (whole seconds passed); negative ones with a "-".
std::string format_duration(std::int64_t us, bool millis = true);

}  // namespace screenreel

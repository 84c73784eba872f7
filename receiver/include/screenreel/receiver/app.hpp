// The receiver program as a whole: archive, storage pipeline, network, live window, and the
// ways a recording ends (q in a window or on the terminal, SIGINT, SIGTERM). main() parses the
// command line into a ReceiverConfig and calls run().
#pragma once

#include <functional>

#include <filesystem>
#include <string>

#include "screenreel/receiver/recorder.hpp"
#include "screenreel/receiver/server.hpp"

namespace screenreel::receiver {

struct ReceiverConfig {
  std::string listen = "127.0.0.1:5000";
  std::filesystem::path archive;
  bool display = true;
  RecorderOptions recorder;
  std::uint32_t max_in_flight = 8;
  std::size_t max_clients = 64;
  std::size_t max_pending = 64;
  std::filesystem::path token_file;  // empty: no authentication (loopback only, unless insecure_listen)
  bool insecure_listen = false;
  std::filesystem::path tls_cert, tls_key;  // both set: --tls
  // SIGHUP: the settings read again (the configuration file may have changed); the disk limits
  // take effect at once. Throws (with a message for the user) when they cannot be read.
  std::function<DiskLimits()> reload;
};

// Returns the process exit code: 0 after a clean end, 1 on a setup error (printed).
int run(const ReceiverConfig& config);

}  // namespace screenreel::receiver

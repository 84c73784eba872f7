// Telling systemd how the receiver is doing (sd_notify(3)), for a Type=notify service: READY
// once it listens, STOPPING when it ends, RELOADING around a SIGHUP, and WATCHDOG pings from
// the network thread at half the WatchdogSec= interval (a hung event loop stops them, and
// systemd restarts the service). Without $NOTIFY_SOCKET (not under systemd) every call does
// nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

namespace screenreel::receiver {

class ServiceManager {
 public:
  explicit ServiceManager(boost::asio::io_context& io);
  void ready(const std::string& status);
  void reloading();
  void stopping();
  // Starts the watchdog pings when systemd asked for them ($WATCHDOG_USEC).
  void start_watchdog();

 private:
  void ping();
  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
};

}  // namespace screenreel::receiver

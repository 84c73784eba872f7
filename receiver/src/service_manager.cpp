#include "service_manager.hpp"

#include <systemd/sd-daemon.h>

namespace screenreel::receiver {

ServiceManager::ServiceManager(boost::asio::io_context& io) : timer_(io) {}

void ServiceManager::ready(const std::string& status) { sd_notify(0, ("READY=1\nSTATUS=" + status).c_str()); }

void ServiceManager::reloading() { sd_notify(0, "RELOADING=1"); }

void ServiceManager::stopping() {
  timer_.cancel();
  sd_notify(0, "STOPPING=1");
}

void ServiceManager::start_watchdog() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  interval_ = std::chrono::microseconds(usec / 2);
  ping();
}

void ServiceManager::ping() {
  sd_notify(0, "WATCHDOG=1");
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

}  // namespace screenreel::receiver

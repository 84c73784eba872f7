// A shaped network link for end-to-end tests over a real, slow network: two network namespaces
// joined by a veth pair, tbf-shaped on the sending side (tests/support/shaped_link.sh builds and
// removes it; scripts/bench-network.sh uses the same script). Needs root: tests call
// ShapedLink::unavailable() first and skip with its reason.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace screenreel::test {

class ShapedLink {
 public:
  // Why a link cannot be made here (not root, no ip/tc), or empty when it can.
  static std::optional<std::string> unavailable();

  // Namespaces named screenreel-PID-N-send / -recv; throws std::runtime_error when the script
  // fails (with its output). `delay_ms` > 0 adds netem delay (not every kernel has netem).
  explicit ShapedLink(double mbit, int delay_ms = 0);
  ~ShapedLink();  // deletes both namespaces, and so the veth pair
  ShapedLink(const ShapedLink&) = delete;
  ShapedLink& operator=(const ShapedLink&) = delete;

  // argv run inside the sending (capture) or receiving namespace: ip netns exec NS argv...
  std::vector<std::string> in_sender(const std::vector<std::string>& argv) const;
  std::vector<std::string> in_receiver(const std::vector<std::string>& argv) const;
  const std::string& receiver_address() const { return recv_addr_; }  // reachable from the sender
  const std::string& sender_address() const { return send_addr_; }
  const std::string& sender_namespace() const { return send_ns_; }
  // Runs `work` on a thread that has joined the sending namespace (the test's own sockets then
  // go over the link), and waits for it. Throws std::runtime_error if it cannot join.
  void run_in_sender(const std::function<void()>& work) const;

 private:
  std::string name_, send_ns_, recv_ns_, send_addr_, recv_addr_;
};

}  // namespace screenreel::test

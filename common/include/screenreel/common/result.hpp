// The error convention of the layers that meet the outside world (the wire, storage): a function
// that can fail for reasons outside the program returns Result<T>, either its value or an Error
// that says what failed, on what, and what to do. Exceptions are for setup (a program that cannot
// start) and for broken invariants; they do not cross a wire or storage edge in normal operation.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace screenreel {

struct Error {
  std::string message;  // one line for the user: "cannot open X: why (what to do)"
};

// E is the layer's error type: Error here, wire::WireError (an ERROR code and a message) on the
// wire, where the code goes back to the peer.
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const E& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { assert(!ok_); return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace screenreel

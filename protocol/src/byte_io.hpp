// Little-endian readers and writers over byte buffers. The reader checks that every byte it
// reads is there (TigerVNC's rdr streams do the same) and never throws: it latches a failure.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace screenreel::detail {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::size_t position() const { return pos_; }

  template <typename T>
  T read() {
    static_assert(std::is_integral_v<T>);
    if (!take(sizeof(T))) return T{};
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{bytes_[pos_ - sizeof(T) + i]} << (8 * i);
    return static_cast<T>(v);
  }

  std::span<const std::uint8_t> read_bytes(std::size_t n) {
    if (!take(n)) return {};
    return bytes_.subspan(pos_ - n, n);
  }

  // Fills a fixed-size field (a nonce, a key); leaves it zero when the bytes are not there.
  template <std::size_t N>
  void read_array(std::array<std::uint8_t, N>& out) {
    const auto b = read_bytes(N);
    if (b.size() == N) std::memcpy(out.data(), b.data(), N);
  }

  // A u16 length then that many bytes; fails (without reading them) when over `max`.
  std::string read_str16(std::size_t max) {
    const auto n = read<std::uint16_t>();
    if (!ok_ || n > max) {
      ok_ = false;
      return {};
    }
    auto b = read_bytes(n);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline void put_le(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  template <typename T>
  void write(T v) {
    static_assert(std::is_integral_v<T>);
    const auto at = out_.size();
    out_.resize(at + sizeof(T));
    put_le(out_.data() + at, static_cast<std::uint64_t>(v), sizeof(T));
  }

  void write_bytes(std::span<const std::uint8_t> bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }

  // Truncates to `max` bytes so that an encoder can never produce what a decoder refuses.
  void write_str16(const std::string& s, std::size_t max) {
    const auto n = std::min(s.size(), max);
    write<std::uint16_t>(static_cast<std::uint16_t>(n));
    out_.insert(out_.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
  }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace screenreel::detail

// Bytes as lower-case hex and back: digests, signatures, keys and fingerprints in the catalog,
// the manifests, the logs and replay's tables.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace screenreel {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Lower- or upper-case hex digits to bytes; empty when the text is not an even run of them.
std::vector<std::uint8_t> from_hex(const std::string& hex);

}  // namespace screenreel

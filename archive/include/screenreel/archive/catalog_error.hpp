// The one error type of the catalog interface (catalog.hpp): what went wrong, in a message that
// says what to do, and a kind that callers act on without knowing the backend.
#pragma once

#include <stdexcept>
#include <string>

namespace screenreel {

class CatalogError : public std::runtime_error {
 public:
  enum class Kind {
    kOther,
    kFull,     // no room to write (a full disk or quota): freeing space lets it go on
    kBusy,     // another writer holds the catalog for longer than the wait allows
    kCorrupt,  // the catalog is damaged or is not a catalog
    kUnreachable,  // the catalog's server does not answer (down, restarting, the connection lost):
                   // the same write may succeed later (the receiver journals it meanwhile)
  };
  CatalogError(const std::string& what, Kind kind) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace screenreel

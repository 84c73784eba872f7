// SESSION on the command line: a session id, or a prefix of a session name that only one
// session has.
#pragma once

#include <string_view>

#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// An id wins over a name that happens to be made of digits, and a whole name over the longer
// names it starts (several sessions of the same name are still ambiguous). Throws Failure for an unknown or
// ambiguous SESSION, listing the candidates (id, name, start) so the user can pick by id.
SessionRecord find_session(CatalogReader& catalog, std::string_view spec);

}  // namespace screenreel::replay

// `delete SESSION`: removes a session's catalog rows (its frames go with it: ON DELETE CASCADE)
// and then its folder. The confirmation question is the command line's business.
#pragma once

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// `catalog` must be open read-write. Refuses a session that a running receiver is recording
// (it would keep writing files into the removed folder); a session left recording by a receiver
// that is gone can be deleted. Throws Failure saying what was and was not removed.
void delete_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session);

}  // namespace screenreel::replay

// Where the ScreenCast portal's restore token is kept between runs, so that only the first run
// shows the desktop's "share your screen" dialog: $XDG_STATE_HOME/screenreel/ (default
// ~/.local/state/screenreel/), one file a kind of source ("portal-restore-token-monitor",
// "-window"), mode 0600 in a folder of mode 0700: the token lets anyone who holds it record this
// screen without asking.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "screenreel/common/result.hpp"

namespace screenreel::capture {

// The file for `kind` ("monitor" or "window"), from $XDG_STATE_HOME or $HOME; an Error when
// neither is set to an absolute path.
Result<std::filesystem::path> restore_token_path(const std::string& kind);

// The token kept in `file`; nullopt when there is none (no file, an empty one).
std::optional<std::string> load_restore_token(const std::filesystem::path& file);

// Replaces `file` with `token` (temporary file + rename, 0600, never through a symlink), making
// its folder (0700) if needed.
Result<void> save_restore_token(const std::filesystem::path& file, const std::string& token);

}  // namespace screenreel::capture

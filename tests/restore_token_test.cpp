// Where and how the ScreenCast portal's restore token is kept (capture/src/restore_token.hpp):
// $XDG_STATE_HOME/screenreel/, else ~/.local/state/screenreel/; the file is 0600 in a 0700
// folder whatever was there before, and a symlink planted at its temporary name is not written
// through.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "restore_token.hpp"
#include "support/process.hpp"
#include "support/scoped_env.hpp"

namespace screenreel::capture {
namespace {

namespace fs = std::filesystem;

using Env = test::ScopedEnv;

unsigned mode_of(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(RestoreToken, LivesUnderXdgStateHomeElseHomeLocalState) {
  {
    Env state("XDG_STATE_HOME", "/s"), home("HOME", "/h");
    EXPECT_EQ(restore_token_path("monitor").value(), fs::path("/s/screenreel/portal-restore-token-monitor"));
  }
  {
    Env state("XDG_STATE_HOME", "relative/not/used"), home("HOME", "/h");
    EXPECT_EQ(restore_token_path("window").value(), fs::path("/h/.local/state/screenreel/portal-restore-token-window"));
  }
  Env state("XDG_STATE_HOME", std::nullopt), home("HOME", std::nullopt);
  const auto none = restore_token_path("monitor");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("set XDG_STATE_HOME"), std::string::npos) << none.error().message;
}

TEST(RestoreToken, IsPrivateReplacedWholeAndNeverWrittenThroughASymlink) {
  const fs::path dir = test::fresh_temp_dir("restore-token");
  const fs::path file = dir / "state" / "screenreel" / "portal-restore-token-monitor";
  EXPECT_FALSE(load_restore_token(file));
  ASSERT_TRUE(save_restore_token(file, "first-token").ok());
  EXPECT_EQ(load_restore_token(file), "first-token");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);

  // A readable file left there, and a symlink planted at the temporary name towards a file of
  // someone else's: the token replaces the file, private again, and the other file is untouched.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  const fs::path victim = dir / "victim";
  std::ofstream(victim) << "keep me\n";
  fs::create_symlink(victim, file.string() + ".tmp");
  ASSERT_TRUE(save_restore_token(file, "second-token").ok());
  EXPECT_EQ(load_restore_token(file), "second-token");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(test::read_file(victim), "keep me\n");
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));

  std::ofstream(file, std::ios::trunc) << "\n";
  EXPECT_FALSE(load_restore_token(file)) << "an empty file holds no token";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel::capture

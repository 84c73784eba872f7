// The commands of screenreel-replay, one file each (its options, its help, its run); main.cpp
// dispatches to them and builds its overview help from their synopses.
#pragma once

#include <vector>

#include "command_line.hpp"

namespace screenreel::replay::commands {

struct Command {
  struct Synopsis {
    const char* usage;    // "export SESSION -o FILE"
    const char* summary;  // "a video (.mp4 .mkv .mov .avi) at a constant frame rate"
  };
  const char* name;
  std::vector<Synopsis> synopses;  // the command's lines in 'screenreel-replay --help'
  // The exit status; throws UsageError for a bad command line, anything else for a failure.
  int (*run)(CommandLine& cli);
};

extern const Command kList;
extern const Command kInfo;
extern const Command kMarkers;
extern const Command kAt;
extern const Command kPlay;
extern const Command kExport;
extern const Command kFrame;
extern const Command kQuery;
extern const Command kSearch;
extern const Command kIndex;
extern const Command kVerify;
extern const Command kRecover;
extern const Command kRebuild;
extern const Command kDelete;
extern const Command kKeep;
extern const Command kUnkeep;
extern const Command kPrune;
extern const Command kServe;
extern const Command kCatalog;

}  // namespace screenreel::replay::commands

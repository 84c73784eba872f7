// screenreel-replay: the archive reader. Its commands are being built (see README, Status).
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string arg = argc > 1 ? argv[1] : "";
  if (arg == "--version") {
    std::cout << "screenreel-replay " SCREENREEL_VERSION "\n";
    return 0;
  }
  std::cerr << "screenreel-replay: no commands yet; query the catalog with sqlite3 (see README)\n";
  return arg == "--help" || arg == "-h" ? 0 : 2;
}

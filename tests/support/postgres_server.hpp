// A real PostgreSQL 15 server for a test: initdb into a fresh folder under /tmp and pg_ctl start
// on a Unix socket in it (no TCP), stopped and removed by the destructor. PostgreSQL refuses to
// run as root, so a test running as root runs the server as `nobody` (runuser) in a folder that
// user owns. Debian's postgresql package provides the programs (scripts/install-deps.sh).
#pragma once

#include <filesystem>
#include <string>

namespace screenreel::test {

class PostgresServer {
 public:
  // Starts the server; throws std::runtime_error with the server's log when it cannot.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Why no server can run here (the programs are missing), or empty when one can.
  static std::string unavailable();

  // Makes an empty database and returns its libpq connection string (keyword form).
  std::string create_database(const std::string& name);
  // A connection string for `database`: "host=<socket folder> user=screenreel dbname=<database>".
  std::string conninfo(const std::string& database) const;
  // Runs SQL through psql in `database`; returns psql's output (throws when psql fails).
  std::string psql(const std::string& database, const std::string& sql) const;
  // pg_ctl stop -m immediate, and start again on the same folder.
  void stop_immediately();
  void start();
  const std::filesystem::path& socket_dir() const { return dir_; }

 private:
  std::string as_server_user(const std::string& command) const;
  std::filesystem::path dir_;  // short (/tmp/srn-XXXXXX): a socket path has at most 107 bytes
  bool running_ = false;
};

// One server for a whole test program, started by the first test that asks for it and stopped at
// the program's exit.
PostgresServer& shared_postgres_server();

}  // namespace screenreel::test

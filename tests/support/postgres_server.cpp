// A real PostgreSQL server for tests (see postgres_server.hpp).
#include "support/postgres_server.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "support/process.hpp"

namespace screenreel::test {
namespace fs = std::filesystem;
namespace {

const fs::path kBin = "/usr/lib/postgresql/15/bin";

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command line and returns its standard output; throws when it fails.
std::string output_of(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + command);
  char buf[4096];
  while (const auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error(command + " failed:\n" + out);
  return out;
}

}  // namespace

std::string PostgresServer::unavailable() {
  for (const char* program : {"initdb", "pg_ctl", "psql"})
    if (!fs::exists(kBin / program))
      return std::string("no ") + (kBin / program).string() + ": install Debian's postgresql package (scripts/install-deps.sh)";
  if (::geteuid() == 0 && (!::getpwnam("nobody") || !fs::exists("/usr/sbin/runuser")))
    return "running as root, and there is no user 'nobody' or no runuser to run PostgreSQL as";
  return {};
}

std::string PostgresServer::as_server_user(const std::string& command) const {
  // From the server's folder: the server user may not read the test's working folder.
  const std::string in_dir = "cd " + quoted(dir_.string()) + " && " + command;
  return ::geteuid() == 0 ? "runuser -u nobody -- sh -c " + quoted(in_dir) : "sh -c " + quoted(in_dir);
}

PostgresServer::PostgresServer() {
  if (const auto why = unavailable(); !why.empty()) throw std::runtime_error(why);
  char tmpl[] = "/tmp/srn-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_.string());
  }
  output_of(as_server_user((kBin / "initdb").string() +
                           " -D data -U screenreel -A trust -E UTF8 --locale=C.UTF-8 --no-sync >initdb.log"));
  start();
}

void PostgresServer::start() {
  // No TCP; the socket in the folder; no fsync (a test's data need not survive a power cut).
  output_of(as_server_user((kBin / "pg_ctl").string() + " -D data -l server.log -w -t 60 -o " +
                           quoted("-c listen_addresses= -c unix_socket_directories=" + dir_.string() +
                                  " -c fsync=off -c full_page_writes=off") +
                           " start"));
  running_ = true;
}

void PostgresServer::stop_immediately() {
  output_of(as_server_user((kBin / "pg_ctl").string() + " -D data -w -m immediate stop"));
  running_ = false;
}

PostgresServer::~PostgresServer() {
  if (running_) shell(as_server_user((kBin / "pg_ctl").string() + " -D data -w -m fast stop >/dev/null 2>&1"));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + dir_.string() + " user=screenreel dbname=" + database;
}

std::string PostgresServer::psql(const std::string& database, const std::string& sql) const {
  return output_of("psql -X -q -t -A -v ON_ERROR_STOP=1 " + quoted(conninfo(database)) + " -c " + quoted(sql));
}

std::string PostgresServer::create_database(const std::string& name) {
  psql("postgres", "CREATE DATABASE " + name);
  return conninfo(name);
}

PostgresServer& shared_postgres_server() {
  static std::unique_ptr<PostgresServer> server;
  if (!server) server = std::make_unique<PostgresServer>();
  return *server;
}

}  // namespace screenreel::test

// screenreel-replay serve over a real TCP socket: the JSON API's answers, frame bytes equal to
// the archive's files, and what a hostile or careless client tries (path traversal, symbolic
// links, huge headers, many idle connections, wrong tokens), each refused without disturbing a
// good client.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "serve_support.hpp"
#include "support/certificate.hpp"

namespace screenreel::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Replaces a frame's file with `size` bytes that do not compress (serve sends a file as stored,
// whatever it holds), as a receiver writes files: a temporary file renamed over it.
std::string replace_with_bytes(const fs::path& file, std::size_t size) {
  std::string bytes(size, '\0');
  std::uint32_t x = 2463534242u;
  for (char& c : bytes) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  const fs::path temporary = file.string() + ".tmp";
  std::ofstream(temporary, std::ios::binary) << bytes;
  fs::rename(temporary, file);
  return bytes;
}

// A connection that receives into a small buffer, so that a big answer fills the server's side.
int connect_small_buffer(std::uint16_t port) {
  const int fd = connect_to(port);
  const int size = 64 * 1024;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return fd;
}

bool send_all(int fd, const std::string& text) {
  return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// One answer read from a kept-alive connection: its header, then Content-Length bytes of body
// (fewer when the connection ends first).
HttpAnswer read_answer(int fd) {
  HttpAnswer a;
  std::string raw;
  char buf[65536];
  std::size_t end = std::string::npos;
  while ((end = raw.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return a;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  if (!raw.starts_with("HTTP/1.1 ")) return a;
  a.status = std::stoi(raw.substr(9, 3));
  std::size_t length = 0;
  std::smatch m;
  const std::string head = raw.substr(0, end);
  if (std::regex_search(head, m, std::regex("\r\n[Cc]ontent-[Ll]ength: *(\\d+)"))) length = std::stoul(m[1]);
  a.body = raw.substr(end + 4);
  while (a.body.size() < length) {
    const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, length - a.body.size()), 0);
    if (n <= 0) break;
    a.body.append(buf, static_cast<std::size_t>(n));
  }
  return a;
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    server = start_serve(served.archive.root(), {"--max-clients", "16"});
    ASSERT_NE(server.port, 0);
  }
  json get_json(const std::string& target, int status = 200) {
    const HttpAnswer a = http_get(server.port, target);
    EXPECT_EQ(a.status, status) << target << ": " << a.body;
    EXPECT_EQ(a.header("content-type"), "application/json") << target;
    return json::parse(a.body, nullptr, false);
  }
  // The answer is a refusal: 4xx, a JSON message, and nothing of the file asked for.
  void expect_refused(const std::string& target) {
    const HttpAnswer a = http_get(server.port, target);
    EXPECT_GE(a.status, 400) << target;
    EXPECT_LT(a.status, 500) << target;
    EXPECT_EQ(a.body.find("SQLite format"), std::string::npos) << target;
    EXPECT_EQ(a.body.find("root:"), std::string::npos) << target;
    EXPECT_NE(a.header("content-type"), "image/jpeg") << target;
  }
  void expect_good_client_served() {
    const HttpAnswer a = http_get(server.port, "/api/sessions");
    EXPECT_EQ(a.status, 200) << a.body;
  }
  ServedArchive served;
  RunningServe server;
};

TEST_F(Serve, SessionsAreListedNewestFirstWithPagingAndANameFilter) {
  json j = get_json("/api/sessions");
  EXPECT_EQ(j["total"], 2);
  ASSERT_EQ(j["sessions"].size(), 2u);
  EXPECT_EQ(j["sessions"][0]["name"], "demo");
  EXPECT_EQ(j["sessions"][1]["name"], "standup");
  EXPECT_EQ(j["sessions"][1]["frames"], 10);
  EXPECT_EQ(j["sessions"][1]["live"], false);
  EXPECT_EQ(j["sessions"][1]["last_capture_us"].get<std::int64_t>() - j["sessions"][1]["first_capture_us"].get<std::int64_t>(),
            900'000);
  EXPECT_EQ(j["sessions"][1]["thumbnail"], "/api/frames/" + std::to_string(served.standup.id) + "/1.jpg");
  j = get_json("/api/sessions?offset=1&limit=1");
  ASSERT_EQ(j["sessions"].size(), 1u);
  EXPECT_EQ(j["sessions"][0]["name"], "standup");
  j = get_json("/api/sessions?name=STAND");
  EXPECT_EQ(j["total"], 1);
  j = get_json("/api/sessions?name=st%61ndup");
  EXPECT_EQ(j["total"], 1);
  get_json("/api/sessions?limit=-1", 400);
  get_json("/api/sessions?limit=100000", 400);
}

TEST_F(Serve, APageInTheMiddleAndAFilteredPageCountEveryMatchButNotADeletingSession) {
  // ids 3..8 after standup (1) and demo (2); Build 3 is being deleted.
  std::vector<SessionRecord> more;
  for (int i = 0; i < 6; ++i)
    more.push_back(served.archive.record((i % 2 ? "Build " : "review ") + std::to_string(i), evenly(2, 100'000)));
  served.archive.catalog().mark_deleting(more[3].id, "delete", kStartUs);
  const auto names = [](const json& j) {
    std::vector<std::string> out;
    for (const auto& s : j["sessions"]) out.push_back(s["name"]);
    return out;
  };
  using Names = std::vector<std::string>;
  json j = get_json("/api/sessions?offset=2&limit=3");
  EXPECT_EQ(j["total"], 7);
  EXPECT_EQ(j["offset"], 2);
  EXPECT_EQ(j["limit"], 3);
  EXPECT_EQ(names(j), (Names{"review 2", "Build 1", "review 0"}));
  EXPECT_EQ(j["sessions"][1]["id"], more[1].id);
  j = get_json("/api/sessions?name=build&offset=1&limit=1");
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(names(j), (Names{"Build 1"}));
  j = get_json("/api/sessions?name=REVIEW");
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(names(j), (Names{"review 4", "review 2", "review 0"}));
  j = get_json("/api/sessions?offset=7");
  EXPECT_EQ(j["total"], 7);
  EXPECT_TRUE(j["sessions"].empty());
  j = get_json("/api/sessions?limit=0&name=nothing-like-it");
  EXPECT_EQ(j["total"], 0);
  EXPECT_TRUE(j["sessions"].empty());
}

TEST_F(Serve, ASessionAndItsFramesInATimeRange) {
  const std::string id = std::to_string(served.standup.id);
  json j = get_json("/api/sessions/" + id);
  EXPECT_EQ(j["name"], "standup");
  EXPECT_EQ(j["frames"], 10);
  // The frame on screen at 0.25 s (frame 3, at 0.2 s) and those captured up to 0.5 s.
  j = get_json("/api/sessions/" + id + "/frames?from=250000&to=500000");
  std::vector<std::int64_t> numbers;
  for (const auto& f : j["frames"]) numbers.push_back(f["number"]);
  EXPECT_EQ(numbers, (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(j["frames"][0]["offset_us"], 200'000);
  EXPECT_EQ(j["frames"][0]["file"], "frame_000003.jpg");
  EXPECT_EQ(get_json("/api/sessions/" + id + "/frames")["frames"].size(), 10u);
  EXPECT_NE(get_json("/api/sessions/" + id + "/frames?from=x", 400)["error"], nullptr);
  get_json("/api/sessions/" + id + "/frames?from=500000&to=100", 400);
  get_json("/api/sessions/" + id + "/frames?from=%zz", 400);
  get_json("/api/sessions/999", 404);
  get_json("/api/sessions/-1", 404);
  get_json("/api/sessions/1x/frames", 404);
  get_json("/api/nothing", 404);
}

TEST_F(Serve, AFrameIsTheArchivesJpegByteForByte) {
  const std::string id = std::to_string(served.standup.id);
  for (int seq : {1, 3, 10}) {
    const HttpAnswer a = http_get(server.port, "/api/frames/" + id + "/" + std::to_string(seq) + ".jpg");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.header("content-type"), "image/jpeg");
    EXPECT_EQ(a.body, read_file(served.archive.frame_file(served.standup, seq))) << "frame " << seq;
  }
  get_json("/api/frames/" + id + "/11.jpg", 404);
  get_json("/api/frames/" + id + "/0.jpg", 404);
  get_json("/api/frames/" + id + "/3.png", 404);
}

TEST_F(Serve, WhatIsWrittenWhileServingIsServedAndSigtermStopsIt) {
  // A session left recording (no receiver runs: "interrupted"), then a frame added to it, as a
  // receiver writes them: file first, then its row.
  const SessionRecord s = served.archive.record("growing", evenly(3, 100'000), "");
  const std::string id = std::to_string(s.id);
  json j = get_json("/api/sessions");
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["sessions"][0]["name"], "growing");
  EXPECT_EQ(j["sessions"][0]["status"], "interrupted");
  EXPECT_EQ(j["sessions"][0]["ended_us"], nullptr);
  EXPECT_EQ(get_json("/api/sessions/" + id + "/frames?from=200000")["frames"].size(), 1u);
  FrameRecord r;
  r.session_id = s.id;
  r.seq = 4;
  r.tick = 4;
  r.capture_us = served.archive.catalog().frames(s.id).back().capture_us + 100'000;
  r.receive_us = r.capture_us + 2'000;
  r.written_us = r.capture_us + 10'000;
  r.file = frame_file_name(4);
  r.width = kWidth;
  r.height = kHeight;
  r.jpeg_bytes = served.archive.write_frame_file(s, 4);
  served.archive.catalog().add_frames(std::vector<FrameRecord>{r});
  j = get_json("/api/sessions/" + id + "/frames?from=200000");
  ASSERT_EQ(j["frames"].size(), 2u);
  EXPECT_EQ(j["frames"][1]["number"], 4);
  EXPECT_EQ(j["frames"][1]["offset_us"], 300'000);
  EXPECT_EQ(http_get(server.port, "/api/frames/" + id + "/4.jpg").body, read_file(served.archive.frame_file(s, 4)));
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait_for(std::chrono::seconds(10)), 0) << server.process->err();
}

TEST_F(Serve, SearchFindsIndexedText) {
  json j = get_json("/api/search?q=permission+denied");
  ASSERT_EQ(j["hits"].size(), 1u);
  EXPECT_EQ(j["hits"][0]["session"], served.standup.id);
  EXPECT_EQ(j["hits"][0]["number"], 4);
  EXPECT_EQ(j["hits"][0]["offset_us"], 300'000);
  EXPECT_EQ(j["hits"][0]["text"], "permission denied");
  EXPECT_EQ(get_json("/api/search?q=nowhere")["hits"].size(), 0u);
  get_json("/api/search", 400);
  get_json("/api/search?q=denied&session=999", 404);
}

TEST_F(Serve, PathTraversalReachesNoFile) {
  const std::string id = std::to_string(served.standup.id);
  for (const std::string& target : std::vector<std::string>{
           "/../catalog.db", "/api/frames/" + id + "/../../catalog.db", "/api/frames/" + id + "/%2e%2e%2f%2e%2e%2fcatalog.db",
        "/%2e%2e/%2e%2e/etc/passwd", "/api/frames/..%2f..%2fcatalog.db", "//etc/passwd", "/etc/passwd",
        "/api/frames//etc/passwd", "/api/frames/" + id + "//etc/passwd", "/sessions/", "/catalog.db",
        "/api/frames/" + id + "/frame_000001.jpg", "/api/sessions/" + id + "/../../catalog.db"})
    expect_refused(target);
  const HttpAnswer absolute = http_raw(server.port, "GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(absolute.status, 404);
  const HttpAnswer absolute_uri = http_raw(
      server.port, "GET http://127.0.0.1/../catalog.db HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_GE(absolute_uri.status, 400);
  EXPECT_EQ(absolute_uri.body.find("SQLite format"), std::string::npos);
  // A doctored catalog row naming a file outside the session's folder is not followed either.
  ASSERT_EQ(shell("sqlite3 '" + served.archive.paths().catalog().string() +
                  "' \"UPDATE frames SET file = '../../catalog.db' WHERE seq = 2 AND session_id = " + id + "\""),
            0);
  expect_refused("/api/frames/" + id + "/2.jpg");
  expect_good_client_served();
}

TEST_F(Serve, SymbolicLinksInTheArchiveAreNotFollowed) {
  // The demo session's folder moved elsewhere and a symbolic link left in its place.
  const fs::path folder = served.archive.paths().session(served.demo.folder);
  const fs::path elsewhere = served.archive.root() / "elsewhere";
  fs::rename(folder, elsewhere);
  fs::create_directory_symlink(elsewhere, folder);
  ASSERT_TRUE(fs::exists(folder / "frame_000001.jpg"));  // reachable through the link
  expect_refused("/api/frames/" + std::to_string(served.demo.id) + "/1.jpg");
  // A frame file that is a symbolic link to the catalog.
  const fs::path frame = served.archive.frame_file(served.standup, 2);
  fs::remove(frame);
  fs::create_symlink(served.archive.paths().catalog(), frame);
  expect_refused("/api/frames/" + std::to_string(served.standup.id) + "/2.jpg");
  expect_good_client_served();
}

TEST_F(Serve, HugeHeadersAndOtherMethodsAreRefused) {
  const std::string big(100 * 1024, 'a');
  HttpAnswer a = http_raw(server.port, "GET /api/sessions HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(a.status, 431);
  std::string many;
  for (int i = 0; i < 200; ++i) many += "X-Field-" + std::to_string(i) + ": 1\r\n";
  a = http_raw(server.port, "GET /api/sessions HTTP/1.1\r\nHost: x\r\n" + many + "\r\n");
  EXPECT_EQ(a.status, 431);
  a = http_raw(server.port, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'x'));
  EXPECT_EQ(a.status, 413);
  a = http_raw(server.port, "DELETE /api/sessions/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(a.status, 405);
  a = http_raw(server.port, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(a.status, 400);
  expect_good_client_served();
}

TEST_F(Serve, TwoHundredIdleConnectionsDoNotLockOutAGoodClient) {
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    const int fd = connect_to(server.port);
    ASSERT_GE(fd, 0) << "connection " << i;
    idle.push_back(fd);
  }
  // One more that sends half a request and stops (a slow client).
  const int slow = connect_to(server.port);
  ASSERT_GE(slow, 0);
  ASSERT_GT(::send(slow, "GET /api/sess", 13, MSG_NOSIGNAL), 0);
  for (int i = 0; i < 3; ++i) expect_good_client_served();
  // The server kept at most --max-clients (16) of them: the others were closed to make room.
  std::size_t closed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    closed = 0;
    for (const int fd : idle) {
      pollfd p{fd, POLLIN, 0};
      char c;
      if (::poll(&p, 1, 0) == 1 && ::recv(fd, &c, 1, MSG_PEEK) == 0) ++closed;
    }
    if (closed >= 200 - 16) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(closed, 200u - 16u);
  for (const int fd : idle) ::close(fd);
  ::close(slow);
  EXPECT_TRUE(server.process->running());
}

TEST(ServeAlone, ASilentConnectionIsClosedAfterTheIdleTimeout) {
  ServedArchive served;
  RunningServe server = start_serve(served.archive.root(), {"--idle-timeout", "1"});
  ASSERT_NE(server.port, 0);
  const int fd = connect_to(server.port);  // receives with a 20 s timeout
  ASSERT_GE(fd, 0);
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // closed by the server, not by the receive timeout
  ::close(fd);
  EXPECT_EQ(http_get(server.port, "/api/sessions").status, 200);
}

// A frame is sent from its open file (sendfile) while the server goes on serving: a reader slower
// than the socket's buffers makes it wait, not block, and gets every byte on a connection that
// stays usable for the next request.
TEST_F(Serve, ABigFrameReachesASlowReaderWholeWhileOthersAreServed) {
  const std::string bytes = replace_with_bytes(served.archive.frame_file(served.standup, 2), 16 << 20);
  const int fd = connect_small_buffer(server.port);
  ASSERT_GE(fd, 0);
  const std::string id = std::to_string(served.standup.id);
  ASSERT_TRUE(send_all(fd, "GET /api/frames/" + id + "/2.jpg HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the buffers between us fill up
  for (int i = 0; i < 3; ++i) expect_good_client_served();
  HttpAnswer a = read_answer(fd);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body.size(), bytes.size());
  EXPECT_TRUE(a.body == bytes) << "the frame's bytes differ from its file's";
  ASSERT_TRUE(send_all(fd, "GET /api/frames/" + id + "/3.jpg HTTP/1.1\r\nHost: x\r\n\r\n"));
  a = read_answer(fd);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, read_file(served.archive.frame_file(served.standup, 3)));
  ASSERT_TRUE(send_all(fd, "GET /api/sessions HTTP/1.1\r\nHost: x\r\n\r\n"));
  a = read_answer(fd);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body, nullptr, false)["total"], 2);
  ::close(fd);
}

// A reader that stops taking a frame is closed after the idle time, as a silent one is, and
// holds nothing of the server's.
TEST(ServeAlone, AReaderThatStopsMidFrameIsClosedAfterTheIdleTimeout) {
  ServedArchive served;
  const std::string bytes = replace_with_bytes(served.archive.frame_file(served.standup, 2), 16 << 20);
  RunningServe server = start_serve(served.archive.root(), {"--idle-timeout", "1"});
  ASSERT_NE(server.port, 0);
  const int fd = connect_small_buffer(server.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "GET /api/frames/" + std::to_string(served.standup.id) + "/2.jpg HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const HttpAnswer a = read_answer(fd);  // what was in the buffers, then the server's close
  EXPECT_EQ(a.status, 200);
  EXPECT_LT(a.body.size(), bytes.size()) << "the frame was still sent after the idle timeout";
  EXPECT_EQ(bytes.compare(0, a.body.size(), a.body), 0);
  ::close(fd);
  EXPECT_EQ(http_get(server.port, "/api/sessions").status, 200);
}

TEST(ServeAlone, AnAddressBeyondLoopbackNeedsATokenFile) {
  ServedArchive served;
  const RunResult r = replay(served.archive.root(), {"serve", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--token-file"), std::string::npos) << r.err;
}

TEST(ServeAlone, AWrongTokenIsRefusedAndTheRightOneLetsIn) {
  ServedArchive served;
  const fs::path token_file = served.archive.root() / "token";
  const std::string token = "0123456789abcdef0123456789abcdef";
  std::ofstream(token_file) << token << "\n";
  fs::permissions(token_file, fs::perms::owner_read | fs::perms::owner_write);
  RunningServe server = start_serve(served.archive.root(), {"--token-file", token_file.string()});
  ASSERT_NE(server.port, 0);
  EXPECT_EQ(http_get(server.port, "/api/sessions").status, 401);
  EXPECT_EQ(http_get(server.port, "/api/frames/1/1.jpg").status, 401);
  EXPECT_EQ(http_get(server.port, "/api/sessions", "Authorization: Bearer wrong-token-wrong-token\r\n").status, 401);
  EXPECT_EQ(http_get(server.port, "/api/sessions", "Cookie: screenreel_session=" + token + "\r\n").status, 401);
  EXPECT_EQ(http_get(server.port, "/api/sessions", "Authorization: Bearer " + token + "\r\n").status, 200);
  HttpAnswer page = http_get(server.port, "/");
  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(page.header("location"), "/login");
  EXPECT_EQ(http_get(server.port, "/login").status, 200);
  const auto login = [&](const std::string& body) {
    return http_raw(server.port, "POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                                 "application/x-www-form-urlencoded\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  EXPECT_EQ(login("token=not-the-token").status, 401);
  const HttpAnswer ok = login("token=" + token);
  EXPECT_EQ(ok.status, 303);
  const std::string cookie = ok.header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find(token), std::string::npos) << "the cookie must not carry the token";
  const std::string value = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(http_get(server.port, "/api/sessions", "Cookie: a=b; " + value + "\r\n").status, 200);
  EXPECT_EQ(http_get(server.port, "/", "Cookie: " + value + "\r\n").status, 200);
}

// Frames 3 and 4 repeat frame 2 (nothing changed); then no frame for 2.3 s, and the client's ticks
// jump from 4 to 40.
SessionRecord record_still_and_gap(FixtureArchive& archive) {
  return archive.record("still", {{0, 1}, {100'000, 2}, {200'000, 3, 2}, {300'000, 4, 2}, {2'600'000, 40}, {2'700'000, 41}});
}

TEST_F(Serve, TheTimelineGivesActivityPerSecondGapsAndSkippedTicks) {
  const SessionRecord s = record_still_and_gap(served.archive);
  const std::string id = std::to_string(s.id);
  json j = get_json("/api/sessions/" + id + "/timeline");
  EXPECT_EQ(j["bucket_us"], 1'000'000);
  EXPECT_EQ(j["end_us"], 2'700'000);
  EXPECT_EQ(j["frames"], (std::vector<int>{4, 0, 2}));
  ASSERT_EQ(j["activity"].size(), 3u);
  EXPECT_EQ(j["activity"][0], 1.0) << "the first frame changed all of the screen";
  EXPECT_EQ(j["activity"][1], 0.0);
  EXPECT_GT(j["activity"][2].get<double>(), 0.0);
  EXPECT_GE(j["changed_tiles"][0].get<int>(), 6) << "160x120: the first frame's 6 tiles, and frame 2's";
  EXPECT_EQ(j["skipped_ticks"], (std::vector<int>{0, 0, 35})) << "ticks 5 to 39 were not stored";
  ASSERT_EQ(j["gaps"].size(), 1u);
  EXPECT_EQ(j["gaps"][0]["from_us"], 300'000);
  EXPECT_EQ(j["gaps"][0]["to_us"], 2'600'000);
  EXPECT_EQ(j["unmeasured_frames"], 0);
  // Finer buckets, a longer gap allowed.
  j = get_json("/api/sessions/" + id + "/timeline?bucket=100000&gap=5000000");
  EXPECT_EQ(j["activity"].size(), 28u);
  EXPECT_TRUE(j["gaps"].empty());
  // The repeats (frames 3 and 4) changed nothing.
  EXPECT_EQ(j["activity"][2], 0.0);
  EXPECT_EQ(j["activity"][3], 0.0);
  get_json("/api/sessions/" + id + "/timeline?bucket=5", 400);
  get_json("/api/sessions/" + id + "/timeline?bucket=x", 400);
  get_json("/api/sessions/999/timeline", 404);
}

TEST_F(Serve, NextAndPreviousChangeSkipFramesThatChangedNothing) {
  const SessionRecord s = record_still_and_gap(served.archive);
  const std::string id = std::to_string(s.id);
  json j = get_json("/api/sessions/" + id + "/change?after=2");
  EXPECT_EQ(j["frame"]["number"], 5) << "frames 3 and 4 repeat frame 2";
  EXPECT_EQ(j["frame"]["offset_us"], 2'600'000);
  EXPECT_GT(j["frame"]["changed_share"].get<double>(), 0.0);
  EXPECT_EQ(get_json("/api/sessions/" + id + "/change?before=5")["frame"]["number"], 2);
  EXPECT_EQ(get_json("/api/sessions/" + id + "/change?before=2")["frame"]["number"], 1);
  EXPECT_EQ(get_json("/api/sessions/" + id + "/change?after=6")["frame"], nullptr);
  get_json("/api/sessions/" + id + "/change", 400);
  get_json("/api/sessions/" + id + "/change?after=1&before=3", 400);
}

TEST_F(Serve, SearchHitsCarryTheirFrameAndTheMatchedWordsBoxes) {
  json j = get_json("/api/search?q=denied");
  ASSERT_EQ(j["hits"].size(), 1u);
  const auto& hit = j["hits"][0];
  EXPECT_EQ(hit["thumbnail"], "/api/frames/" + std::to_string(served.standup.id) + "/4.jpg");
  EXPECT_EQ(hit["width"], kWidth);
  EXPECT_EQ(hit["height"], kHeight);
  // Only the word that matched: "denied" at (88, 10), 48 x 10.
  ASSERT_EQ(hit["highlights"].size(), 1u);
  EXPECT_EQ(hit["highlights"][0], (json{{"x", 88}, {"y", 10}, {"width", 48}, {"height", 10}}));
  j = get_json("/api/search?q=permission+denied");
  EXPECT_EQ(j["hits"][0]["highlights"].size(), 2u);
}

TEST_F(Serve, AFrameDownloadIsItsFileUnderANameSayingWhichFrame) {
  const std::string id = std::to_string(served.standup.id);
  const HttpAnswer a = http_get(server.port, "/api/frames/" + id + "/3.jpg?download");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("content-type"), "image/jpeg");
  EXPECT_EQ(a.header("content-disposition"), "attachment; filename=\"" + served.standup.folder + "-frame_000003.jpg\"");
  EXPECT_EQ(a.body, read_file(served.archive.frame_file(served.standup, 3)));
  EXPECT_EQ(http_get(server.port, "/api/frames/" + id + "/3.jpg").header("content-disposition"), "");
}

TEST_F(Serve, AnExportShowsItsProgressAndItsVideoIsDownloaded) {
  const std::string id = std::to_string(served.standup.id);
  const HttpAnswer started = http_post(server.port, "/api/sessions/" + id + "/export?scale=100");
  ASSERT_EQ(started.status, 202) << started.body;
  const json job = json::parse(started.body);
  const std::string status = job["status"];
  EXPECT_EQ(status, "/api/exports/" + std::to_string(job["job"].get<int>()));
  json j;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    j = get_json(status);
    if (j["state"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < until);
  ASSERT_EQ(j["state"], "done") << j.dump() << server.process->err();
  EXPECT_GT(j["total"].get<int>(), 0);
  EXPECT_EQ(j["done"], j["total"]) << "progress reached the end";
  const std::string file = j["file"];
  const HttpAnswer video = http_get(server.port, file);
  EXPECT_EQ(video.status, 200);
  EXPECT_EQ(video.header("content-type"), "video/mp4");
  EXPECT_NE(video.header("content-disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(video.body.size(), j["bytes"].get<std::size_t>());
  EXPECT_EQ(video.body.substr(4, 4), "ftyp") << "an MP4 file";
  // Bad requests.
  EXPECT_EQ(http_post(server.port, "/api/sessions/999/export").status, 404);
  EXPECT_EQ(http_post(server.port, "/api/sessions/" + id + "/export?scale=1000").status, 400);
  EXPECT_EQ(http_post(server.port, "/api/sessions/" + id).status, 405);
  get_json("/api/exports/999", 404);
  get_json(file + "x", 404);
  expect_good_client_served();
}

// --tls: HTTPS with the receiver's certificate options; a plain-HTTP request on that port, or a
// client that never starts its handshake, gets nothing and costs a good client nothing.
TEST(ServeAlone, WithTlsItServesHttpsAndAPlainRequestGetsNothing) {
  ServedArchive served;
  const fs::path dir = served.archive.root() / "tls";
  fs::create_directories(dir);
  make_certificate(dir, "serve");
  RunningServe server = start_serve(served.archive.root(),
                                    {"--tls", "--tls-cert", (dir / "serve.pem").string(), "--tls-key",
                                     (dir / "serve-key.pem").string(), "--idle-timeout", "3"});
  ASSERT_NE(server.port, 0);
  EXPECT_NE(server.process->err().find("at https://127.0.0.1:"), std::string::npos) << server.process->err();
  const HttpAnswer sessions = https_get(server.port, "/api/sessions", dir / "serve.pem");
  EXPECT_EQ(sessions.status, 200) << server.process->err();
  EXPECT_EQ(json::parse(sessions.body, nullptr, false)["total"], 2);
  const std::string frame = "/api/frames/" + std::to_string(served.standup.id) + "/3.jpg";
  EXPECT_EQ(https_get(server.port, frame, dir / "serve.pem").body, read_file(served.archive.frame_file(served.standup, 3)));
  // A frame bigger than the pieces a file is sent in through TLS arrives whole.
  const std::string big = replace_with_bytes(served.archive.frame_file(served.standup, 4), 3 << 20);
  EXPECT_TRUE(https_get(server.port, "/api/frames/" + std::to_string(served.standup.id) + "/4.jpg", dir / "serve.pem").body ==
              big);
  // A silent client holds a connection while a plain-HTTP client asks: no answer, no byte of the archive.
  const int silent = connect_to(server.port);
  ASSERT_GE(silent, 0);
  const HttpAnswer plain = http_get(server.port, "/api/sessions");
  EXPECT_EQ(plain.status, 0) << "a plain-HTTP request on the TLS port is answered: " << plain.body;
  EXPECT_EQ(plain.body.find("standup"), std::string::npos);
  EXPECT_EQ(https_get(server.port, "/api/sessions", dir / "serve.pem").status, 200) << server.process->err();
  // A client that does not trust the certificate does not get through.
  make_certificate(dir, "stranger");
  EXPECT_EQ(https_get(server.port, "/api/sessions", dir / "stranger.pem").status, 0);
  EXPECT_EQ(https_get(server.port, frame, dir / "serve.pem").status, 200) << server.process->err();
  ::close(silent);
  server.process->signal(SIGINT);
  EXPECT_EQ(server.process->wait_for(std::chrono::seconds(10)), 0) << server.process->err();
}

TEST(ServeAlone, TlsOptionsAreCheckedAtStart) {
  FixtureArchive archive;
  Process missing({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "serve", "--tls"});
  EXPECT_EQ(missing.wait_for(std::chrono::seconds(10)), 2);
  EXPECT_NE(missing.err().find("--tls needs --tls-cert and --tls-key"), std::string::npos) << missing.err();
  Process stray({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "serve", "--tls-cert", "x.pem"});
  EXPECT_EQ(stray.wait_for(std::chrono::seconds(10)), 2);
  EXPECT_NE(stray.err().find("go with --tls"), std::string::npos) << stray.err();
  Process absent({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "serve", "--tls", "--tls-cert",
                  "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"});
  EXPECT_EQ(absent.wait_for(std::chrono::seconds(10)), 1);
  EXPECT_NE(absent.err().find("cannot use --tls-cert /nonexistent/cert.pem"), std::string::npos) << absent.err();
}

// SIGINT while an export runs: the export stops at its next frame, its partial video is removed
// with the exports' folder, and serve exits 0 with one line saying so.
TEST(ServeAlone, SigintDuringAnExportRemovesItsPartialFileAndExitsZero) {
  FixtureArchive archive;
  // 1280x720 frames over an hour at 10 fps: 36,000 frames to encode, far more than a test waits for.
  archive.set_frame_size(1280, 720);
  std::vector<FixtureFrame> frames = evenly(10, 100'000);
  frames.push_back({3'600'000'000, 11});
  const SessionRecord s = archive.record("long", frames);
  const fs::path tmp = archive.root() / "tmp";
  fs::create_directories(tmp);
  RunningServe server = start_serve(archive.root(), {}, {{"TMPDIR", tmp.string()}});
  ASSERT_NE(server.port, 0);
  const HttpAnswer started = http_post(server.port, "/api/sessions/" + std::to_string(s.id) + "/export?scale=100");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string status = json::parse(started.body)["status"];
  json j;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    j = json::parse(http_get(server.port, status).body, nullptr, false);
    if (j["state"] != "running" || j["done"].get<int>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  ASSERT_EQ(j["state"], "running") << j.dump() << server.process->err();
  ASSERT_GT(j["done"].get<int>(), 0) << "the export writes frames";
  const auto exports = [&] {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(tmp)) files.push_back(e.path());
    return files;
  };
  ASSERT_FALSE(exports().empty()) << "the export writes under TMPDIR";
  const std::size_t before = server.process->err().size();
  server.process->signal(SIGINT);
  EXPECT_EQ(server.process->wait_for(std::chrono::seconds(20)), 0) << server.process->err();
  const std::string said = server.process->err().substr(before);
  // Its own lines (libx264 adds its statistics as the encoder is closed).
  std::size_t lines = 0;
  for (auto at = said.find("screenreel-replay: "); at != std::string::npos; at = said.find("screenreel-replay: ", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << said;
  EXPECT_NE(said.find("stopped; export 1 (session " + std::to_string(s.id) + ") was cut short and its file removed"),
            std::string::npos)
      << said;
  EXPECT_TRUE(exports().empty()) << "left behind: " << exports().front();
}

}  // namespace
}  // namespace screenreel::test

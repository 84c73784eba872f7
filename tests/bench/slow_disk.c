/* An LD_PRELOAD shim that makes one folder behave like a slow disk, for scripts/bench.sh's
 * throttled run (the receiver must stay bounded in memory and the client must drop ticks when
 * the disk cannot keep up). It needs no root, no cgroup and no change to the program under test.
 *
 *   SCREENREEL_SLOW_DISK_DIR=/abs/archive      files opened under this folder are slowed
 *   SCREENREEL_SLOW_DISK_BYTES_PER_S=N         their write/pwrite bytes go through at N bytes/s
 *   SCREENREEL_SLOW_DISK_OP_US=N               rename/link/fdatasync under it take N us (default 0)
 *
 * The disk is modelled as one device shared by every thread: each write reserves its time on a
 * single timeline and sleeps until its slot ends, so two encoder threads writing at once do not
 * get twice the bandwidth. Only the calling thread sleeps; nothing is buffered or reordered.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum { kMaxFd = 65536 };

static atomic_uchar slow_fd[kMaxFd]; /* 1: this descriptor is a file under the slow folder */
static char slow_dir[4096];
static size_t slow_dir_len;
static double bytes_per_s;
static long op_us;
static pthread_mutex_t disk_mutex = PTHREAD_MUTEX_INITIALIZER;
static int64_t disk_busy_until_ns; /* when the modelled device finishes what it was given */

static int (*real_open)(const char*, int, ...);
static int (*real_open64)(const char*, int, ...);
static int (*real_openat)(int, const char*, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void*, size_t);
static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void*, size_t, off_t);
static int (*real_rename)(const char*, const char*);
static int (*real_link)(const char*, const char*);
static int (*real_fdatasync)(int);

/* Also called lazily: a library's constructor may open a file before this one has run. */
__attribute__((constructor)) static void slow_disk_init(void) {
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_close = dlsym(RTLD_NEXT, "close");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
  real_rename = dlsym(RTLD_NEXT, "rename");
  real_link = dlsym(RTLD_NEXT, "link");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  const char* dir = getenv("SCREENREEL_SLOW_DISK_DIR");
  const char* rate = getenv("SCREENREEL_SLOW_DISK_BYTES_PER_S");
  const char* op = getenv("SCREENREEL_SLOW_DISK_OP_US");
  if (dir && dir[0] == '/' && strlen(dir) < sizeof slow_dir) {
    strcpy(slow_dir, dir);
    slow_dir_len = strlen(slow_dir);
    while (slow_dir_len > 1 && slow_dir[slow_dir_len - 1] == '/') slow_dir[--slow_dir_len] = '\0';
  }
  bytes_per_s = rate ? atof(rate) : 0;
  op_us = op ? atol(op) : 0;
}

static void ready(void) {
  if (!real_close) slow_disk_init();
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Occupies the modelled device for `ns` after what it already has, and sleeps until then. */
static void occupy_disk(int64_t ns) {
  if (ns <= 0) return;
  pthread_mutex_lock(&disk_mutex);
  const int64_t now = now_ns();
  const int64_t start = disk_busy_until_ns > now ? disk_busy_until_ns : now;
  const int64_t end = start + ns;
  disk_busy_until_ns = end;
  pthread_mutex_unlock(&disk_mutex);
  struct timespec until = {(time_t)(end / 1000000000), (long)(end % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) != 0) {
  }
}

static void slow_bytes(int fd, size_t n) {
  if (fd < 0 || fd >= kMaxFd || !atomic_load(&slow_fd[fd]) || bytes_per_s <= 0) return;
  occupy_disk((int64_t)((double)n * 1e9 / bytes_per_s));
}

/* Whether `path` (absolute, or relative to the working directory) lies under the slow folder. */
static int under_slow_dir(const char* path) {
  if (!slow_dir_len || !path) return 0;
  char buf[8192];
  if (path[0] != '/') {
    if (!getcwd(buf, sizeof buf - 2)) return 0;
    size_t len = strlen(buf);
    if (len + 1 + strlen(path) >= sizeof buf) return 0;
    buf[len] = '/';
    strcpy(buf + len + 1, path);
    path = buf;
  }
  return strncmp(path, slow_dir, slow_dir_len) == 0 && (path[slow_dir_len] == '/' || path[slow_dir_len] == '\0');
}

static void slow_op(const char* path) {
  if (op_us > 0 && under_slow_dir(path)) occupy_disk((int64_t)op_us * 1000);
}

static int track(int fd, const char* path) {
  if (fd >= 0 && fd < kMaxFd) atomic_store(&slow_fd[fd], (unsigned char)under_slow_dir(path));
  return fd;
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
  ready();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return track(real_open(path, flags, mode), path);
}

int open64(const char* path, int flags, ...) {
  ready();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return track(real_open64(path, flags, mode), path);
}

int openat(int dirfd, const char* path, int flags, ...) {
  ready();
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_openat(dirfd, path, flags, mode);
  /* Relative to another folder: not resolved here (the receiver and SQLite do not do this). */
  return dirfd == AT_FDCWD || path[0] == '/' ? track(fd, path) : fd;
}

int close(int fd) {
  ready();
  if (fd >= 0 && fd < kMaxFd) atomic_store(&slow_fd[fd], 0);
  return real_close(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  ready();
  slow_bytes(fd, n);
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  ready();
  slow_bytes(fd, n);
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  ready();
  slow_bytes(fd, n);
  return real_pwrite64(fd, buf, n, off);
}

int rename(const char* from, const char* to) {
  ready();
  slow_op(to);
  return real_rename(from, to);
}

int link(const char* from, const char* to) {
  ready();
  slow_op(to);
  return real_link(from, to);
}

int fdatasync(int fd) {
  ready();
  if (op_us > 0 && fd >= 0 && fd < kMaxFd && atomic_load(&slow_fd[fd])) occupy_disk((int64_t)op_us * 1000);
  return real_fdatasync(fd);
}

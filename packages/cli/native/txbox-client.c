/*
 * The native thin client of `txbox serve` (ADR 0008): `txbox run` and `txbox policy check` sent to
 * the warm daemon without paying Node's start (~150-200 ms here, against ~1 ms for this program).
 *
 * It speaks the daemon's protocol exactly as lib/client.js does (packages/runtime/src/daemon):
 * the same socket path (a sha256 of the journal key), the same build id (package versions and
 * stamps of package.json, tsconfig.tsbuildinfo and lib/index.js), the same request frame, and it
 * copies the daemon's out/err frames to fd 1/2 byte for byte and exits with the exit frame's code.
 *
 * Everything else it hands to the Node client, unchanged (execv of node with bin/txbox.js and the
 * same arguments): other commands, --no-daemon, TXBOX_NO_DAEMON, TXBOX_CRASH_AT, `policy check
 * --batch`, `mcp`, no daemon listening (Node starts one), a stale or protocol-1 daemon (Node starts
 * or replaces it), and any input it cannot reproduce byte-exactly (text that is not valid UTF-8,
 * which Node would decode lossily). So it never decides differently from the Node client: at worst
 * it costs one exec more.
 *
 * C99 and POSIX only; built by packages/cli/native/build (called from scripts/bootstrap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PROTOCOL_VERSION 2
static const char LEGACY_MISMATCH[] = "txbox: daemon protocol mismatch\n";

extern char **environ;

/* ---------- handing over to the Node client ---------- */
static char g_root[PATH_MAX]; /* the txbox package directory (packages/cli) */
static char **g_argv;

/* Run the command with the Node client instead: the same arguments, environment and cwd. */
static void node_client(void) {
  char script[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/bin/txbox.js", g_root);
  int argc = 0;
  while (g_argv[argc]) argc++;
  char **av = calloc((size_t)argc + 2, sizeof *av);
  if (!av) abort();
  av[0] = "node";
  av[1] = script;
  for (int i = 1; i < argc; i++) av[i + 1] = g_argv[i];
  execvp("node", av);
  dprintf(2, "txbox: cannot run node (%s); install Node.js 20 or newer\n", strerror(errno));
  _exit(127);
}

/* ---------- talking to the daemon ---------- */

static double epoch_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int g_out_broken[3];
/* Write all of `n` bytes to fd; a reader that went away (EPIPE) only drops what follows, as the
 * Node client does (the command still runs to its end and is recorded). */
static void write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0 && !g_out_broken[fd]) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      g_out_broken[fd] = 1;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

static int b64v(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
/* Decode base64 in place; returns the byte count. */
static size_t b64_decode(char *s, size_t n) {
  unsigned char *o = (unsigned char *)s;
  size_t out = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64v((unsigned char)s[i]);
    if (v < 0) continue;
    acc = acc << 6 | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[out++] = (unsigned char)(acc >> bits);
    }
  }
  return out;
}

/* The string value of "key":"…" in a frame line (no escapes in the daemon's frames' t and d). */
static char *field(char *line, const char *key, size_t *len) {
  char pat[32];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  char *at = strstr(line, pat);
  if (!at) return NULL;
  at += strlen(pat);
  char *end = strchr(at, '"');
  if (!end) return NULL;
  *len = (size_t)(end - at);
  return at;
}

enum answer { A_EXIT, A_STALE, A_LEGACY, A_LOST };

/* Relay the daemon's frames (lib/client.js `exchange`); how the attempt ended, and the code. */
static enum answer relay(int fd, int *code) {
  buf in = {0};
  char chunk[65536];
  int first = 1, legacy = 0;
  size_t start = 0;
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    put(&in, chunk, (size_t)got);
    char *nl;
    while ((nl = memchr(in.p + start, '\n', in.n - start)) != NULL) {
      char *line = in.p + start;
      *nl = 0;
      start = (size_t)(nl - in.p) + 1;
      size_t tl, dl;
      char *t = field(line, "t", &tl);
      if (!t) continue;
      int is_first = first;
      first = 0;
      if (tl == 3 && memcmp(t, "ack", 3) == 0) {
        const char eof[] = "{\"t\":\"eof\"}\n";
        (void)!write(fd, eof, sizeof eof - 1);
      } else if (tl == 5 && memcmp(t, "stale", 5) == 0) {
        free(in.p);
        return A_STALE;
      } else if (tl == 3 && (memcmp(t, "out", 3) == 0 || memcmp(t, "err", 3) == 0)) {
        char *d = field(line, "d", &dl);
        if (!d) continue;
        size_t n = b64_decode(d, dl);
        int to = t[0] == 'o' ? 1 : 2;
        if (to == 2 && is_first && n == sizeof LEGACY_MISMATCH - 1 &&
            memcmp(d, LEGACY_MISMATCH, n) == 0)
          legacy = 1;
        else write_all(to, (unsigned char *)d, n);
      } else if (tl == 4 && memcmp(t, "exit", 4) == 0) {
        char *c = strstr(line, "\"code\":");
        *code = c ? atoi(c + 7) : 1;
        free(in.p);
        return legacy ? A_LEGACY : A_EXIT;
      }
    }
    if (start > 0) {
      memmove(in.p, in.p + start, in.n - start);
      in.n -= start;
      start = 0;
    }
  }
  free(in.p);
  return A_LOST;
}

/* The request frame (protocol.ts ClientFrame "req"); 0 when some text is not valid UTF-8. */
static int request(buf *b, const char *version, const char *build, int argc, char **argv,
                   const char *cwd, double t0) {
  char num[32];
  puts_(b, "{\"t\":\"req\",\"v\":");
  snprintf(num, sizeof num, "%d", PROTOCOL_VERSION);
  puts_(b, num);
  puts_(b, ",\"version\":");
  json_str(b, version);
  puts_(b, ",\"build\":");
  json_str(b, build);
  /* argv as process.argv: node, the script, the arguments (main reads from the third on) */
  char script[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/bin/txbox.js", g_root);
  puts_(b, ",\"argv\":[\"node\",");
  json_str(b, script);
  for (int i = 1; i < argc; i++) {
    if (!utf8_ok(argv[i])) return 0;
    puts_(b, ",");
    json_str(b, argv[i]);
  }
  puts_(b, "],\"cwd\":");
  if (!utf8_ok(cwd)) return 0;
  json_str(b, cwd);
  /* the environment as process.env: the first of duplicate names wins */
  puts_(b, ",\"env\":{");
  int any = 0;
  for (char **e = environ; *e; e++) {
    char *eq = strchr(*e, '=');
    if (!eq || eq == *e) continue;
    size_t kl = (size_t)(eq - *e);
    int dup = 0;
    for (char **f = environ; f < e && !dup; f++)
      dup = strncmp(*f, *e, kl) == 0 && (*f)[kl] == '=';
    if (dup) continue;
    if (!utf8_ok(*e)) return 0;
    char *name = strndup(*e, kl);
    if (any) puts_(b, ",");
    any = 1;
    json_str(b, name);
    free(name);
    puts_(b, ":");
    json_str(b, eq + 1);
  }
  puts_(b, "},\"clock\":{\"processStart\":");
  js_number(b, t0);
  puts_(b, ",\"mainStart\":");
  js_number(b, t0);
  puts_(b, ",\"sentAt\":");
  js_number(b, epoch_ms());
  puts_(b, "}}\n");
  return 1;
}

/* lib/client.js `forDaemon` for the commands this client serves (`run`, `policy check`). */
static int for_daemon(int argc, char **argv, int *words_end) {
  int n = 1;
  while (n < argc && strcmp(argv[n], "--") != 0) n++;
  *words_end = n;
  for (int i = 1; i < n; i++)
    if (strcmp(argv[i], "--no-daemon") == 0) return 0;
  const char *nd = env_("TXBOX_NO_DAEMON");
  if (set(nd) && strcmp(nd, "0") != 0) return 0;
  if (set(env_("TXBOX_CRASH_AT"))) return 0;
  if (n < 2) return 0;
  if (strcmp(argv[1], "run") == 0) return 1;
  if (strcmp(argv[1], "policy") != 0 || n < 3 || strcmp(argv[2], "check") != 0) return 0;
  for (int i = 1; i < n; i++)
    if (strcmp(argv[i], "--batch") == 0) return 0;
  return 1;
}

/* protocol.ts `configArg` over the words before `--`: NULL when absent. */
static const char *config_arg(int words_end, char **argv) {
  for (int i = 1; i < words_end; i++) {
    if (strcmp(argv[i], "--config") == 0) return i + 1 < words_end ? argv[i + 1] : NULL;
    if (strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return NULL;
}

int main(int argc, char **argv) {
  double t0 = epoch_ms();
  g_argv = argv;
  char exe[PATH_MAX];
  if (!realpath("/proc/self/exe", exe)) {
    dprintf(2, "txbox: cannot find its own package (%s)\n", strerror(errno));
    return 127;
  }
  /* <root>/native/txbox-client */
  snprintf(g_root, sizeof g_root, "%s", exe);
  dirname_(g_root);
  dirname_(g_root);

  int words_end;
  if (!for_daemon(argc, argv, &words_end)) node_client();
  signal(SIGPIPE, SIG_IGN);
  char cwd[PATH_MAX], path[PATH_MAX * 2], version[128], build[17];
  if (!getcwd(cwd, sizeof cwd)) node_client();
  if (!socket_path(path, sizeof path, cwd, config_arg(words_end, argv))) node_client();
  if (!build_info(g_root, version, build)) node_client();

  /* For the tests: what this client computed, to compare with the Node client's own. */
  if (set(env_("TXBOX_NATIVE_PROBE"))) {
    printf("%s %s %s\n", version, build, path);
    return 0;
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) node_client();
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* Nobody listening (or anything unusual): the Node client starts the daemon or says why. */
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) node_client();

  buf req = {0};
  if (!request(&req, version, build, argc, argv, cwd, t0)) node_client();
  const char *p = req.p;
  size_t left = req.n;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= (size_t)w;
  }
  free(req.p);
  int code = 1;
  switch (relay(fd, &code)) {
  case A_EXIT:
    close(fd);
    return code & 0xff;
  case A_STALE:  /* the daemon stopped listening: the Node client starts one of this build */
  case A_LEGACY: /* a protocol-1 daemon: the Node client retires it */
    close(fd);
    node_client();
    return 1;
  case A_LOST:
  default:
  {
    static const char lost[] =
        "txbox: error [E_DAEMON]: the daemon closed the connection mid-command\n"
        "hint: see `txbox serve --status`; rerun with --no-daemon\n";
    write_all(2, (const unsigned char *)lost, sizeof lost - 1);
    return 1;
  }
  }
}

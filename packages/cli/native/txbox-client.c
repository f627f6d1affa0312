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

#define PROTOCOL_VERSION 2
static const char LEGACY_MISMATCH[] = "txbox: daemon protocol mismatch\n";

extern char **environ;

/* ---------- growable buffer ---------- */
typedef struct {
  char *p;
  size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

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

/* ---------- sha256 (FIPS 180-4) ---------- */
typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char blk[64];
  size_t fill;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void sha_block(sha256 *s, const unsigned char *p) {
  uint32_t w[64], a[8];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(a, s->h, sizeof a);
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
                  ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
    uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
                  ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
    memmove(a + 1, a, 7 * sizeof *a);
    a[4] += t1;
    a[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) s->h[i] += a[i];
}
static void sha_init(sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->fill = 0;
}
static void sha_update(sha256 *s, const void *data, size_t n) {
  const unsigned char *p = data;
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->fill < n ? 64 - s->fill : n;
    memcpy(s->blk + s->fill, p, take);
    s->fill += take;
    p += take;
    n -= take;
    if (s->fill == 64) {
      sha_block(s, s->blk);
      s->fill = 0;
    }
  }
}
/* The first 16 hex digits of the digest, as the Node side's `.digest("hex").slice(0, 16)`. */
static void sha_hex16(sha256 *s, char out[17]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80, zero = 0, len[8];
  sha_update(s, &pad, 1);
  while (s->fill != 56) sha_update(s, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha_update(s, len, 8);
  for (int i = 0; i < 8; i++) sprintf(out + 2 * i, "%02x", (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
  out[16] = 0;
}

/* ---------- text as Node sees it ---------- */

/* Whether `s` is valid UTF-8 (no overlongs, surrogates or values past U+10FFFF): only then does
 * Node read it unchanged, so only then can this client reproduce its request byte for byte. */
static int utf8_ok(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    unsigned c = *s;
    int n;
    unsigned min;
    if (c < 0x80) {
      s++;
      continue;
    } else if ((c & 0xe0) == 0xc0) n = 1, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0) n = 2, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0) n = 3, min = 0x10000, c &= 0x07;
    else return 0;
    s++;
    for (int i = 0; i < n; i++, s++) {
      if ((*s & 0xc0) != 0x80) return 0;
      c = c << 6 | (*s & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  }
  return 1;
}

/* `s` as a JSON string, as JSON.stringify writes it (valid UTF-8 passes unchanged). */
static void json_str(buf *b, const char *s) {
  put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"') puts_(b, "\\\"");
    else if (c == '\\') puts_(b, "\\\\");
    else if (c == '\n') puts_(b, "\\n");
    else if (c == '\r') puts_(b, "\\r");
    else if (c == '\t') puts_(b, "\\t");
    else if (c == '\b') puts_(b, "\\b");
    else if (c == '\f') puts_(b, "\\f");
    else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      puts_(b, esc);
    } else put(b, (const char *)&c, 1);
  }
  put(b, "\"", 1);
}

/* A number as JavaScript's Number#toString writes it, for the values used here (finite, below
 * 1e21): the fewest decimals that read back as the same double. */
static void js_number(buf *b, double v) {
  char s[64];
  for (int d = 0; d <= 20; d++) {
    snprintf(s, sizeof s, "%.*f", d, v);
    if (strtod(s, NULL) == v) break;
  }
  if (strcmp(s, "-0") == 0) strcpy(s, "0");
  puts_(b, s);
}

/* ---------- paths, as node:path's posix resolve/join/dirname ---------- */

/* Normalise an absolute path: no ".", "..", empty segments or trailing slash. */
static void normalize(char *path) {
  char out[PATH_MAX * 2 + 2];
  size_t n = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *seg = p;
    while (*p && *p != '/') p++;
    size_t len = (size_t)(p - seg);
    if (len == 0 || (len == 1 && seg[0] == '.')) continue;
    if (len == 2 && seg[0] == '.' && seg[1] == '.') {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--;
      continue;
    }
    out[n++] = '/';
    memcpy(out + n, seg, len);
    n += len;
  }
  if (n == 0) out[n++] = '/';
  out[n] = 0;
  strcpy(path, out);
}

/* path.resolve(cwd, p) into `out` (PATH_MAX * 2). */
static void resolve(char *out, const char *cwd, const char *p) {
  if (p[0] == '/') snprintf(out, PATH_MAX * 2, "%s", p);
  else snprintf(out, PATH_MAX * 2, "%s/%s", cwd, p);
  normalize(out);
}

static void dirname_(char *path) {
  char *slash = strrchr(path, '/');
  if (slash == path) path[1] = 0;
  else if (slash) *slash = 0;
}

/* The nearest `name` at or above `cwd` (protocol.ts `nearest`); 0: none. */
static int nearest(char *out, const char *cwd, const char *name) {
  char dir[PATH_MAX * 2];
  resolve(dir, cwd, ".");
  for (;;) {
    snprintf(out, PATH_MAX * 2, "%s/%s", dir, name);
    normalize(out);
    if (access(out, F_OK) == 0) return 1;
    if (strcmp(dir, "/") == 0) return 0;
    dirname_(dir);
  }
}

static const char *env_(const char *name) {
  const char *v = getenv(name);
  return v;
}
static int set(const char *v) { return v != NULL && v[0] != 0; }

/* ---------- package.json, read just enough ---------- */

/* Skip one JSON value at *p; returns 0 on malformed input. */
static int skip_ws(const char **p) {
  while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++;
  return **p != 0;
}
/* A JSON string without escapes (names and versions of txbox packages have none) into out. */
static int read_str(const char **p, char *out, size_t cap) {
  if (**p != '"') return 0;
  (*p)++;
  size_t n = 0;
  while (**p && **p != '"') {
    if (**p == '\\' || n + 1 >= cap) return 0;
    out[n++] = *(*p)++;
  }
  if (**p != '"') return 0;
  (*p)++;
  out[n] = 0;
  return 1;
}
static int skip_value(const char **p) {
  if (!skip_ws(p)) return 0;
  char c = **p;
  if (c == '"') {
    for ((*p)++; **p && **p != '"'; (*p)++)
      if (**p == '\\' && !*++(*p)) return 0;
    if (!**p) return 0;
    (*p)++;
    return 1;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    (*p)++;
    if (!skip_ws(p)) return 0;
    if (**p == close) return (*p)++, 1;
    for (;;) {
      if (c == '{') {
        if (!skip_value(p) || !skip_ws(p) || **p != ':') return 0;
        (*p)++;
      }
      if (!skip_value(p) || !skip_ws(p)) return 0;
      if (**p == close) return (*p)++, 1;
      if (**p != ',') return 0;
      (*p)++;
    }
  }
  while (**p && strchr(",}] \n\r\t", **p) == NULL) (*p)++;
  return 1;
}

typedef struct {
  char version[128];
  int has_version;
  char deps[64][128]; /* the @txbox/ dependencies, sorted */
  int ndeps;
} manifest;

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

/* Read `version` and the @txbox/ dependency names of dir/package.json; 0: unreadable. A
 * value this reader cannot take exactly as JSON.parse would (escapes) also gives 0. */
static int read_manifest(const char *dir, manifest *m) {
  char path[PATH_MAX * 2 + 16];
  snprintf(path, sizeof path, "%s/package.json", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  buf b = {0};
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) put(&b, chunk, got);
  fclose(f);
  memset(m, 0, sizeof *m);
  const char *p = b.p ? b.p : "";
  int ok = skip_ws(&p) && *p == '{';
  if (ok) p++;
  while (ok && skip_ws(&p) && *p != '}') {
    char key[128];
    ok = read_str(&p, key, sizeof key) && skip_ws(&p) && *p == ':';
    if (!ok) break;
    p++;
    skip_ws(&p);
    if (strcmp(key, "version") == 0 && *p == '"') {
      ok = read_str(&p, m->version, sizeof m->version);
      m->has_version = 1;
    } else if (strcmp(key, "dependencies") == 0 && *p == '{') {
      m->ndeps = 0;
      p++;
      while (ok && skip_ws(&p) && *p != '}') {
        char name[128];
        ok = read_str(&p, name, sizeof name) && skip_ws(&p) && *p == ':';
        if (!ok) break;
        p++;
        ok = skip_value(&p) && skip_ws(&p);
        if (ok && strncmp(name, "@txbox/", 7) == 0 && m->ndeps < 64)
          strcpy(m->deps[m->ndeps++], name);
        if (ok && *p == ',') p++;
      }
      if (ok && *p == '}') p++;
    } else ok = skip_value(&p);
    if (ok && skip_ws(&p) && *p == ',') p++;
  }
  free(b.p);
  qsort(m->deps, (size_t)m->ndeps, sizeof m->deps[0], cmp_str);
  return ok;
}

/* build.ts `stamp`: "size mtimeMs", or "-". */
static void stamp(buf *b, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    puts_(b, "-");
    return;
  }
  char size[32];
  snprintf(size, sizeof size, "%lld ", (long long)st.st_size);
  puts_(b, size);
  /* Node: sec * 1e3 + nsec / 1e6, in doubles */
  js_number(b, (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6);
}

/* build.ts `buildInfo`; 0 when a manifest cannot be read exactly (then Node decides). */
static int build_info(char version[128], char build[17]) {
  manifest m;
  if (!read_manifest(g_root, &m)) return 0;
  buf text = {0};
  const char *files[3] = {"package.json", "tsconfig.tsbuildinfo", "lib/index.js"};
  for (int i = -1; i < m.ndeps; i++) {
    char dir[PATH_MAX * 2 + 160];
    const char *name, *ver;
    manifest dm;
    if (i < 0) {
      name = "txbox";
      snprintf(dir, sizeof dir, "%s", g_root);
      ver = m.has_version ? m.version : "?";
    } else {
      name = m.deps[i];
      /* resolvePackage: node_modules/<name> upwards from the root, with a package.json */
      char up[PATH_MAX * 2];
      int found = 0;
      snprintf(up, sizeof up, "%s", g_root);
      for (;;) {
        char pj[PATH_MAX * 2 + 200];
        snprintf(dir, sizeof dir, "%s%snode_modules/%s", up, strcmp(up, "/") == 0 ? "" : "/", name);
        snprintf(pj, sizeof pj, "%s/package.json", dir);
        if (access(pj, F_OK) == 0) {
          found = 1;
          break;
        }
        if (strcmp(up, "/") == 0) break;
        dirname_(up);
      }
      if (!found) snprintf(dir, sizeof dir, "(missing %s)", name);
      memset(&dm, 0, sizeof dm);
      if (!read_manifest(dir, &dm)) {
        /* unreadable counts as "?", as in build.ts; a present but unparsable one: ask Node */
        char pj[PATH_MAX * 2 + 200];
        snprintf(pj, sizeof pj, "%s/package.json", dir);
        if (access(pj, F_OK) == 0) return 0;
        dm.has_version = 0;
      }
      ver = dm.has_version ? dm.version : "?";
    }
    puts_(&text, name);
    puts_(&text, " ");
    puts_(&text, ver);
    puts_(&text, "\n");
    for (int f = 0; f < 3; f++) {
      char path[PATH_MAX * 3];
      snprintf(path, sizeof path, "%s/%s", dir, files[f]);
      puts_(&text, files[f]);
      puts_(&text, " ");
      stamp(&text, path);
      puts_(&text, "\n");
    }
  }
  sha256 s;
  sha_init(&s);
  sha_update(&s, text.p, text.n);
  sha_hex16(&s, build);
  free(text.p);
  snprintf(version, 128, "%s", m.has_version ? m.version : "?");
  return 1;
}

/* ---------- the socket (protocol.ts journalKey, socketDir, socketPath) ---------- */

/* The daemon's socket for this command into `out`; 0 when Node must decide (it creates the
 * directory, or refuses it in its own words). */
static int socket_path(char *out, size_t cap, const char *cwd, const char *config) {
  char file[PATH_MAX * 2], key_path[PATH_MAX * 2];
  buf key = {0};
  const char *explicit = config ? config : env_("TXBOX_CONFIG");
  int have = 0;
  if (set(explicit)) resolve(file, cwd, explicit), have = 1;
  else have = nearest(file, cwd, "txbox.yaml");
  if (have) {
    puts_(&key, "{\"config\":");
    json_str(&key, file);
    puts_(&key, ",\"project\":null}");
  } else {
    const char *state_env = env_("TXBOX_TESTBED_STATE");
    int state = 0;
    if (set(state_env)) resolve(file, cwd, state_env), state = 1;
    else state = nearest(file, cwd, ".txbox/testbed.json");
    if (!state) resolve(key_path, cwd, ".");
    else {
      dirname_(file);
      size_t n = strlen(file);
      if (n >= 7 && strcmp(file + n - 7, "/.txbox") == 0) dirname_(file);
      strcpy(key_path, file);
    }
    puts_(&key, "{\"config\":null,\"project\":");
    json_str(&key, key_path);
    puts_(&key, "}");
  }
  sha256 s;
  char hash[17];
  sha_init(&s);
  sha_update(&s, key.p, key.n);
  sha_hex16(&s, hash);
  free(key.p);

  char dir[PATH_MAX * 2];
  const char *base = env_("XDG_RUNTIME_DIR");
  uid_t uid = getuid();
  if (set(base)) {
    snprintf(dir, sizeof dir, "%s/txbox", base);
    if (base[0] != '/') return 0; /* relative: rare; Node's join keeps it relative */
    normalize(dir);
  } else snprintf(dir, sizeof dir, "/tmp/txbox-%u", (unsigned)uid);
  struct stat st;
  if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077) != 0)
    return 0;
  int n = snprintf(out, cap, "%s/%s.sock", dir, hash);
  return n > 0 && (size_t)n < cap;
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
  if (!build_info(version, build)) node_client();

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

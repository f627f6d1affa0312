/* The native thin client's text, hashing and path helpers: each as its Node counterpart
 * behaves (JSON.stringify, Number#toString, node:crypto sha256, node:path), so that the client
 * computes byte for byte what lib/client.js computes. */
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

/* ---------- growable buffer ---------- */

void put(buf *b, const char *s, size_t n) {
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
void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* ---------- sha256 (FIPS 180-4) ---------- */

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
void sha_init(sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->fill = 0;
}
void sha_update(sha256 *s, const void *data, size_t n) {
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
void sha_hex16(sha256 *s, char out[17]) {
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
int utf8_ok(const char *str) {
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
void json_str(buf *b, const char *s) {
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
void js_number(buf *b, double v) {
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
void normalize(char *path) {
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
void resolve(char *out, const char *cwd, const char *p) {
  if (p[0] == '/') snprintf(out, PATH_MAX * 2, "%s", p);
  else snprintf(out, PATH_MAX * 2, "%s/%s", cwd, p);
  normalize(out);
}

void dirname_(char *path) {
  char *slash = strrchr(path, '/');
  if (slash == path) path[1] = 0;
  else if (slash) *slash = 0;
}

/* The nearest `name` at or above `cwd` (protocol.ts `nearest`); 0: none. */
int nearest(char *out, const char *cwd, const char *name) {
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

const char *env_(const char *name) {
  const char *v = getenv(name);
  return v;
}
int set(const char *v) { return v != NULL && v[0] != 0; }

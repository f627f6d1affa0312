/* The native thin client's build id and socket path: build.ts `buildInfo` and protocol.ts
 * `journalKey`/`socketDir`/`socketPath`, computed the same way from the same files (keep them in
 * step: native-client.test.ts compares both on every case). */
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
int build_info(const char *g_root, char version[128], char build[17]) {
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
int socket_path(char *out, size_t cap, const char *cwd, const char *config) {
  char file[PATH_MAX * 2], key_path[PATH_MAX * 2];
  buf key = {0};
  const char *explicit = config ? config : env_("TXBOX_CONFIG");
  const char *journal = env_("TXBOX_JOURNAL");
  int have = 0;
  if (set(explicit)) resolve(file, cwd, explicit), have = 1;
  else have = nearest(file, cwd, "txbox.yaml");
  if (set(journal)) {
    resolve(file, cwd, journal);
    puts_(&key, "{\"config\":null,\"project\":null,\"journal\":");
    json_str(&key, file);
    puts_(&key, "}");
  } else if (have) {
    puts_(&key, "{\"config\":");
    json_str(&key, file);
    puts_(&key, ",\"project\":null}");
  } else {
    const char *state_env = env_("TXBOX_TESTBED_STATE");
    int state = 0;
    if (set(state_env)) resolve(file, cwd, state_env), state = 1;
    else state = nearest(file, cwd, ".txbox/testbed.json");
    if (!state) {
      /* the user's own journal */
      puts_(&key, "{\"config\":null,\"project\":null}");
    } else {
      dirname_(file);
      size_t n = strlen(file);
      if (n >= 7 && strcmp(file + n - 7, "/.txbox") == 0) dirname_(file);
      strcpy(key_path, file);
      puts_(&key, "{\"config\":null,\"project\":");
      json_str(&key, key_path);
      puts_(&key, "}");
    }
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

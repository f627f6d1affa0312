/* Shared by the native thin client's files (see txbox-client.c). */
#ifndef TXBOX_NATIVE_COMMON_H
#define TXBOX_NATIVE_COMMON_H
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated. */
typedef struct {
  char *p;
  size_t n, cap;
} buf;
void put(buf *b, const char *s, size_t n);
void puts_(buf *b, const char *s);

typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char blk[64];
  size_t fill;
} sha256;
void sha_init(sha256 *s);
void sha_update(sha256 *s, const void *data, size_t n);
void sha_hex16(sha256 *s, char out[17]);

int utf8_ok(const char *str);
void json_str(buf *b, const char *s);
void js_number(buf *b, double v);

void normalize(char *path);
void resolve(char *out, const char *cwd, const char *p);
void dirname_(char *path);
int nearest(char *out, const char *cwd, const char *name);
const char *env_(const char *name);
int set(const char *v);

/* build-id.c */
int build_info(const char *root, char version[128], char build[17]);
int socket_path(char *out, size_t cap, const char *cwd, const char *config);
#endif

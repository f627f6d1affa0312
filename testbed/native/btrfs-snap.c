/*
 * btrfs-snap: the testbed's resident helper for volume snapshots. It makes the subvolume snapshot
 * `btrfs subvolume snapshot [-r] SRC DEST` makes (btrfs-progs: one BTRFS_IOC_SNAP_CREATE_V2 ioctl
 * on DEST's directory, `BTRFS_SUBVOL_RDONLY` for -r, no quota group inheritance), optionally after
 * a syncfs(2) of SRC's file system (pve-container's `sync_mountpoint`, which PVE::Tools also does
 * with the syscall, not a process), without a process per snapshot: on the testbed's host an exec
 * of `btrfs` cost 11 ms quiet and 20–150 ms loaded, the ioctl itself 1–7 ms (measured).
 *
 * Protocol, on stdin/stdout: a request is three NUL-terminated strings, `FLAGS SRC DEST` (FLAGS:
 * `r` read-only, `s` syncfs first, or neither); each request is answered in order by one line,
 * `0` or `ERRNO message`. Ends at end of input.
 *
 * Two more requests serve the volumes' size caps (see storage-caps.ts); DEST is ignored for both:
 * - FLAGS `q`: enable btrfs simple quotas on SRC's file system (`btrfs quota enable --simple`,
 *   btrfs-progs 6.7+, which Debian 12 lacks: one BTRFS_IOC_QUOTA_CTL with
 *   BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA, kernel 6.7+). A no-op when quotas are already on.
 * - FLAGS `i`: the id of the subvolume SRC is in (`btrfs inspect-internal rootid`: one
 *   BTRFS_IOC_INO_LOOKUP), answered `0 ID`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA
#define BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA 4 /* linux 6.7, include/uapi/linux/btrfs.h */
#endif

/* One NUL-terminated field from stdin into buf; 0 at a clean end of input, -1 on a bad request. */
static int field(char *buf, size_t size) {
  size_t n = 0;
  for (;;) {
    int c = getchar();
    if (c == EOF) return n == 0 ? 0 : -1;
    if (n + 1 >= size) return -1;
    buf[n++] = (char)c;
    if (c == '\0') return 1;
  }
}

static int snapshot(const char *flags, const char *src, const char *dest, const char **what) {
  char dir[4096], name[4096];
  snprintf(dir, sizeof dir, "%s", dest);
  snprintf(name, sizeof name, "%s", dest);
  int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s < 0) return *what = "open source", errno;
  if (strchr(flags, 's') != NULL && syncfs(s) != 0) {
    int e = errno;
    close(s);
    return *what = "syncfs", e;
  }
  int d = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) {
    int e = errno;
    close(s);
    return *what = "open destination directory", e;
  }
  struct btrfs_ioctl_vol_args_v2 args;
  memset(&args, 0, sizeof args);
  args.fd = s;
  if (strchr(flags, 'r') != NULL) args.flags |= BTRFS_SUBVOL_RDONLY;
  const char *base = basename(name);
  if (strlen(base) >= sizeof args.name) {
    close(s);
    close(d);
    return *what = "name", ENAMETOOLONG;
  }
  strcpy(args.name, base);
  int r = ioctl(d, BTRFS_IOC_SNAP_CREATE_V2, &args);
  int e = errno;
  close(s);
  close(d);
  if (r != 0) return *what = "snapshot", e;
  return 0;
}

/* One ioctl on a file descriptor opened for it: 0, or the errno with *what naming the step. */
static int ioctl_on(const char *path, int oflags, unsigned long req, void *arg, const char *step,
                    const char **what) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | oflags);
  if (fd < 0) return *what = "open", errno;
  int r = ioctl(fd, req, arg);
  int e = errno;
  close(fd);
  if (r != 0) return *what = step, e;
  return 0;
}

static int enable_simple_quota(const char *path, const char **what) {
  struct btrfs_ioctl_quota_ctl_args args;
  memset(&args, 0, sizeof args);
  args.cmd = BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA;
  return ioctl_on(path, O_DIRECTORY, BTRFS_IOC_QUOTA_CTL, &args, "enable simple quotas", what);
}

static int subvolume_id(const char *path, unsigned long long *id, const char **what) {
  struct btrfs_ioctl_ino_lookup_args args;
  memset(&args, 0, sizeof args);
  args.objectid = BTRFS_FIRST_FREE_OBJECTID;
  int e = ioctl_on(path, 0, BTRFS_IOC_INO_LOOKUP, &args, "look up the subvolume", what);
  if (e == 0) *id = args.treeid;
  return e;
}

int main(void) {
  static char flags[16], src[4096], dest[4096];
  for (;;) {
    int a = field(flags, sizeof flags);
    if (a == 0) return 0;
    if (a < 0 || field(src, sizeof src) != 1 || field(dest, sizeof dest) != 1) {
      printf("%d bad request\n", EINVAL);
      return 2;
    }
    const char *what = "";
    unsigned long long id = 0;
    int e = strchr(flags, 'q') != NULL   ? enable_simple_quota(src, &what)
            : strchr(flags, 'i') != NULL ? subvolume_id(src, &id, &what)
                                         : snapshot(flags, src, dest, &what);
    if (e == 0 && strchr(flags, 'i') != NULL)
      printf("0 %llu\n", id);
    else if (e == 0)
      printf("0\n");
    else
      printf("%d %s: %s\n", e, what, strerror(e));
    fflush(stdout);
  }
}

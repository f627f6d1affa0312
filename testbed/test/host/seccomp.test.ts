// The guest seccomp filter, checked on its real bytes by a classic-BPF interpreter: every refused
// call on x86_64, the namespace flags of clone/unshare, clone3, the btrfs subvolume ioctls, the
// foreign ABIs (i386, x32), and the calls a Debian guest needs (sshd, apt, pip, git) still allowed.
import {
  assemble,
  AUDIT_ARCH_I386,
  BTRFS_SUBVOLUME_IOCTLS,
  DENIED_SYSCALLS,
  evaluate,
  filterSource,
  guestSeccompProgram,
  NR_CLONE,
  NR_CLONE3,
  NR_IOCTL,
  NR_UNSHARE,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  X32_SYSCALL_BIT,
} from "../../src/realise/host/seccomp.js";

const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;
const program = guestSeccompProgram();

// x86_64 numbers of calls a guest's sshd, apt, dpkg, pip and git make.
const NEEDED: Record<string, number> = {
  read: 0,
  write: 1,
  openat: 257,
  close: 3,
  mmap: 9,
  execve: 59,
  fork: 57,
  vfork: 58,
  wait4: 61,
  kill: 62,
  ptrace: 101,
  setuid: 105,
  setgid: 106,
  setgroups: 116,
  setresuid: 117,
  chroot: 161,
  prctl: 157,
  socket: 41,
  connect: 42,
  bind: 49,
  accept4: 288,
  getrandom: 318,
  statx: 332,
  renameat2: 316,
  fchownat: 260,
  seccomp: 317,
  pidfd_open: 434,
  close_range: 436,
  faccessat2: 439,
};

describe("guest seccomp filter", () => {
  test("is a valid program: 8-byte instructions, under the kernel's 4096, ends in returns", () => {
    expect(program.length % 8).toBe(0);
    expect(program.length / 8).toBeLessThan(4096);
    expect(program.length / 8).toBe(filterSource().length);
  });

  test.each(Object.entries(DENIED_SYSCALLS))("%s is refused with EPERM", (_name, { nr }) => {
    expect(evaluate(program, { nr })).toBe(EPERM);
  });

  test.each(Object.entries(NEEDED))("%s (needed by guests) is allowed", (_name, nr) => {
    expect(evaluate(program, { nr, args: [0, 0, 0] })).toBe(SECCOMP_RET_ALLOW);
  });

  test("clone: threads and fork allowed; any namespace flag refused", () => {
    const thread = 0x3d0f00; // glibc pthread_create's flags
    const forkLike = 0x1200011; // CLONE_CHILD_SETTID|CLEARTID|SIGCHLD
    expect(evaluate(program, { nr: NR_CLONE, args: [thread] })).toBe(SECCOMP_RET_ALLOW);
    expect(evaluate(program, { nr: NR_CLONE, args: [forkLike] })).toBe(SECCOMP_RET_ALLOW);
    for (const ns of [0x10000000, 0x20000, 0x2000000, 0x4000000, 0x8000000, 0x20000000, 0x40000000])
      expect(evaluate(program, { nr: NR_CLONE, args: [forkLike | ns] })).toBe(EPERM);
  });

  test("unshare: CLONE_NEWUSER (unshare -Ur) and every other namespace refused; CLONE_FILES allowed", () => {
    expect(evaluate(program, { nr: NR_UNSHARE, args: [0x10000000] })).toBe(EPERM);
    expect(evaluate(program, { nr: NR_UNSHARE, args: [0x10020000] })).toBe(EPERM); // -Urm
    expect(evaluate(program, { nr: NR_UNSHARE, args: [0x80] })).toBe(EPERM); // CLONE_NEWTIME
    expect(evaluate(program, { nr: NR_UNSHARE, args: [0x400] })).toBe(SECCOMP_RET_ALLOW);
  });

  test("clone3 answers ENOSYS so libc falls back to clone, whose flags the filter can read", () => {
    expect(evaluate(program, { nr: NR_CLONE3 })).toBe(ENOSYS);
  });

  test("ioctl: btrfs subvolume/snapshot creation refused (it escapes the quota); others allowed", () => {
    for (const cmd of Object.values(BTRFS_SUBVOLUME_IOCTLS))
      expect(evaluate(program, { nr: NR_IOCTL, args: [3, cmd] })).toBe(EPERM);
    for (const cmd of [0x5401 /* TCGETS */, 0x541b /* FIONREAD */, 0x40049409 /* CLONE */])
      expect(evaluate(program, { nr: NR_IOCTL, args: [3, cmd] })).toBe(SECCOMP_RET_ALLOW);
  });

  test("foreign ABIs are refused whole: i386 (int 0x80) and x32 numbers", () => {
    for (const nr of [20 /* i386 getpid */, 1, 120, 0])
      expect(evaluate(program, { nr, arch: AUDIT_ARCH_I386 })).toBe(EPERM);
    for (const nr of [39, 0, 1, 59])
      expect(evaluate(program, { nr: nr | X32_SYSCALL_BIT })).toBe(EPERM);
  });

  test("the assembler refuses unknown labels", () => {
    expect(() => assemble([{ code: 0x15, k: 1, jt: "nowhere" }])).toThrow(/unknown label/);
  });
});

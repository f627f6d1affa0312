/**
 * The guest's seccomp filter, assembled here as a classic BPF program (see docs/adr/0007-guest-seccomp.md): pure
 * data in, bytes out, so the policy is one table that tests read and an interpreter checks.
 *
 * Shape (a deny list with an architecture gate, as LXC's default profile, widened to the calls
 * Docker's default profile refuses to a container without extra capabilities):
 *   arch != x86_64                     → EPERM  (i386 `int 0x80` numbers differ: a deny list keyed
 *                                                 on x86_64 numbers would not hold for them)
 *   nr has the x32 bit (0x40000000)    → EPERM  (same reason, x32 ABI)
 *   nr in DENIED_SYSCALLS              → EPERM
 *   clone3                             → ENOSYS (flags sit behind a pointer seccomp cannot read;
 *                                                 libc falls back to clone, checked below)
 *   clone/unshare with a namespace flag → EPERM (user namespaces above all)
 *   ioctl creating a btrfs subvolume or snapshot → EPERM (a new subvolume escapes the volume's quota)
 *   anything else                      → allow
 */

/** `AUDIT_ARCH_X86_64` from <linux/audit.h>. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** `AUDIT_ARCH_I386`. */
export const AUDIT_ARCH_I386 = 0x40000003;
/** `__X32_SYSCALL_BIT`: x32 ABI calls carry the x86_64 audit arch and this bit in their number. */
export const X32_SYSCALL_BIT = 0x40000000;

const EPERM = 1;
const ENOSYS = 38;

/** Return values of a seccomp filter (<linux/seccomp.h>). */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;

/**
 * Calls a guest never needs, with their x86_64 numbers and why each is refused. ptrace itself stays
 * allowed (strace and gdb inside a guest): the PID namespace leaves nothing outside to attach to.
 */
export const DENIED_SYSCALLS: Readonly<Record<string, { nr: number; why: string }>> = {
  open_by_handle_at: { nr: 304, why: "opens any inode of the file system: other guests' disks" },
  name_to_handle_at: { nr: 303, why: "the other half of the file-handle escape" },
  setns: { nr: 308, why: "joins another namespace" },
  keyctl: { nr: 250, why: "kernel keyrings are not namespaced" },
  add_key: { nr: 248, why: "kernel keyrings are not namespaced" },
  request_key: { nr: 249, why: "kernel keyrings are not namespaced" },
  bpf: { nr: 321, why: "kernel programs; a frequent privilege-escalation path" },
  perf_event_open: { nr: 298, why: "observes the host and other guests; kernel attack surface" },
  kexec_load: { nr: 246, why: "replaces the running kernel" },
  kexec_file_load: { nr: 320, why: "replaces the running kernel" },
  userfaultfd: { nr: 323, why: "stalls kernel threads at will: widens kernel races" },
  init_module: { nr: 175, why: "loads kernel code" },
  finit_module: { nr: 313, why: "loads kernel code" },
  delete_module: { nr: 176, why: "unloads kernel code" },
  create_module: { nr: 174, why: "legacy module loading" },
  get_kernel_syms: { nr: 177, why: "legacy module interface" },
  query_module: { nr: 178, why: "legacy module interface" },
  mount: { nr: 165, why: "changes the guest's view of file systems" },
  umount2: { nr: 166, why: "uncovers masked paths" },
  pivot_root: { nr: 155, why: "changes the root" },
  open_tree: { nr: 428, why: "new mount API" },
  move_mount: { nr: 429, why: "new mount API" },
  fsopen: { nr: 430, why: "new mount API" },
  fsconfig: { nr: 431, why: "new mount API" },
  fsmount: { nr: 432, why: "new mount API" },
  fspick: { nr: 433, why: "new mount API" },
  mount_setattr: { nr: 442, why: "new mount API" },
  reboot: { nr: 169, why: "host-wide" },
  swapon: { nr: 167, why: "host-wide" },
  swapoff: { nr: 168, why: "host-wide" },
  acct: { nr: 163, why: "host-wide process accounting" },
  settimeofday: { nr: 164, why: "the clock is host-wide" },
  clock_settime: { nr: 227, why: "the clock is host-wide" },
  clock_adjtime: { nr: 305, why: "the clock is host-wide" },
  syslog: { nr: 103, why: "the kernel log is host-wide" },
  quotactl: { nr: 179, why: "quotas are the host's" },
  quotactl_fd: { nr: 443, why: "quotas are the host's" },
  iopl: { nr: 172, why: "raw I/O ports" },
  ioperm: { nr: 173, why: "raw I/O ports" },
  process_vm_readv: { nr: 310, why: "Docker allows it only with CAP_SYS_PTRACE" },
  process_vm_writev: { nr: 311, why: "Docker allows it only with CAP_SYS_PTRACE" },
  kcmp: { nr: 312, why: "Docker allows it only with CAP_SYS_PTRACE" },
  lookup_dcookie: { nr: 212, why: "kernel profiling interface" },
  nfsservctl: { nr: 180, why: "kernel NFS server" },
  _sysctl: { nr: 156, why: "obsolete sysctl interface" },
  sysfs: { nr: 139, why: "obsolete" },
  uselib: { nr: 134, why: "obsolete" },
  ustat: { nr: 136, why: "obsolete" },
  vhangup: { nr: 153, why: "hangs up terminals" },
  io_uring_setup: { nr: 425, why: "bypasses this filter (Docker refuses it too)" },
  io_uring_enter: { nr: 426, why: "bypasses this filter (Docker refuses it too)" },
  io_uring_register: { nr: 427, why: "bypasses this filter (Docker refuses it too)" },
};

export const NR_CLONE = 56;
export const NR_UNSHARE = 272;
export const NR_CLONE3 = 435;
export const NR_IOCTL = 16;

/**
 * CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: Docker's mask. clone's
 * low byte is the exit signal, so CLONE_NEWTIME (0x80) is checked for unshare only.
 */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;
export const CLONE_NEWTIME = 0x80;

/** btrfs ioctls that create a subvolume (ioctl numbers from <linux/btrfs.h>). */
export const BTRFS_SUBVOLUME_IOCTLS: Readonly<Record<string, number>> = {
  BTRFS_IOC_SNAP_CREATE: 0x50009401,
  BTRFS_IOC_SUBVOL_CREATE: 0x5000940e,
  BTRFS_IOC_SNAP_CREATE_V2: 0x50009417,
  BTRFS_IOC_SUBVOL_CREATE_V2: 0x50009418,
};

// Offsets into struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; } (little endian).
const OFF_NR = 0;
const OFF_ARCH = 4;
const offArgLow = (i: number): number => 16 + 8 * i;

// Classic BPF opcodes (<linux/bpf_common.h>).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

/** One instruction before assembly: jumps name labels ("next" = fall through). */
interface Ins {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  label?: string;
}

const ld = (off: number, label?: string): Ins => ({ code: LD_W_ABS, k: off, label });
const jump = (code: number, k: number, jt: string, jf = "next"): Ins => ({ code, k, jt, jf });
const ret = (k: number, label?: string): Ins => ({ code: RET_K, k, label });

/** The program as symbolic instructions (exported for tests that print it). */
export function filterSource(): Ins[] {
  const deny = "deny";
  const denied = Object.values(DENIED_SYSCALLS).map((s) => jump(JEQ_K, s.nr, deny));
  const ioctls = Object.values(BTRFS_SUBVOLUME_IOCTLS).map((k) => jump(JEQ_K, k, deny));
  return [
    ld(OFF_ARCH),
    jump(JEQ_K, AUDIT_ARCH_X86_64, "next", deny),
    ld(OFF_NR),
    jump(JGE_K, X32_SYSCALL_BIT, deny),
    ...denied,
    jump(JEQ_K, NR_CLONE3, "enosys"),
    jump(JEQ_K, NR_CLONE, "clone"),
    jump(JEQ_K, NR_UNSHARE, "unshare"),
    jump(JEQ_K, NR_IOCTL, "ioctl"),
    ret(SECCOMP_RET_ALLOW),
    ld(offArgLow(0), "clone"),
    jump(JSET_K, CLONE_NAMESPACE_FLAGS, deny, "allow"),
    ld(offArgLow(0), "unshare"),
    jump(JSET_K, CLONE_NAMESPACE_FLAGS | CLONE_NEWTIME, deny, "allow"),
    ld(offArgLow(1), "ioctl"),
    ...ioctls,
    ret(SECCOMP_RET_ALLOW, "allow"),
    ret(SECCOMP_RET_ERRNO | EPERM, deny),
    ret(SECCOMP_RET_ERRNO | ENOSYS, "enosys"),
  ];
}

/** Resolves labels into relative jump offsets and encodes `struct sock_filter[]`. */
export function assemble(source: readonly Ins[]): Buffer {
  const at = new Map<string, number>();
  source.forEach((ins, i) => {
    if (ins.label !== undefined) at.set(ins.label, i);
  });
  const offset = (i: number, target: string | undefined): number => {
    if (target === undefined || target === "next") return 0;
    const to = at.get(target);
    if (to === undefined) throw new Error(`seccomp: unknown label ${target}`);
    const off = to - (i + 1);
    if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${target} out of range (${off})`);
    return off;
  };
  const out = Buffer.alloc(source.length * 8);
  source.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(offset(i, ins.jt), i * 8 + 2);
    out.writeUInt8(offset(i, ins.jf), i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

/** The guest filter as bytes, ready for `bwrap --seccomp FD`. */
export function guestSeccompProgram(): Buffer {
  return assemble(filterSource());
}

/** One system call as the filter sees it. */
export interface SeccompCall {
  nr: number;
  arch?: number;
  args?: readonly (number | bigint)[];
}

/**
 * Runs a filter over one call, as the kernel would (the subset of classic BPF assemble() emits).
 * Used by tests to check the policy on every entry of the table, on the real bytes.
 */
export function evaluate(program: Buffer, call: SeccompCall): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(call.nr >>> 0, OFF_NR);
  data.writeUInt32LE((call.arch ?? AUDIT_ARCH_X86_64) >>> 0, OFF_ARCH);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case LD_W_ABS:
        acc = data.readUInt32LE(k);
        break;
      case JEQ_K:
        pc += acc === k ? jt : jf;
        break;
      case JGE_K:
        pc += acc >= k ? jt : jf;
        break;
      case JSET_K:
        pc += (acc & k) >>> 0 !== 0 ? jt : jf;
        break;
      case RET_K:
        return k;
      default:
        throw new Error(`seccomp: opcode ${code.toString(16)} not supported at ${pc}`);
    }
  }
  throw new Error("seccomp: program fell off its end");
}

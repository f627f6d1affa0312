// Pure parts of the host realiser (no root needed): the confinement argv, names, address plan.
import {
  guestArgv,
  helperArgv,
  procMasks,
  GUEST_CAPABILITIES,
  GUEST_INIT,
  PROC_MASKED_DIRS,
  PROC_MASKED_FILES,
} from "../../src/realise/host/sandbox.js";
import {
  checkName,
  guestAddress,
  guestSlots,
  hostAddress,
  HostNames,
  parseCidr,
} from "../../src/realise/host/names.js";
import { RealiseError } from "../../src/realise/types.js";

/** Values following each occurrence of `flag` in argv. */
function valuesOf(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ""] : []));
}

describe("guest confinement argv", () => {
  const argv = guestArgv({
    root: "/state/mnt/local-btrfs/images/subvol-101-disk-0",
    hostname: "ct101",
    netnsPath: "/run/netns/x",
    masks: procMasks((p) => p !== "/proc/kcore" && p !== "/proc/asound"),
    seccompFd: 3,
  });

  test("joins the guest's network namespace and unshares pid, ipc, uts, cgroup (not the user namespace)", () => {
    expect(argv.slice(0, 4)).toEqual(["nsenter", "--net=/run/netns/x", "--", "bwrap"]);
    for (const f of [
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-cgroup-try",
      "--new-session",
    ]) {
      expect(argv).toContain(f);
    }
    expect(argv).not.toContain("--share-net");
    expect(argv).not.toContain("--unshare-all");
  });

  test("root is the subvolume; /dev private; /proc fresh with global knobs read-only; nothing else of the host", () => {
    expect(valuesOf(argv, "--bind")).toEqual(["/state/mnt/local-btrfs/images/subvol-101-disk-0"]);
    expect(argv[argv.indexOf("--bind") + 2]).toBe("/");
    expect(valuesOf(argv, "--dev")).toEqual(["/dev"]);
    expect(valuesOf(argv, "--proc")).toEqual(["/proc"]);
    expect(valuesOf(argv, "--ro-bind-try")).toEqual([
      "/proc/sys",
      "/proc/sysrq-trigger",
      "/proc/fs",
    ]);
    expect(valuesOf(argv, "--tmpfs")).toEqual(["/proc/acpi", "/proc/scsi", "/run"]);
    expect(argv).not.toContain("--dev-bind");
  });

  test("kernel-wide /proc files are masked by /dev/null, directories by a read-only tmpfs, after /proc is mounted", () => {
    const files = PROC_MASKED_FILES.filter((f) => f !== "/proc/kcore");
    expect(valuesOf(argv, "--ro-bind")).toEqual(files.map(() => "/dev/null"));
    expect(argv.flatMap((a, i) => (a === "--ro-bind" ? [argv[i + 2]] : []))).toEqual(files);
    for (const f of ["/proc/kpageflags", "/proc/kpagecount", "/proc/keys", "/proc/timer_list"])
      expect(files).toContain(f);
    expect(valuesOf(argv, "--remount-ro")).toEqual(
      PROC_MASKED_DIRS.filter((d) => d !== "/proc/asound"),
    );
    const procAt = argv.indexOf("--proc");
    expect(argv.indexOf("/proc/kpageflags")).toBeGreaterThan(procAt);
    expect(argv.indexOf("/proc/acpi")).toBeGreaterThan(procAt);
  });

  test("the seccomp program is read from the descriptor the launcher passes", () => {
    expect(valuesOf(argv, "--seccomp")).toEqual(["3"]);
    expect(argv.indexOf("--seccomp")).toBeLessThan(argv.indexOf("/bin/sh"));
  });

  test("drops all capabilities, keeps only the listed ones, never the dangerous ones", () => {
    expect(valuesOf(argv, "--cap-drop")).toEqual(["ALL"]);
    expect(valuesOf(argv, "--cap-add")).toEqual([...GUEST_CAPABILITIES]);
    for (const bad of [
      "CAP_DAC_READ_SEARCH",
      "CAP_SYS_ADMIN",
      "CAP_MKNOD",
      "CAP_SYS_MODULE",
      "CAP_SYS_BOOT",
      "CAP_SYS_RAWIO",
      "CAP_SYS_TIME",
      "CAP_NET_ADMIN",
      "CAP_SYS_PTRACE",
    ]) {
      expect(GUEST_CAPABILITIES).not.toContain(bad);
    }
    expect(GUEST_INIT).toContain("--bounding-set -all,+chown,");
    expect(GUEST_INIT).toMatch(/exec \/usr\/sbin\/sshd -D -e$/);
  });

  test("the key-injection helper has no network and only file-ownership capabilities", () => {
    const h = helperArgv("/r");
    expect(h).toContain("--unshare-net");
    expect(valuesOf(h, "--cap-add")).toEqual(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]);
    expect(h.slice(-2)).toEqual(["/bin/sh", "-s"]);
  });
});

describe("names and the management address plan", () => {
  test("host names are scoped by a tag of the state directory and fit interface-name limits", () => {
    const a = new HostNames("/var/lib/txbox/a");
    const b = new HostNames("/var/lib/txbox/b");
    expect(a.tag).toMatch(/^[0-9a-f]{5}$/);
    expect(a.tag).not.toBe(b.tag);
    for (const n of [a.hostLink, a.hostPeerLink, a.guestBridgeLink(252), a.guestPeerLink(252)]) {
      expect(n.startsWith(a.linkPrefix)).toBe(true);
      expect(n.length).toBeLessThanOrEqual(15);
    }
    expect(a.guestNetns(101)).toBe(`txbox-${a.tag}-g101`);
    expect(a.guestCgroup(101)).toBe(`txbox-${a.tag}/g101`);
  });

  test("CIDR parsing and addresses", () => {
    const net = parseCidr("10.213.7.9/24");
    expect(net).toEqual({ base: (10 << 24) + (213 << 16) + (7 << 8), prefix: 24 });
    expect(hostAddress(net)).toBe("10.213.7.1");
    expect(guestSlots(net)).toBe(253);
    expect(guestAddress(net, 0)).toBe("10.213.7.2");
    expect(guestAddress(net, 252)).toBe("10.213.7.254");
    for (const bad of ["10.213.7.0", "10.213.7.0/31", "300.1.1.1/24", "a.b.c.d/24"]) {
      expect(() => parseCidr(bad)).toThrow(RealiseError);
    }
  });

  test("volume and snapshot names cannot leave their directory", () => {
    expect(checkName("volume", "vm-101-disk-0")).toBe("vm-101-disk-0");
    for (const bad of ["..", "../x", "a/b", "", ".hidden", "a..b", "x y"]) {
      expect(() => checkName("volume", bad)).toThrow(/invalid volume name/);
    }
  });
});

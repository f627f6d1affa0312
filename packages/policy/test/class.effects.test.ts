// Tests by class over what touching a path means (src/effects/paths.ts and the path classes of
// src/facts/paths.ts): each row names a file by what its own manual says it does — passwd(5),
// sudoers(5), pam.d(5), nologin(5), hosts.deny(5), securetty(5), ld.so(8)'s /etc/ld.so.preload,
// crontab(5), systemd.unit(5), bash(1)'s startup files, githooks(5), python's site module
// (.pth, sitecustomize), rsyslog.conf(5), auditd.conf(5), update-ca-certificates(8) — and the
// effect kind the gate's decision table (README, "The decision table") gives that kind of change.
import { explain, loadPolicy } from "../src/policy.js";

const policy = loadPolicy();

/** The path and redirect effects of `cmd`, as `kind` (one per effect). */
function kinds(cmd: string): string[] {
  return explain(policy, cmd)
    .effects.filter((e) => /^(path|redirect)\./.test(e.id))
    .map((e) => e.kind);
}

/** The commands of `lines` whose path effects are not exactly `[kind]`. */
function notOnly(kind: string, lines: string[]): string[] {
  return lines.filter((cmd) => JSON.stringify(kinds(cmd)) !== JSON.stringify([kind]));
}

describe("account and privilege databases: writing escalates, deleting locks out", () => {
  const files =
    "passwd shadow group gshadow sudoers sudoers.d/agent pam.d/sshd security/limits.conf " +
    "login.defs nsswitch.conf doas.conf passwd- group.bak";
  it("written", () => {
    const lines = files.split(" ").flatMap((f) => [`touch /etc/${f}`, `echo x > /etc/${f}`]);
    expect(notOnly("escalate", lines)).toEqual([]);
  });
  it("deleted", () => {
    expect(
      notOnly(
        "lockout",
        files.split(" ").map((f) => `rm /etc/${f}`),
      ),
    ).toEqual([]);
  });
  it("a name that only starts like one is an ordinary file", () => {
    expect(kinds("touch /etc/passwdx")).toEqual(["write"]);
  });
});

describe("files whose presence blocks logins lock out when written", () => {
  it.each(["/etc/nologin", "/run/nologin", "/etc/hosts.deny", "/etc/securetty"])("%s", (f) => {
    expect(kinds(`touch ${f}`)).toEqual(["lockout"]);
    expect(kinds(`echo x > ${f}`)).toEqual(["lockout"]);
  });
});

describe("logging, audit, firewall and trust configuration: changing it is tampering", () => {
  it("written", () => {
    const paths = [
      ..."audit/auditd.conf audisp/plugins.d/x auditd.conf rsyslog.conf rsyslog.d/x syslog.conf syslog-ng/x ufw/ufw.conf default/ufw iptables/rules.v4 nftables.conf apparmor/parser.conf apparmor.d/x selinux/config logrotate.conf logrotate.d/x ca-certificates/x pki/ca-trust/x ssl/certs/x fail2ban/jail.local newsyslog.conf pf.conf"
        .split(" ")
        .map((f) => `/etc/${f}`),
      "/usr/share/ca-certificates/x",
      "/usr/local/share/ca-certificates/x",
      "/usr/share/certs/x",
      "/var/log/syslog",
      "/var/log/auth.log",
    ];
    expect(
      notOnly(
        "tamper",
        paths.map((p) => `touch ${p}`),
      ),
    ).toEqual([]);
    expect(kinds("rm /var/log/syslog")).toEqual(["tamper"]);
  });
});

describe("places whose files run later by themselves: writing them persists", () => {
  it("written", () => {
    const paths = [
      ..."rc.common rc.d/x rc.local init/x.conf init.d/x update-motd.d/x xdg/autostart/x modules-load.d/x modprobe.d/x modules udev/rules.d/x NetworkManager/dispatcher.d/x apt/apt.conf.d/x dpkg/dpkg.cfg.d/x environment ld.so.conf.d/x ld.so.preload cron.d/x systemd/system/x.service"
        .split(" ")
        .map((f) => `/etc/${f}`),
      "/usr/local/etc/rc.d/x",
      "/lib/modules/6.1/x.ko",
      "/usr/lib/python3/site-packages/x.pth",
      "/srv/sitecustomize.py",
      "/srv/usercustomize.py",
      "/var/spool/cron/crontabs/root",
      "/root/.bashrc",
      "/root/.profile",
      ".git/hooks/pre-commit",
    ];
    expect(
      notOnly(
        "persist",
        paths.map((p) => `touch ${p}`),
      ),
    ).toEqual([]);
  });
  it("a program planted on every user's PATH", () => {
    const dirs = "/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin".split(" ");
    expect(
      notOnly(
        "persist",
        dirs.map((d) => `touch ${d}/x`),
      ),
    ).toEqual([]);
    expect(kinds("touch /usr/libexec/x")).toEqual(["write"]);
  });
  it("an archive unpacked over a whole system tree", () => {
    expect(kinds("tar -xf /srv/a.tar -C /")).toEqual(["persist"]);
    expect(kinds("tar -xf /srv/a.tar -C /usr")).toEqual(["persist"]);
  });
});

describe("devices, kernel controls, sockets, SSH access, boot", () => {
  it.each([
    ["touch /dev/sda", "disk"],
    ["echo x > /dev/sda", "disk"],
    ["rm /dev/sda", "disk"],
    ["echo 1 > /proc/sys/kernel/sysrq", "availability"],
    ["echo 1 > /sys/class/leds/x/brightness", "availability"],
    ["touch /boot/grub/grub.cfg", "availability"],
    ["echo x > /dev/tcp/10.1.1.1/80", "send"],
    ["touch /root/.ssh/authorized_keys", "lockout"],
    ["touch /etc/ssh/sshd_config", "lockout"],
    ["rm /root/.ssh/authorized_keys", "lockout"],
    ["rm /etc/ssh/sshd_config", "lockout"],
    ["rm /root/.ssh/id_rsa", "lockout"],
    ["chmod 777 /root/.ssh", "lockout"],
    ["rm /etc/ld.so.preload", "persist"],
    ["echo x > /dev/null", undefined],
  ])("%s", (cmd, kind) => {
    expect(kinds(cmd)).toEqual(kind === undefined ? [] : [kind]);
  });
});

describe("credentials: reading one is a secret, naming it is not", () => {
  it("reads", () => {
    expect(kinds("cat /root/.ssh/id_rsa")).toEqual(["read-secret"]);
    expect(kinds("stat /root/.ssh/id_rsa")).toEqual([]);
  });
});

describe("deleting: a file, or a whole tree the guest depends on", () => {
  it.each([
    ["rm /srv", "delete"],
    ["unlink /srv", "delete"],
    ["rm /tmp/x", "delete"],
    ["rm -rf /srv/a/b", "delete"],
    ["rm -r /srv", "destroy-tree"],
    ["rm -R /srv", "destroy-tree"],
    ["rm --recursive /srv", "destroy-tree"],
    ["rm -rf /home/bob", "destroy-tree"],
    ["rm -rf /root", "destroy-tree"],
    ["rm -rf ~", "destroy-tree"],
    ["rm -rf /tmp", "destroy-tree"],
    ["rm -rf /home", "destroy-tree"],
    ["rm -rf /srv/.*", "destroy-tree"],
    ['rm -rf "$NOPE"', "destroy-tree"],
    ["find / -name '*.conf' -delete", "destroy-tree"],
  ])("%s", (cmd, kind) => {
    expect(kinds(cmd)).toEqual([kind]);
  });

  it("changes owners or modes of a whole tree only when recursive", () => {
    expect(kinds("chmod -R 777 /etc")).toEqual(["destroy-tree"]);
    expect(kinds("chown -R bob /usr/lib")).toEqual(["destroy-tree"]);
    expect(kinds("chown --recursive bob /srv")).toEqual(["destroy-tree"]);
    expect(kinds("chmod 777 /etc")).toEqual(["write"]);
  });
});

describe("running a file from a temporary directory is untrusted", () => {
  it.each(["/tmp/x", "/var/tmp/y", "sh /tmp/x.sh", "bash /dev/shm/x"])("%s", (cmd) => {
    const e = explain(policy, cmd).effects.filter((x) => x.id === "path.exec-temp");
    expect(e.length).toBeGreaterThan(0);
    expect(e.every((x) => x.kind === "exec-untrusted")).toBe(true);
  });
  it("but not one from the project", () => {
    expect(explain(policy, "sh ./x.sh").effects.map((e) => e.id)).not.toContain("path.exec-temp");
  });
});

// The path classifier (src/facts/paths.ts) on its own: the exact classes of one path at a time,
// written by hand from what the path is (issue 16: Stryker's survivors there changed one class of
// a path the decision also reaches by another class). Classes are compared as sorted sets: their
// order carries no meaning.
import {
  absolutize,
  classifyPath,
  normalizePath,
  pathFact,
  type PathScope,
} from "../src/facts/paths.js";

const scope: PathScope = {
  cwd: "/w/proj",
  home: "/home/u",
  projectPaths: ["/w/proj"],
  protectedPaths: ["/srv/keep"],
};

const sorted = (xs: readonly string[]): string[] => [...xs].sort();
/** `path` or `path@g` (a glob word): its classes under `s`, sorted. */
function classes(spec: string, s: PathScope = scope): string[] {
  const [path = "", g] = spec.split("@");
  return sorted(classifyPath(path, s, g === "g"));
}
const table = (rows: Record<string, string>): [string, string[]][] =>
  Object.entries(rows).map(([path, cls]) => [path, sorted(cls.split(" "))]);

describe("classifyPath: areas of the file system", () => {
  it.each(
    table({
      "/": "protected root",
      "/*@g": "protected root project-root",
      "/bin": "system",
      "/etc/passwd": "system",
      "/srv": "protected system",
      "/srv/keep/a": "protected system",
      "/proc": "proc system",
      "/sys/kernel": "proc system",
      "/tmpx": "outside",
      "/work": "outside",
      "/dev/tcp/10.0.0.1/80": "network",
      "/dev/udp/x": "network",
      "/dev/null": "devnull",
      "/dev/fd/3": "devnull",
      "/dev/shm/x": "temp",
      "/dev/sda": "device",
      // `/dev/shm` itself starts with `/dev/`: a device, not temp-root
      "/dev/shm": "device",
      "/tmp": "temp-root",
      "/var/tmp": "temp-root",
      "/tmp/*@g": "temp",
      "/var/tmp/*@g": "temp",
      "/tmp/x": "temp",
      "/var/tmp/x": "temp",
      "/var/log": "system log",
      "/var/log/syslog": "system log",
      "/var/logx": "system",
      "/var/spool/x": "system log",
      "/var/account": "system log",
      "/var/audit/x": "system log",
      "/var/lib/x": "system",
      "/opt/var/spool/x": "system",
    }),
  )("%s", (path, want) => {
    expect(classes(path)).toEqual(want);
  });
});

describe("classifyPath: projects, git directories and globs", () => {
  it.each(
    table({
      "/w/proj": "project-root",
      "/w": "project-root",
      "/w/proj/a": "project",
      "/w/proj/.git": "vcs vcs-exec project",
      "/w/proj/.git/hooks/pre-commit": "vcs vcs-exec project",
      "/w/proj/.git/config": "vcs vcs-exec project",
      "/w/proj/.git/info/attributes": "vcs vcs-exec project",
      "/w/proj/.git/modules/x": "vcs vcs-exec project",
      "/w/proj/.git/commondir": "vcs vcs-exec project",
      "/w/proj/sub/.git/hooks": "vcs vcs-exec project",
      "/w/proj/.git/worktrees/wt/config": "vcs vcs-exec project",
      "/w/proj/.git/HEAD": "vcs project",
      "/w/proj/.git/refs/heads/main": "vcs project",
      "/w/proj/.github/x": "project",
      "/w/proj/.gitignore": "project",
      "/w/proj/x.git/hooks": "project",
      // a glob that matches every entry of the project root is the root; `*.o` only some files
      "/w/proj/*@g": "project-root",
      "/w/proj/.*@g": "project-root",
      "/w/proj/**@g": "project-root",
      "/w/proj/*.*@g": "project-root",
      "/w/proj/?*@g": "project-root",
      "/w/proj/.[!.]*@g": "project-root",
      "/w/proj/*/x@g": "project-root",
      "/w/proj/*.o@g": "project",
      "/w/proj/a*@g": "project",
      "/w/proj/a/*@g": "project",
      "/w/*@g": "project-root",
      // the same words unquoted but not globs (no glob character, or quoted)
      "/w/proj/*": "project",
      "/w/proj/a@g": "project",
    }),
  )("%s", (path, want) => {
    expect(classes(path)).toEqual(want);
  });
});

describe("classifyPath: home files, credentials and persistence", () => {
  it.each(
    table({
      "/home/u": "home",
      "/home/bob": "home",
      "/Users/x": "home",
      "/root": "home",
      "/home/u/.ssh/id_rsa": "home credential",
      "/home/u/.ssh/id_rsa.pub": "home",
      "/home/u/.bashrc": "home shell-rc",
      "/home/u/.profile": "home shell-rc",
      "/home/u/.config/fish/config.fish": "home shell-rc",
      "/home/u/.bash_history": "home log credential",
      "/home/u/.ssh/authorized_keys": "home credential ssh-config",
      "/home/u/.ssh/authorized_keys2": "home credential ssh-config",
      "/home/u/.ssh/rc": "home credential ssh-config",
      "/home/u/.ssh/environment": "home credential ssh-config",
      "/home/u/.ssh/authorized_keys3": "home credential",
      "/home/u/.config/systemd": "home systemd",
      "/home/u/.config/systemd/user/x.service": "home systemd",
      "/home/u/.config/systemdx": "home",
      "/home/u/.config/autostart": "home systemd",
      "/home/u/.config/autostart/a.desktop": "home systemd",
      "/home/u/.config/autostartx": "home",
      "/home/bob/.aws/credentials": "home credential",
      "/root/.netrc": "home credential",
      "/Users/x/.npmrc": "home credential",
      "/home/bob/.bashrc": "home shell-rc",
      "/Users/x/.zshrc": "home shell-rc",
      "/root/.ssh/authorized_keys": "home credential ssh-config",
      // a home-relative credential under any directory
      "/x/.aws/credentials": "credential outside",
      "/x/y/.docker/config.json": "credential outside",
      "/x/.bashrc": "outside",
      "/x/home/bob/.bashrc": "outside",
      "/Users/xy/.zshrc": "home shell-rc",
      "/home/u/x/.ssh/rc": "home credential",
      "/home/u/x/.config/systemd/a": "home",
      "/home/u/x/.config/autostart/a": "home",
      "/.aws/credentials": "credential outside",
      "/x/etc/profile": "outside",
      "/x/etc/ssh/y": "outside",
      "/x/etc/cron.d/a": "outside",
      "/x/lib/systemd/a": "outside",
      "/x/etc/init.d/a": "outside",
      "/x/etc/ld.so.preload": "outside",
      "/w/proj/.ssh/id_rsa": "project credential",
      // by file name, and a glob by its suffix
      "/x/server.pem": "credential outside",
      "/x/a.PEM": "credential outside",
      "/x/id_ed25519": "credential outside",
      "/x/id_ed25519_sk": "credential outside",
      "/x/id_ed25519.pub": "outside",
      "/x/*.pem@g": "credential outside",
      "/x/*.key@g": "credential outside",
      "/x/*/a.pem@g": "credential outside",
      "/x/*.txt@g": "outside",
      "/x/server.pem*@g": "outside",
      "/etc/shadow": "system credential",
      "/etc/shadow-": "system credential",
      "/proc/1/environ": "proc system credential",
      "/etc/profile": "system shell-rc",
      "/etc/profile.d/x.sh": "system shell-rc",
      "/etc/bash.bashrc": "system shell-rc",
      "/etc/zsh/zshrc": "system shell-rc",
      "/etc/environment": "system shell-rc",
      "/etc/environmentx": "system",
      "/etc/ssh": "system ssh-config",
      "/etc/ssh/sshd_config": "system ssh-config",
      "/etc/sshx": "system",
      "/x/authorized_keys": "ssh-config outside",
      "/etc/cron.d/x": "system cron",
      "/etc/crontab": "system cron",
      "/etc/anacrontab": "system cron",
      "/var/spool/cron/x": "system log cron",
      "/etc/systemd/system/x": "system systemd",
      "/lib/systemd/x": "system systemd",
      "/usr/lib/systemd": "system systemd",
      "/usr/lib/systemdx": "system",
      "/etc/init.d/x": "system systemd",
      "/etc/rc.local": "system systemd",
      "/etc/ld.so.preload": "system ld-preload",
      "/etc/ld.so.conf.d/x": "system ld-preload",
      "/etc/ld.so.cache": "system",
    }),
  )("%s", (path, want) => {
    expect(classes(path)).toEqual(want);
  });
});

describe("classifyPath: the scope's own paths", () => {
  // Written the way a user may write them: doubled and trailing slashes, `..` segments.
  const raw: PathScope = {
    cwd: undefined,
    home: "/home//u/",
    projectPaths: ["/w//proj/"],
    protectedPaths: ["/srv//keep/", "/opt/a/../b"],
  };

  it("normalises them unless told they are normal already", () => {
    expect(classes("/srv/keep/x", raw)).toEqual(["protected", "system"]);
    expect(classes("/opt/b", raw)).toEqual(["protected", "system"]);
    expect(classes("/opt/a", raw)).toEqual(["system"]);
    expect(classes("/w/proj/a", raw)).toEqual(["project"]);
    expect(classes("/home/u/x/.ssh/id_rsa", raw)).toEqual(["credential", "home"]);
    // taken as written when `normalized` says they are normal
    const asIs = { ...raw, normalized: true };
    expect(classes("/srv/keep/x", asIs)).toEqual(["system"]);
    expect(classes("/opt/b", asIs)).toEqual(["system"]);
    expect(classes("/w/proj/a", asIs)).toEqual(["outside"]);
  });

  it("marks a path protected when it holds a protected path or lies under one", () => {
    const s = { ...scope, protectedPaths: ["/data/keep"] };
    expect(classes("/data/keep/a/b", s)).toEqual(["outside", "protected"]);
    expect(classes("/data/keep", s)).toEqual(["outside", "protected"]);
    expect(classes("/data", s)).toEqual(["outside", "protected"]);
    expect(classes("/data/keepx", s)).toEqual(["outside"]);
    expect(classes("/data/other", s)).toEqual(["outside"]);
    expect(classes("/data/*@g", s)).toEqual(["outside", "protected"]);
  });

  it("a home outside /home: files there are home files, a project inside it is not home", () => {
    const s = { ...scope, home: "/data/me", projectPaths: ["/data/me/proj"] };
    expect(classes("/data/me", s)).toEqual(["home", "project-root"]);
    expect(classes("/data/me/.netrc", s)).toEqual(["credential", "home"]);
    expect(classes("/data/me/.zshrc", s)).toEqual(["home", "shell-rc"]);
    expect(classes("/data/me/proj/x", s)).toEqual(["project"]);
    expect(classes("/data/mex/.zshrc", s)).toEqual(["outside"]);
  });

  it("one project of several, and none", () => {
    const s = { ...scope, projectPaths: ["/w/a", "/w/b"] };
    expect(classes("/w/b/x", s)).toEqual(["project"]);
    expect(classes("/w/a", s)).toEqual(["project-root"]);
    expect(classes("/w/b", s)).toEqual(["project-root"]);
    expect(classes("/w/c", s)).toEqual(["outside"]);
    expect(classes("/w/b/*@g", s)).toEqual(["project-root"]);
    expect(classes("/w/b/*.c@g", s)).toEqual(["project"]);
    const none = { ...scope, projectPaths: [] };
    expect(classes("/w/proj/a", none)).toEqual(["outside"]);
    expect(classes("/w/proj/*@g", none)).toEqual(["outside"]);
  });

  it("a project at / : a glob of every entry of / is its root", () => {
    const s = { ...scope, projectPaths: ["/"] };
    expect(classes("/*@g", s)).toEqual(["project-root", "protected", "root"]);
    expect(classes("/x", s)).toEqual(["project"]);
  });

  it("a project under a system tree is the project, not the system", () => {
    const s = { ...scope, projectPaths: ["/srv/app"] };
    expect(classes("/srv/app/x", s)).toEqual(["project"]);
    expect(classes("/srv/app", s)).toEqual(["project-root", "system"]);
    expect(classes("/srv/other", s)).toEqual(["system"]);
  });
});

describe("normalizePath", () => {
  it.each([
    ["/", "/"],
    ["", "/"],
    [".", "/"],
    ["a/b", "/a/b"],
    ["/etc/", "/etc"],
    ["/a//b", "/a/b"],
    ["/a/./b", "/a/b"],
    ["/a/.ssh", "/a/.ssh"],
    ["/a/b/..", "/a"],
    ["/a/../..", "/"],
    ["/a/b", "/a/b"],
    // `/proc/<pid>/root` is `/` seen by that process
    ["/proc/self/root/etc/shadow", "/etc/shadow"],
    ["/proc/1/root", "/"],
    ["/proc/self/root", "/"],
    ["/proc/thread-self/root/x", "/x"],
    ["//proc//self//root//etc", "/etc"],
    ["/proc/12/rootx/a", "/proc/12/rootx/a"],
    ["/proc/x1/root/etc", "/proc/x1/root/etc"],
    ["/proc/123/root/etc/shadow", "/etc/shadow"],
    ["/x/proc/self/root/etc", "/x/proc/self/root/etc"],
    ["/x//proc/self/root/etc", "/x/proc/self/root/etc"],
    ["/proc/1/environ", "/proc/1/environ"],
    ["/proc/", "/proc"],
    ["/xproc/self/root/etc", "/xproc/self/root/etc"],
  ])("%j → %j", (input, out) => {
    expect(normalizePath(input)).toBe(out);
  });
});

describe("absolutize", () => {
  const s: PathScope = { cwd: "/w", home: "/home/u", projectPaths: [], protectedPaths: [] };
  const noCwd: PathScope = { ...s, cwd: undefined };
  it.each([
    ["~", "/home/u", "/home/u"],
    ["~/x", "/home/u/x", "/home/u/x"],
    ["~/../etc", "/home/etc", "/home/etc"],
    ["~bob", "/home/bob", "/home/bob"],
    ["~bob/x", "/home/bob/x", "/home/bob/x"],
    ["~root", "/root", "/root"],
    ["~root/x", "/root/x", "/root/x"],
    ["/abs//x/", "/abs/x", "/abs/x"],
    ["x", "/w/x", undefined],
    ["./a/../b", "/w/b", undefined],
    ["x~", "/w/x~", undefined],
  ])("%s", (raw, withCwd, without) => {
    expect(absolutize(raw, s)).toBe(withCwd);
    expect(absolutize(raw, noCwd)).toBe(without);
  });
});

describe("pathFact", () => {
  const s: PathScope = { ...scope, cwd: "/w/proj" };
  const arg = (value: string, over: { dynamic?: boolean; glob?: boolean } = {}) => ({
    value,
    dynamic: over.dynamic ?? false,
    glob: over.glob ?? false,
  });

  it("a dynamic word, or a relative one without a cwd, is unknown as written", () => {
    expect(pathFact(arg("$X/a", { dynamic: true }), "write", s)).toEqual({
      raw: "$X/a",
      path: "$X/a",
      role: "write",
      classes: ["unknown"],
    });
    expect(pathFact(arg("/tmp/a", { dynamic: true }), "read", s).classes).toEqual(["unknown"]);
    expect(pathFact(arg("a"), "read", { ...s, cwd: undefined })).toEqual({
      raw: "a",
      path: "a",
      role: "read",
      classes: ["unknown"],
    });
  });

  it("a known word: absolute, normalised and classified, glob or not", () => {
    expect(pathFact(arg("a/../b"), "delete", s)).toEqual({
      raw: "a/../b",
      path: "/w/proj/b",
      role: "delete",
      classes: ["project"],
    });
    expect(pathFact(arg("*", { glob: true }), "delete", s)).toEqual({
      raw: "*",
      path: "/w/proj/*",
      role: "delete",
      classes: ["project-root"],
    });
    expect(pathFact(arg("*"), "delete", s).classes).toEqual(["project"]);
  });
});

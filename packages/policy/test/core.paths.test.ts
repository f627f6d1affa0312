// What touching a path does (effects/paths.ts: isWholeTree, pathEffects), on hand-built path facts
// whose classes are given, so that each effect follows from the path's class, its role and the
// program alone (the classifier is facts/paths.ts's, tested in paths.test.ts). No policy pack is
// loaded: these are the decision core's own unit tests (also run by Stryker).
import { isWholeTree, pathEffects, type PathKnowledge } from "../src/effects/paths.js";
import type { CommandFacts, PathClass, PathFact, PathRole } from "../src/types.js";
import { command } from "./command.js";

const HOME = "/home/agent";
const path = (
  p: string,
  role: PathRole = "write",
  classes: PathClass[] = [],
  over: Partial<PathFact> = {},
): PathFact => ({ raw: p, path: p, role, classes, ...over });
const knowledge: PathKnowledge = { metadataOnly: new Set(["stat"]), extractors: new Set(["tar"]) };
/** `id reason` of each effect of `program` touching the paths. */
const effects = (program: string, paths: PathFact[], over: Partial<CommandFacts> = {}) =>
  pathEffects(command(program, { paths, ...over }), 3, HOME, knowledge).map(
    (e) => `${e.id} ${e.reason}`,
  );
/** The one effect of a write by `cp` (no extractor, no permission change). */
const write = (p: string, classes: PathClass[] = []) => effects("cp", [path(p, "write", classes)]);

describe("isWholeTree", () => {
  const tree = (p: string, classes: PathClass[] = [], recursive = true, home = HOME) =>
    isWholeTree(path(p, "delete", classes), home, recursive);

  it("takes /, /home, /root, the home and any home directory whole", () => {
    for (const p of ["/", "/home", "/root", HOME, "/home/bob"])
      expect({ p, whole: tree(p, [], false) }).toEqual({ p, whole: true });
    expect(tree("/home/bob/x", [], true, "/home/bob")).toBe(false);
    // a home outside /home and /root, and /home or /root only at the start
    expect(tree("/srv/agent", [], false, "/srv/agent")).toBe(true);
    expect(tree("/x/home/bob", [], false)).toBe(false);
    expect(tree("/x/root/y")).toBe(false);
  });

  it("reads a glob as its literal parent, and .* as also naming the parent's parent", () => {
    expect(tree("/etc/*", ["system"], false)).toBe(true);
    expect(tree("/srv/*/x", ["system"])).toBe(true);
    expect(tree("/workspace/*", ["project"])).toBe(false);
    expect(tree("/*", [], false)).toBe(true);
    expect(tree("/x*", [], false)).toBe(true);
    expect(tree("/workspace/.*", ["project"], false)).toBe(true);
    expect(tree("/workspace/app/.*", ["project"])).toBe(false);
    expect(tree(`${HOME}/app/.*`, ["project"], false)).toBe(true);
    // only a trailing .* names the parent
    expect(tree(`${HOME}/app/.*x`)).toBe(false);
  });

  it("takes the start of find's selection: / always, a system tree up to two levels", () => {
    expect(tree("/<match>")).toBe(true);
    expect(tree("/etc/<match>", ["system"])).toBe(true);
    expect(tree("/usr/lib/<match>", ["system"])).toBe(true);
    expect(tree("/usr/lib/x/<match>", ["system"])).toBe(false);
    expect(tree("/etc/<match>", [])).toBe(false);
    expect(tree("/workspace/<match>", ["project"])).toBe(false);
  });

  it("takes /tmp itself only recursively or through a glob", () => {
    expect(tree("/tmp", ["temp-root"])).toBe(true);
    expect(tree("/tmp", ["temp-root"], false)).toBe(false);
    expect(tree("/tmp/*", ["temp-root"], false)).toBe(true);
    expect(tree("/tmp/x", ["temp"])).toBe(false);
  });

  it("takes another user's files whole, not the agent's own or the project's", () => {
    expect(tree("/home/bob/x")).toBe(true);
    expect(tree("/root/x")).toBe(true);
    expect(tree("/root/x", [], true, "/root")).toBe(false);
    expect(tree("/home/bob/x", ["project"])).toBe(false);
    expect(tree(`${HOME}/x`)).toBe(false);
    expect(tree(`${HOME}2/x`)).toBe(true);
    expect(tree("/home/bob/x", [], false)).toBe(false);
    expect(tree("/rootx/y")).toBe(false);
  });

  it("takes a system tree up to two levels deep, not a temporary or project one", () => {
    expect(tree("/etc", ["system"])).toBe(true);
    expect(tree("/usr/lib", ["system"])).toBe(true);
    expect(tree("/usr/lib/x", ["system"])).toBe(false);
    expect(tree("/etc", ["system"], false)).toBe(false);
    expect(tree("/var/tmp", ["system", "temp"])).toBe(false);
    expect(tree("/srv/app", ["system", "project"])).toBe(false);
    expect(tree("/etc", [])).toBe(false);
  });
});

describe("a write", () => {
  it.each([
    ["/etc/passwd", [], "path.escalate writes the account or privilege database"],
    ["/etc/sudoers.d/x", [], "path.escalate writes the account or privilege database"],
    ["/etc/nologin", [], "path.lockout blocks logins"],
    ["/run/nologin", [], "path.lockout blocks logins"],
    ["/boot", [], "path.availability changes what the guest boots"],
    ["/boot/grub/grub.cfg", [], "path.availability changes what the guest boots"],
    ["/bootx", [], "path.write writes a file"],
    ["/workspace/boot/x", ["project"], "path.write writes a file"],
    ["/srv/keep/x", ["protected"], "path.tamper writes an operator-protected path"],
    ["/dev/sda", ["device"], "path.disk writes a raw device"],
    ["/dev/tcp/h/1", ["network"], "path.send writes to a network socket"],
    ["/proc/sys/x", ["proc"], "path.availability writes kernel controls under /proc or /sys"],
    [
      "/etc/ssh/sshd_config",
      ["ssh-config"],
      "path.lockout changes SSH server config or authorized keys",
    ],
    ["/etc/ld.so.preload", ["ld-preload"], "path.persist injects a library into every process"],
    [
      "/etc/cron.d/x",
      ["cron"],
      "path.persist installs code that runs later (cron, unit, shell rc)",
    ],
    [
      "/etc/systemd/x",
      ["systemd"],
      "path.persist installs code that runs later (cron, unit, shell rc)",
    ],
    [
      "/root/.bashrc",
      ["shell-rc"],
      "path.persist installs code that runs later (cron, unit, shell rc)",
    ],
    [".git/hooks/x", ["vcs-exec"], "path.persist writes git hooks or config that git later runs"],
    ["/var/log/x", ["log"], "path.tamper rewrites logs"],
    ["/etc/ufw/x", [], "path.tamper changes logging, audit, firewall or trust configuration"],
    ["/etc/rc.local", [], "path.persist installs something that runs later by itself"],
    ["/usr/local/bin/x", [], "path.persist plants a program in a directory on every user's PATH"],
    ["/workspace/x", ["project"], "path.write writes a file"],
  ] as [string, PathClass[], string][])("%s %j: %s", (p, classes, effect) => {
    expect(write(p, classes)).toEqual([`${effect}: ${p}`]);
  });

  it("gives the effect its target, the command's index and the guest", () => {
    const c = command("cp", { paths: [path("/workspace/x", "write", [], { raw: "x" })] });
    expect(pathEffects(c, 3, HOME, knowledge)).toEqual([
      {
        kind: "write",
        id: "path.write",
        reason: "writes a file: x",
        remote: false,
        command: 3,
        target: "/workspace/x",
      },
    ]);
  });

  it("ignores /dev/null and the other host's side of a copy", () => {
    expect(effects("cp", [path("/dev/null", "write", ["devnull"])])).toEqual([]);
    expect(effects("scp", [path("/etc/passwd", "write", [], { remote: true })])).toEqual([]);
  });

  it("by an extractor over a whole system tree persists; elsewhere it is a write", () => {
    const tar = (p: string, classes: PathClass[]) =>
      effects("tar", [path(p, "write", classes)]).map((e) => e.split(":")[0]);
    expect(tar("/", ["root"])).toEqual(["path.persist writes over a whole system tree"]);
    expect(tar("/opt", ["system"])).toEqual(["path.persist writes over a whole system tree"]);
    expect(tar("/opt/*", ["system"])).toEqual(["path.persist writes over a whole system tree"]);
    expect(tar("/opt/x", ["system"])).toEqual(["path.write writes a file"]);
    expect(tar("/workspace", ["project"])).toEqual(["path.write writes a file"]);
    expect(effects("cp", [path("/", "write", ["root"])])).toEqual(["path.write writes a file: /"]);
  });

  it("by a permission change: SSH keys lock out, a recursive one over a tree destroys it", () => {
    for (const program of ["chmod", "chown", "chgrp", "chattr", "setfacl"])
      expect(effects(program, [path("/root/.ssh", "write", ["credential"])])).toEqual([
        "path.lockout changes permissions of SSH keys: /root/.ssh",
      ]);
    expect(effects("chmod", [path(`${HOME}/.ssh/id_rsa`, "write")])).toEqual([
      `path.lockout changes permissions of SSH keys: ${HOME}/.ssh/id_rsa`,
    ]);
    for (const flag of ["-R", "--recursive"])
      expect(effects("chown", [path("/etc", "write", ["system"])], { flags: [flag] })).toEqual([
        "path.destroy-tree changes permissions or owners of a whole tree: /etc",
      ]);
    expect(effects("chown", [path("/etc", "write", ["system"])], { flags: ["-r"] })).toEqual([
      "path.write writes a file: /etc",
    ]);
    expect(effects("chmod", [path("/workspace", "write", ["project"])], { flags: ["-R"] })).toEqual(
      ["path.write writes a file: /workspace"],
    );
    // cp is no permission change: a .ssh path is judged by its class
    expect(write(`${HOME}/.sshx`, [])).toEqual([`path.write writes a file: ${HOME}/.sshx`]);
    expect(write(`${HOME}/.ssh/known_hosts`, [])).toEqual([
      `path.write writes a file: ${HOME}/.ssh/known_hosts`,
    ]);
  });
});

describe("a delete", () => {
  const del = (program: string, p: string, classes: PathClass[] = [], flags: string[] = []) =>
    effects(program, [path(p, "delete", classes)], { flags });

  it.each([
    ["/srv/keep", ["protected"], "path.tamper deletes an operator-protected path"],
    ["/dev/sda", ["device"], "path.disk wipes a device"],
    ["/var/log/x", ["log"], "path.tamper deletes logs"],
    [
      "/etc/ssh/sshd_config",
      ["ssh-config"],
      "path.lockout deletes SSH server config or authorized keys",
    ],
    ["/etc/ld.so.preload", ["ld-preload"], "path.persist changes the preload list"],
    ["/etc/shadow", [], "path.lockout deletes the account or privilege database"],
    [
      `${HOME}/.aws/credentials`,
      ["credential"],
      "path.lockout destroys a credential (keys are access)",
    ],
    ["/workspace/x", ["project"], "path.delete deletes files"],
  ] as [string, PathClass[], string][])("%s %j: %s", (p, classes, effect) => {
    expect(del("rm", p, classes)).toEqual([`${effect}: ${p}`]);
  });

  it("of a path known only at run time destroys a tree when rm -r or find takes it", () => {
    const runtime =
      "path.destroy-tree recursive delete of a path known only at run time (an empty value reaches / or ~): $d/x";
    for (const flag of ["-r", "-R", "--recursive"])
      expect(del("rm", "$d/x", ["unknown"], [flag])).toEqual([runtime]);
    expect(del("find", "$d/x", ["unknown"])).toEqual([runtime]);
    expect(del("rm", "$d/x", ["unknown"], ["-f"])).toEqual(["path.delete deletes files: $d/x"]);
    expect(del("mv", "$d/x", ["unknown"])).toEqual(["path.delete deletes files: $d/x"]);
  });

  it("of a whole tree destroys it; single-file removers never take /tmp whole", () => {
    expect(del("rm", "/tmp", ["temp-root"], ["-r"])).toEqual([
      "path.destroy-tree deletes a whole tree the guest depends on: /tmp",
    ]);
    expect(del("mv", "/tmp", ["temp-root"])).toEqual([
      "path.destroy-tree deletes a whole tree the guest depends on: /tmp",
    ]);
    for (const program of ["rm", "unlink", "shred", "rmdir", "srm"])
      expect({ program, e: del(program, "/tmp", ["temp-root"]) }).toEqual({
        program,
        e: ["path.delete deletes files: /tmp"],
      });
    expect(del("rm", "/", ["root"])).toEqual([
      "path.destroy-tree deletes a whole tree the guest depends on: /",
    ]);
  });
});

describe("reads, runs and inputs", () => {
  it("judges a socket as a send and a credential as a secret, unless only its metadata is read", () => {
    for (const role of ["read", "operand", "exec"] as PathRole[]) {
      expect(effects("cat", [path("/dev/tcp/h/1", role, ["network"])])).toEqual([
        "path.send opens a network socket as a file: /dev/tcp/h/1",
      ]);
      expect(effects("cat", [path("/root/.netrc", role, ["credential"])])).toEqual([
        "path.read-secret reads a credential: /root/.netrc",
      ]);
    }
    expect(effects("stat", [path("/root/.netrc", "read", ["credential"])])).toEqual([]);
    expect(effects("cat", [path("/workspace/x", "read", ["project"])])).toEqual([]);
    // mounted into a container, a host tree is an escape (not a read of its content)
    expect(effects("mount", [path("/root/.netrc", "mount", ["credential"])])).toEqual([
      "path.mount-host mounts a tree of the host into a container or sandbox, which can then change it outside any transaction: /root/.netrc",
    ]);
    expect(effects("mount", [path("/workspace/x", "mount", ["project"])])).toEqual([]);
  });

  it("judges running a file from a temporary directory as untrusted code", () => {
    for (const cls of ["temp", "temp-root"] as PathClass[])
      expect(effects("sh", [path("/tmp/x.sh", "exec", [cls])])).toEqual([
        "path.exec-temp runs a file from a temporary directory whose origin the gate does not know: /tmp/x.sh",
      ]);
    expect(effects("sh", [path("/tmp/x.sh", "read", ["temp"])])).toEqual([]);
  });

  it("judges a program started from a temporary directory as untrusted code", () => {
    for (const dir of ["/tmp", "/var/tmp", "/dev/shm"]) {
      const c = command("x", { programPath: `${dir}/x` });
      expect(pathEffects(c, 3, HOME, knowledge)).toEqual([
        {
          kind: "exec-untrusted",
          id: "path.exec-temp",
          reason: `runs a program from a temporary directory whose origin the gate does not know: ${dir}/x`,
          remote: false,
          command: 3,
          target: `${dir}/x`,
        },
      ]);
    }
    for (const programPath of ["/tmpx/x", "/usr/tmp/x", "/tmp", "x/tmp/y"])
      expect(pathEffects(command("x", { programPath }), 3, HOME, knowledge)).toEqual([]);
  });

  it("judges what a redirect writes, and nothing it reads or discards", () => {
    const redirect = (target: string, write: boolean, classes: PathClass[] = []) => ({
      operator: write ? ">" : "<",
      target,
      write,
      path: path(target, "write", classes),
    });
    expect(
      effects("ls", [], {
        redirects: [
          redirect("/workspace/out", true, ["project"]),
          redirect("/etc/passwd", true),
          redirect("/dev/null", true, ["devnull"]),
          redirect("/workspace/in", false),
          { operator: ">&", target: "2", write: true },
        ],
      }),
    ).toEqual([
      "redirect.write writes a file: /workspace/out",
      "redirect.escalate writes the account or privilege database: /etc/passwd",
    ]);
    // a redirect is no extractor's output, whatever the program
    expect(effects("tar", [], { redirects: [redirect("/", true, ["root"])] })).toEqual([
      "redirect.write writes a file: /",
    ]);
  });

  it("judges a write or delete under a remote mount as leaving the guest", () => {
    const why = "writes into a remote filesystem mounted on this line: the data leaves the guest";
    const mount: PathClass[] = ["remote-mount"];
    expect(
      pathEffects(
        command("cp", {
          paths: [path("/mnt/r/a", "write", mount), path("/mnt/r/b", "delete", mount)],
          redirects: [
            {
              operator: ">",
              target: "/mnt/r/c",
              write: true,
              path: path("/mnt/r/c", "write", mount),
            },
          ],
        }),
        3,
        HOME,
        knowledge,
      ).map((e) => [e.kind, e.id, e.reason]),
    ).toEqual([
      ["send", "path.remote-mount", `${why}: /mnt/r/a`],
      ["remote-change", "path.remote-mount", `${why}: /mnt/r/b`],
      ["send", "redirect.remote-mount", `${why}: /mnt/r/c`],
    ]);
    // reading there is judged as any read
    expect(effects("cat", [path("/mnt/r/a", "read", mount)])).toEqual([]);
  });

  it("judges inputs as reads by no particular program", () => {
    expect(
      effects("stat", [], {
        inputs: [
          path("/root/.netrc", "read", ["credential"]),
          path("/dev/tcp/h/1", "read", ["network"]),
          path("/workspace/x", "read", ["project"]),
        ],
      }),
    ).toEqual([
      "input.read-secret reads a credential: /root/.netrc",
      "input.send opens a network socket as a file: /dev/tcp/h/1",
    ]);
  });
});

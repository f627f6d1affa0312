import { decide, loadPolicy } from "../src/policy.js";
import { extractFacts } from "../src/facts/extract.js";
import { resolveContext } from "../src/context.js";
import { runnerIndex } from "../src/knowledge/runners.js";

const policy = loadPolicy({});
const ctx = resolveContext({});
const programs = (cmd: string): string[] => extractFacts(cmd, ctx).commands.map((c) => c.program);

describe("programs that run other commands (knowledge/runners.yaml)", () => {
  it("judges the command in a runner's operands, after its options and skipped operands", () => {
    expect(programs("chrt 1 rm -rf ~")).toEqual(["rm"]);
    expect(programs("timeout -s KILL 5 make test")).toEqual(["make"]);
    expect(programs("flock /tmp/l -c 'make test'")).toEqual(["make", "flock"]);
    expect(programs("setarch x86_64 -R ./a.out")).toEqual(["a.out"]);
    expect(programs("ip netns exec lab ping -c1 10.0.0.1")).toEqual(["ping"]);
    expect(decide(policy, "taskset 0x3 rm -rf ~").decision).toBe("deny");
    expect(decide(policy, "sudo -u bob ls -l").decision).toBe("allow");
  });

  it("reads the runner's own flags only before the command", () => {
    // `-l` belongs to ls, not to sudo (where it would mean "list")
    expect(programs("sudo -u bob ls -l")).toEqual(["ls"]);
    expect(programs("sudo -l")).toEqual(["sudo"]);
  });

  it("judges commands carried by options: shell lines, programs, code and command languages", () => {
    expect(programs("certbot renew --post-hook 'systemctl reload nginx'")).toEqual([
      "systemctl",
      "certbot",
    ]);
    expect(programs("dhclient -sf ./hook.sh eth1")).toContain("hook.sh");
    expect(programs("vim -c ':!make' -c ':q' a.c")).toEqual(
      expect.arrayContaining(["make", "vim"]),
    );
    expect(programs("gdb -batch -ex 'shell id' ./a.out")).toEqual(["id", "gdb"]);
    expect(programs("mysql -e '\\! id'")).toEqual(["id", "mysql"]);
    expect(decide(policy, "vim -c ':!rm -rf ~' a.c").decision).toBe("deny");
    expect(decide(policy, "vim -c ':wq' a.txt").decision).toBe("transact");
  });

  it("denies an interactive shell or REPL: what it runs never passes the gate", () => {
    for (const cmd of [
      "bash",
      "sh -i",
      "python3",
      "node",
      "env /bin/sh",
      "chrt 1 /bin/sh",
      "nsenter -t 1 -a",
      "capsh --",
      "vi -c ':shell'",
      "script -q /dev/null",
      "gdb -ex '!/bin/sh'",
      "php -r 'system(\"/bin/sh -i\");'",
      "less /etc/hosts\n!/bin/sh",
    ]) {
      const d = decide(policy, cmd);
      expect([cmd, d.decision]).toEqual([cmd, "deny"]);
      expect(d.ruleIds).toContain("exec.opaque-shell");
    }
  });

  it("keeps shells and interpreters that run text the gate reads, and version queries", () => {
    for (const cmd of [
      "sh -c 'ls'",
      "echo ls | sh",
      "bash build.sh",
      "python3 -c 'print(1)'",
      "python3 --version",
      "php -m",
      "tmux ls",
      "capsh -- -c 'id'",
    ])
      expect([cmd, decide(policy, cmd).decision]).not.toEqual([cmd, "deny"]);
  });

  it("finds shell commands embedded in a program's own language", () => {
    expect(programs("pdflatex --shell-escape '\\write18{make figs}\\end'")).toContain("make");
    // without --shell-escape, TeX does not run \write18
    expect(programs("pdflatex '\\write18{make figs}\\end'")).not.toContain("make");
    expect(programs("echo 'esyscmd(date)' | m4")).toContain("date");
    expect(programs("rpm --eval '%(date)'")).toContain("date");
    expect(decide(policy, "rpm --eval '%(rm -rf ~)'").decision).toBe("deny");
    expect(decide(policy, "ghc -e 'System.Process.callCommand \"/bin/sh\"'").decision).toBe("deny");
  });

  it("reads ip's abbreviated words written out, as ip resolves them", () => {
    const words = (cmd: string) => extractFacts(cmd, ctx).commands[0]?.words.slice(0, 2);
    expect(words("ip a d 10.0.0.2/24 dev eth0")).toEqual(["address", "delete"]);
    expect(words("ip l s eth0 down")).toEqual(["link", "set"]);
    expect(words("ip -br r sh")).toEqual(["route", "show"]);
    expect(decide(policy, "sudo ip ru f").decision).toBe("deny");
    expect(decide(policy, "ip a").decision).not.toBe("deny");
  });

  it("judges an unknown program given a shell's path as running that shell", () => {
    const d = decide(policy, "agetty -l /bin/sh -o -p -a root tty");
    expect(d.decision).toBe("deny");
    expect(d.ruleIds).toContain("unknown.runs-shell");
    // known programs that only read it are judged by their knowledge
    expect(decide(policy, "file /bin/sh").decision).toBe("allow");
  });

  it("indexes entries by program, the longer subcommand first", () => {
    const ip = runnerIndex().get("ip") ?? [];
    expect(ip.map((s) => s.subcommand)).toEqual([
      ["netns", "exec"],
      ["vrf", "exec"],
    ]);
    // every entry names its source and carries examples (checked when the policy loads)
    for (const list of runnerIndex().values())
      for (const s of list) {
        expect(s.source.length).toBeGreaterThan(0);
        expect(s.examples.length).toBeGreaterThan(0);
      }
  });
});

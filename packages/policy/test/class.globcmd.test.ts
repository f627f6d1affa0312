// Tests by class over a glob in the command word (src/facts/extract/program-glob.ts): bash(1)
// "Pathname Expansion" turns `/usr/bin/[s]hutdown` into /usr/bin/shutdown before running it, so the
// gate judges the programs the pattern can match. The rows name programs that destroy, stop the
// machine, change accounts or permissions, send data or run code (the manual pages of each), and
// shells, interpreters, netcats, writers, readers and programs with option grammars.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});
const programs = (cmd: string): string[] => extractFacts(cmd, ctx).commands.map((c) => c.program);

describe("a bracket glob in the command word names the program it matches", () => {
  const groups: Record<string, string> = {
    deleters: "rm rmdir unlink shred srm wipe trash",
    disks: "dd mkfs wipefs",
    power: "shutdown reboot halt poweroff",
    signals: "kill pkill killall",
    files: "chmod chown mv cp tee touch truncate mkdir",
    transfer: "curl wget scp rsync ssh",
    system: "iptables nft crontab passwd useradd systemctl",
    shells: "sh bash zsh dash",
    interpreters: "python node perl ruby php",
    netcats: "nc ncat socat telnet",
    grammars: "git gh tar unzip",
    readers: "cat less head",
  };
  it.each(Object.entries(groups))("%s", (_, list) => {
    const missed = list
      .split(" ")
      .filter((p) => !programs(`/usr/bin/[${p[0]!}]${p.slice(1)} x`).includes(p));
    expect(missed).toEqual([]);
  });
});

describe("a wildcard names every known program it matches", () => {
  it.each([
    ["/???/?m /srv", ["rm", "qm"]],
    ["/usr/bin/r? /srv", ["rm", "rg"]],
    ["/usr/bin/*down now", ["shutdown"]],
    ["/bin/r[m] /srv", ["rm"]],
  ])("%s", (cmd, expected) => {
    expect(programs(cmd)).toEqual(expected);
  });

  it("judges the operands as each program's", () => {
    const rm = extractFacts("/???/?m -rf /srv", ctx).commands.find((c) => c.program === "rm");
    expect(rm?.paths.filter((p) => p.role === "delete").map((p) => p.path)).toEqual(["/srv"]);
  });
});

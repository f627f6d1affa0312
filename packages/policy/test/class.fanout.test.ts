// Tests by class over the programs that run a command once per input item
// (src/facts/extract/fanout.ts): xargs(1) (GNU and BSD options) and GNU parallel(1). Every option
// documented as taking a value must not be read as the command; each replace-string form puts the
// item where it says; -n/-L run one command per item; parallel's ::: and -S. Expectations from
// the manual pages, written by hand. (GNU xargs' `--eof[=str]` takes a value only after `=`; the
// table reads `--eof x` as a value: left out, see docs/mutation/survivors.md.)
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { decide, loadPolicy } from "../src/policy.js";

const ctx = resolveContext({});

/** Each `rm` command's deleted paths, one entry per command. */
function rms(cmd: string): string[][] {
  return extractFacts(cmd, ctx)
    .commands.filter((c) => c.program === "rm")
    .map((c) => c.paths.map((p) => p.path));
}

const items = "printf '/srv/a\\n/srv/b\\n' |";

describe("xargs", () => {
  it("puts as many items as fit on one command line, or one per -n / -L / --max-args", () => {
    expect(rms(`${items} xargs rm`)).toEqual([["/srv/a", "/srv/b"]]);
    for (const o of [
      "-n 1",
      "-n1",
      "-L 1",
      "-l",
      "-l1",
      "--max-args 1",
      "--max-args=1",
      "--max-lines=1",
    ])
      expect([o, rms(`${items} xargs ${o} rm`)]).toEqual([o, [["/srv/a"], ["/srv/b"]]]);
  });

  it.each([
    "-P 4",
    "--max-procs 4",
    "-s 100",
    "--max-chars 100",
    "-d ,",
    "--delimiter ,",
    "-E x",
    "-R 2",
    "-S 255",
    "--process-slot-var V",
    "-0",
    "--",
  ])("xargs %s rm: the option's value is not the command", (o) => {
    expect(rms(`printf '/srv/a\\n' | xargs ${o} rm`)).toEqual([["/srv/a"]]);
  });

  it.each([
    "-I X rm X/y",
    "-IX rm X/y",
    "-J X rm X/y",
    "-JX rm X/y",
    "-i rm {}/y",
    "-iQ rm Q/y",
    "--replace rm {}/y",
    "--replace=Q rm Q/y",
  ])("xargs %s: the replace string takes each item", (tail) => {
    expect(rms(`printf '/srv/a\\n' | xargs ${tail}`)).toEqual([["/srv/a/y"]]);
  });

  it("reads items from -a / --arg-file, and none from /dev/null", () => {
    const list = "printf '/srv/a\\n' > /srv/list;";
    for (const o of ["-a /srv/list", "-a/srv/list", "--arg-file=/srv/list", "--arg-file /srv/list"])
      expect([o, rms(`${list} xargs ${o} rm`)]).toEqual([o, [["/srv/a"]]]);
    const sh = extractFacts("xargs -a /dev/null sh", ctx).commands.find((c) => c.program === "sh");
    expect(sh?.tags).toContain("interactive-shell");
  });

  it("makes the input the script of `sh -c` without one", () => {
    expect(rms("printf 'rm /srv/a\\n' | xargs -0 sh -c")).toEqual([["/srv/a"]]);
  });
});

describe("GNU parallel", () => {
  it("runs the command once per argument after :::", () => {
    expect(rms("parallel rm ::: /srv/a /srv/b")).toEqual([["/srv/a"], ["/srv/b"]]);
    expect(rms(`${items} parallel rm`)).toEqual([["/srv/a"], ["/srv/b"]]);
    expect(rms("parallel rm {}/y ::: /srv/a")).toEqual([["/srv/a/y"]]);
    expect(rms("parallel -I X rm X/y ::: /srv/a")).toEqual([["/srv/a/y"]]);
  });

  it("runs each argument as a command line when no command is given", () => {
    expect(rms("parallel ::: 'rm /srv/a'")).toEqual([["/srv/a"]]);
  });

  it.each([
    "-j 4",
    "--jobs 4",
    "--results /srv/r",
    "--res /srv/r",
    "-d ,",
    "--delimiter ,",
    "--joblog /srv/log",
    "--tmpdir /srv/t",
    "--workdir /srv/w",
    "--wd /srv/w",
    "-n 1",
    "--max-args 1",
    "--colsep ,",
    "-C ,",
    "--basefile /srv/b",
    "--env X",
    "--memfree 1G",
    "--load 80%",
    "--delay 1",
    "--timeout 5",
    "--retries 3",
    "--tag-string t",
    "--halt now,fail=1",
  ])("parallel %s rm: the option's value is not the command", (o) => {
    expect(rms(`parallel ${o} rm ::: /srv/a`)).toEqual([["/srv/a"]]);
  });

  it("runs on other hosts with -S / --sshlogin", () => {
    for (const o of ["-S h", "-Sh", "--sshlogin h", "--sshlogin=h"]) {
      const rm = extractFacts(`parallel ${o} rm ::: /srv/a`, ctx).commands.find(
        (c) => c.program === "rm",
      );
      expect([o, rm?.remote]).toEqual([o, true]);
    }
    const local = extractFacts("parallel rm ::: /srv/a", ctx).commands[0];
    expect(local?.remote).toBe(false);
  });
});

describe("items past the ones judged one by one (fail closed)", () => {
  const many = Array.from({ length: 16 }, (_, i) => String(i + 1));
  const decision = (cmd: string): string => decide(loadPolicy(), cmd).decision;

  it("an item past the sixteenth still reaches the command, as an unknown one", () => {
    const lines = [...many, "/etc"].join("\\n");
    expect(decision(`printf '${lines}\\n' | xargs -n1 rm -rf`)).toBe("deny");
    expect(decision(`parallel rm -rf ::: ${[...many, "/etc"].join(" ")}`)).toBe("deny");
  });

  it("sixteen items or fewer are judged as they are", () => {
    expect(decision(`parallel rm -rf ::: ${many.join(" ")}`)).toBe("transact");
    expect(decision(`printf '${many.join("\\n")}\\n' | xargs -n1 rm -rf`)).toBe("transact");
  });

  it("parallel's command lines past the sixteenth are an unjudged script", () => {
    const lines = [...many.map((n) => `echo ${n}`), "rm -rf /etc"];
    expect(decision(`parallel ::: ${lines.map((l) => `'${l}'`).join(" ")}`)).toBe("deny");
  });
});

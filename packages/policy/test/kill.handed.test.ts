// Shells handed to a program in its arguments or in files written on the line
// (src/facts/extract/handed.ts): a shell path inside a longer argument (`--bind
// 'enter:execute(/bin/sh)'`), text that starts a shell (a shell path, or system("sh") and kin;
// not a shebang, not make's SHELL :=), and such a file named in an argument, by its directory, or
// left where the program reads its configuration (the working directory, a home dotfile).
// Written by hand (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { spawnsShell } from "../src/facts/extract/handed.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const tagsOf = (cmd: string): string[] => extractFacts(cmd, ctx).commands.at(-1)!.tags;

describe("spawnsShell", () => {
  it.each([
    "/bin/sh",
    "/usr/bin/bash -i",
    "/usr/local/bin/zsh",
    "a=/bin/sh",
    ...["ba", "da", "z", "k", "mk", "c", "tc", "a", "y", "fi", "r"].map((p) => `/bin/${p}sh`),
    'system("sh")',
    "popen('bash -i')",
    "os.execute('zsh')",
    'execvp("sh")',
    'spawn("dash")',
    "shell_exec('ksh')",
    "passthru( 'sh' )",
  ])("%s", (text) => {
    expect(spawnsShell(text)).toBe(true);
  });

  it.each([
    "x/bin/sh",
    "/bin/shx",
    "/bin/sh.x",
    "/bin/xsh",
    "/sbin/sh",
    "#!/bin/sh\necho hi",
    "SHELL := /bin/bash\nall:",
    "SHELL=/bin/bash",
    'system("shx")',
    'system("ls")',
    "echo hi",
  ])("not %s", (text) => {
    expect(spawnsShell(text)).toBe(false);
  });
});

describe("a shell path inside an argument", () => {
  it.each([
    ["fzf --bind 'enter:execute(/bin/sh)'", true],
    ["foo 'x; /bin/sh -i'", true],
    ["foo X='/bin/sh -c'", true],
    ["foo --opt='/bin/sh -i'", true],
    // the path alone names a file
    ["fzf --bind=/bin/sh", false],
    ["chsh -s /bin/bash", false],
    ["ls -l /bin/sh", false],
    // programs that only print, copy or inspect it
    ["echo '/bin/sh -i'", false],
    ["printf '/bin/sh -i'", false],
    ["git commit -m 'x; /bin/sh -i'", false],
    ["cat 'x; /bin/sh -i'", false],
  ])("%s: %s", (cmd, tagged) => {
    expect(tagsOf(cmd).includes("embedded-shell")).toBe(tagged);
  });
});

describe("a file that starts a shell, handed to a program", () => {
  const writes = (file: string) => `printf "exec /bin/sh\\n" > ${file}; `;
  it.each([
    [`${writes("Gemfile")}bundle install`, true],
    [`${writes("/tmp/k")}kubectl --kubeconfig=/tmp/k get po`, true],
    [`${writes("/tmp/k")}foo -c /tmp/k`, true],
    [`${writes("/tmp/d/c")}cmake /tmp/d/`, true],
    [`${writes("/tmp/d/c")}cmake /tmp/d`, true],
    [`${writes("~/.rtorrent.rc")}rtorrent`, true],
    [`${writes("/tmp/k")}foo -c /tmp/other`, false],
    [`${writes("/tmp/k")}foo -c $F`, false],
    [`${writes("/tmp/dx/c")}cmake /tmp/d`, false],
    [`${writes("~/rtorrent.rc")}rtorrent`, false],
    [`${writes("/tmp/k")}docker build /tmp/k`, false],
    [`${writes("/tmp/k")}chmod +x /tmp/k`, false],
    [`${writes("/tmp/k")}cat /tmp/k`, false],
    ['printf "echo hi\\n" > /tmp/k; foo -c /tmp/k', false],
    ["foo -c /tmp/k", false],
  ])("%s: %s", (cmd, tagged) => {
    expect(tagsOf(cmd).includes("handed-shell-file")).toBe(tagged);
  });
});

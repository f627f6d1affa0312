import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProgram } from "../src/main.js";
import { completionScript } from "../src/completion.js";
import { defaultIo } from "../src/output.js";
import { describeWith, tool } from "../../../test/support/requirements.js";
import { runCli } from "./support-io.js";

const program = await buildProgram(defaultIo(), { code: 0 });
const dir = mkdtempSync(join(tmpdir(), "txbox-completion-"));

function scriptFile(shell: "bash" | "zsh" | "fish"): string {
  const file = join(dir, `txbox.${shell}`);
  writeFileSync(file, completionScript(program, shell));
  return file;
}

function run(shell: string, args: string[]): string {
  const r = spawnSync(shell, args, { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${shell} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** What the bash-style function offers for a command line ending at its last word. */
const bashLike = (shell: "bash" | "zsh", line: string): string[] => {
  const setup =
    shell === "zsh"
      ? 'autoload -U compinit; compinit -u; source "$1"; setopt ksharrays;'
      : 'source "$1";';
  const words = line.split(" ");
  const script = `${setup} COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _txbox_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return run(shell, ["-c", script, "_", scriptFile(shell)])
    .split("\n")
    .filter(Boolean);
};

const CASES: [string, string[]][] = [
  ["txbox t", ["testbed", "tx"]],
  ["txbox tx ", ["list", "audit", "show", "rollback", "recover"]],
  ["txbox --json net ", ["plan", "apply", "verify", "destroy"]],
  ["txbox tx rollback --j", ["--json"]],
];

describe("txbox completion bash", () => {
  test.each(CASES)("%j offers %j", (line, expected) => {
    expect(bashLike("bash", line).sort()).toEqual([...expected].sort());
  });

  test("every command of the program is completed", () => {
    const script = completionScript(program, "bash");
    for (const c of program.commands) expect(script).toContain(` ${c.name()}`);
  });
});

describeWith("txbox completion zsh", [tool("zsh")], () => {
  test.each(CASES)("%j offers %j", (line, expected) => {
    expect(bashLike("zsh", line).sort()).toEqual([...expected].sort());
  });
});

describeWith("txbox completion fish", [tool("fish")], () => {
  test("the script parses, and completes commands, subcommands and flags", () => {
    const file = scriptFile("fish");
    run("fish", ["-n", file]);
    const offered = (line: string) =>
      run("fish", ["-c", `source '${file}'; complete -C '${line}'`])
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0]);
    expect(offered("txbox t").sort()).toEqual(["testbed", "tx"]);
    expect(offered("txbox tx ").sort()).toEqual(["audit", "list", "recover", "rollback", "show"]);
    expect(offered("txbox tx rollback --j")).toEqual(["--json"]);
  });
});

test("an unknown shell is a usage error; --json wraps the script", async () => {
  expect((await runCli(["completion", "tcsh"])).code).toBe(2);
  const r = await runCli(["completion", "fish", "--json"]);
  expect(JSON.parse(r.stdout)).toMatchObject({ shell: "fish" });
});

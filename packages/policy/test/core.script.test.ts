// The file and line of a refusal inside a script the command runs (explain.ts: placeInScripts),
// where core.explain.test.ts leaves it open: a script named by its absolute path, an id denied in
// the script but only transacted elsewhere on the line, the whole command's line before an
// argument's, a command on no one line of the file, and comments that mention it. No rules and no policy pack: path effects alone.
import { decide } from "../src/explain.js";
import type { Policy } from "../src/policy.js";

const policy: Policy = {
  rules: [],
  packs: [],
  defaults: {},
  knowledge: { services: new Map(), metadataOnly: new Set(), extractors: new Set() },
};
const TREE = "deletes a whole tree the guest depends on: ~";
const run = (cmd: string, scripts: Record<string, string>) =>
  decide(policy, cmd, {}, { scripts }).reasons;

describe("a refusal inside a script", () => {
  it("names a script run by its absolute path as written", () => {
    expect(run("bash /workspace/t.sh", { "/workspace/t.sh": "rm -rf ~\n" })).toEqual([
      `${TREE} (in /workspace/t.sh line 1: rm -rf ~)`,
    ]);
    expect(
      run("bash sub/t.sh", { "/workspace/t.sh": "echo\n", "/workspace/sub/t.sh": "rm -rf ~\n" }),
    ).toEqual([`${TREE} (in sub/t.sh line 1: rm -rf ~)`]);
  });

  it("takes `./` off the front of the name only", () => {
    expect(run("bash out./t.sh", { "/workspace/out./t.sh": "rm -rf ~\n" })).toEqual([
      `${TREE} (in out./t.sh line 1: rm -rf ~)`,
    ]);
  });

  it("prefers the line with the whole command to an earlier one with one of its arguments", () => {
    expect(run("bash t.sh", { "/workspace/t.sh": "echo -rf\nrm -rf ~\n" })).toEqual([
      `${TREE} (in t.sh line 2: rm -rf ~)`,
    ]);
  });

  it("takes a line with a comment after the command as code, an indented comment as comment", () => {
    expect(run("bash t.sh", { "/workspace/t.sh": "rm -rf ~ # clean\n" })).toEqual([
      `${TREE} (in t.sh line 1: rm -rf ~ # clean)`,
    ]);
    expect(run("bash t.sh", { "/workspace/t.sh": "  # rm -rf ~\nrm -rf ~\n" })).toEqual([
      `${TREE} (in t.sh line 2: rm -rf ~)`,
    ]);
  });

  it("places the denied effect, not an allowed one of the same id elsewhere on the line", () => {
    const reasons = run("rm x; bash t.sh", { "/workspace/t.sh": "echo\nssh h rm y\n" });
    expect(reasons).toContainEqual(
      expect.stringMatching(/^deletes files: y \(in t\.sh line 2: ssh h rm y\)$/),
    );
  });

  it("names the file without a line when the command is on no one line", () => {
    expect(run("bash t.sh", { "/workspace/t.sh": "echo x\nrmdir \\\n  ~\n" })).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh)",
    ]);
  });

  it("skips comments when it searches by the command's arguments", () => {
    expect(run("bash t.sh", { "/workspace/t.sh": "# was: rm -rf ~ -v\nrm -rf \\\n  ~\n" })).toEqual(
      [`${TREE} (in t.sh line 2: rm -rf \\)`],
    );
  });
});

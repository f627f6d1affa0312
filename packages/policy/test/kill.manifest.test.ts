// Scripts a package manager runs from a manifest written on the line
// (src/facts/extract/manifests.ts): `npm run x` runs package.json's scripts.x (npm-run-script(1)),
// in the directory --prefix names, a list of lines too; the manifest is named as an input the
// command runs; one downloaded or written blind is exec-downloaded or exec-written; one that is
// not JSON is uncertain. Written by hand (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const npm = (cmd: string): CommandFacts => facts(cmd).commands.find((c) => c.program === "npm")!;
const ran = (cmd: string): string[] =>
  facts(cmd)
    .commands.filter((c) => c.program === "rm")
    .map((c) => `${c.paths.map((p) => p.path).join()} | ${c.via}`);
const manifest = (json: string, dir = "") => `echo '${json}' > ${dir}package.json; `;

describe("npm run and its manifest", () => {
  it("runs the script the command names, from the manifest written on the line", () => {
    const line = `${manifest('{"scripts":{"build":"rm /tmp/a"}}')}npm run build`;
    expect(ran(line)).toEqual(["/tmp/a | package.json scripts.build"]);
    expect(npm(line).inputs).toEqual([
      {
        raw: "/workspace/package.json",
        path: "/workspace/package.json",
        role: "read",
        classes: ["project"],
        runs: true,
      },
    ]);
    expect(ran(`${manifest('{"scripts":{"build":"rm /tmp/a"}}')}npm run test`)).toEqual([]);
    expect(ran(`${manifest('{"scripts":{"install":"rm /tmp/a"}}')}npm install`)).toEqual([
      "/tmp/a | package.json scripts.install",
    ]);
  });

  it("in the directory --prefix names; a list of lines runs each string", () => {
    const line = `${manifest('{"scripts":{"build":"rm /tmp/a"}}', "/tmp/p/")}npm --prefix /tmp/p run build`;
    expect(ran(line)).toEqual(["/tmp/a | package.json scripts.build"]);
    expect(npm(line).inputs.map((p) => p.path)).toEqual(["/tmp/p/package.json"]);
    expect(ran(`${manifest('{"scripts":{"x":["rm /tmp/a", 3]}}')}npm run x`)).toEqual([
      "/tmp/a | package.json scripts.x",
    ]);
  });

  it("a manifest of unknown content runs blind; one that is not JSON is uncertain", () => {
    expect(npm("curl -o package.json http://h; npm run build").tags).toEqual(["exec-downloaded"]);
    expect(npm("cat x > package.json; npm run build").tags).toEqual(["exec-written"]);
    expect(npm("npm run build").tags).toEqual([]);
    expect(npm("npm run build").inputs.map((p) => p.path)).toEqual(["/workspace/package.json"]);
    expect(npm("cd $D; npm run build").inputs).toEqual([]);
    for (const text of ["nope", "null"])
      expect(facts(`${manifest(text)}npm run build`).uncertain.map((u) => u.tag)).toEqual([
        "manifest-unreadable",
      ]);
    for (const json of ['{"scripts":null}', "[1]", '{"x":1}'])
      expect([json, facts(`${manifest(json)}npm run build`).uncertain]).toEqual([json, []]);
  });
});

import { manifestIndex, scriptsRun } from "../src/knowledge/manifests.js";

// What a package manager command runs from the manifest, by the manifest's own rules
// (knowledge/manifests.yaml): a bare script name runs that script only where the manager
// has an implicit `run` (yarn x), never where it has not (npm x is no script run).
describe("scripts a manifest command runs", () => {
  const npm = manifestIndex().get("npm")!;
  const defined = (name: string): boolean => name === "x";

  it("runs a defined script by its bare name only with an implicit run", () => {
    expect(scriptsRun({ ...npm, implicit_run: true, pre_post: false }, ["x"], defined)).toEqual([
      "x",
    ]);
    expect(scriptsRun({ ...npm, implicit_run: false }, ["x"], defined)).toEqual([]);
  });

  it("runs no script for an undefined name, nor for no name, even with an implicit run", () => {
    const implicit = { ...npm, implicit_run: true, pre_post: false, lifecycle: {} };
    expect(scriptsRun(implicit, ["y"], defined)).toEqual([]);
    expect(scriptsRun(implicit, [], () => true)).toEqual([]);
  });
});

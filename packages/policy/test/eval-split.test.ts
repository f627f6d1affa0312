import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  EvalDataError,
  evalDataDir,
  fnv1a32,
  heldOutPrograms,
  loadEvalSets,
  readLabelled,
  splitOf,
  splitSet,
} from "../src/eval/index.js";

describe("split held out by program", () => {
  it("hashes with FNV-1a-32 (published test vectors)", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("is a function of the program name alone", () => {
    const names = ["git", "rm", "curl", "tar", "kubectl", "python3", "ls", "docker"];
    const first = names.map(splitOf);
    expect(names.map(splitOf)).toEqual(first);
    for (const n of names) expect(splitOf(n)).toBe(fnv1a32(n) % 100 < 30 ? "heldout" : "dev");
  });

  it("holds out roughly 30 % of the labelled programs, and every example of each", () => {
    const sets = loadEvalSets();
    const programs = new Set([...sets.tldr, ...sets.gtfobins].map((e) => e.program));
    const held = heldOutPrograms(sets);
    expect(held.length / programs.size).toBeGreaterThan(0.22);
    expect(held.length / programs.size).toBeLessThan(0.38);
    const heldSet = new Set(held);
    for (const e of splitSet(sets, "dev")) expect(heldSet.has(e.program)).toBe(false);
    for (const e of splitSet(sets, "heldout")) expect(heldSet.has(e.program)).toBe(true);
  });

  it("agrees with the published HELDOUT.md the labeller wrote", () => {
    const md = readFileSync(resolve(evalDataDir, "HELDOUT.md"), "utf8");
    const listed = [...md.matchAll(/^- (.+)$/gm)].map((m) => m[1]);
    expect(listed).toEqual(heldOutPrograms(loadEvalSets()));
  });
});

describe("labelled sets", () => {
  it("are big enough for the figures to mean something", () => {
    const sets = loadEvalSets();
    expect(sets.tldr.length).toBeGreaterThanOrEqual(1500);
    expect(new Set(sets.tldr.map((e) => e.program)).size).toBeGreaterThanOrEqual(300);
    const five = [
      "credential-access",
      "impact",
      "exfiltration",
      "persistence",
      "defense-impairment",
    ];
    expect(sets.art.filter((e) => e.tactics?.some((t) => five.includes(t))).length).toBe(188);
    expect(sets.gtfobins.length).toBeGreaterThan(700);
    for (const e of [...sets.tldr, ...sets.art, ...sets.gtfobins]) expect(e.reason).not.toBe("");
  });

  it("reject a bad line with the file and line number", () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-eval-"));
    const file = join(dir, "bad.jsonl");
    writeFileSync(
      file,
      '{"cmd":"ls","label":"allow","program":"ls","reason":"reads","source":"t"}\n{"cmd":"rm","label":"maybe","program":"rm","reason":"x","source":"t"}\n',
    );
    expect(() => readLabelled(file)).toThrow(EvalDataError);
    expect(() => readLabelled(file)).toThrow(/bad\.jsonl:2: label/);
    expect(() => readLabelled(join(dir, "missing.jsonl"))).toThrow(/not found/);
  });
});

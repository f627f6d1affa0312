import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@txbox/core";
import { parse } from "yaml";
import { PolicyPackError } from "../src/errors.js";
import { decide, defaultPackPath, effectsPackPath, explain, loadPolicy } from "../src/policy.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-policy-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function pack(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function loadError(config: Parameters<typeof loadPolicy>[0]): PolicyPackError {
  try {
    loadPolicy(config, { baseDir: dir });
  } catch (e) {
    if (e instanceof PolicyPackError) return e;
    throw e;
  }
  throw new Error("loadPolicy did not fail");
}

const GOOD = `name: extra
rules:
  - id: extra.no-npm-publish-dry
    decision: deny
    justification: No publishing, not even a dry run
    alternative: Build the package locally
    when:
      program: [npm]
      subcommand: [pack]
    match: ["npm pack"]
    not_match: ["npm install"]
`;

describe("the default pack", () => {
  it("loads with every rule's examples passing", () => {
    const policy = loadPolicy({});
    expect(policy.packs).toEqual([defaultPackPath, effectsPackPath]);
    expect(policy.rules.length).toBeGreaterThan(40);
    expect(new Set(policy.rules.map((r) => r.id)).size).toBe(policy.rules.length);
  });

  it("is shipped beside the package sources", () => {
    expect(defaultPackPath).toMatch(/packages\/policy\/packs\/default\.yaml$/);
  });
});

describe("user packs and overrides", () => {
  it("adds rules from a pack relative to baseDir", () => {
    pack("good.yaml", GOOD);
    const policy = loadPolicy({ packs: ["good.yaml"] }, { baseDir: dir });
    expect(decide(policy, "npm pack")).toEqual({
      decision: "deny",
      ruleIds: ["extra.no-npm-publish-dry"],
      reasons: ["No publishing, not even a dry run"],
      alternative: "Build the package locally",
    });
  });

  it("disables a rule by id", () => {
    const policy = loadPolicy({ disable: ["git.reset-hard"] });
    expect(decide(policy, "git reset --hard")).toEqual({
      decision: "transact",
      ruleIds: ["default.transact"],
      reasons: ["not known to be read-only: git"],
    });
  });

  it("changes a rule's decision by id", () => {
    // An override states the decision; the entry no longer goes through the effect table.
    const policy = loadPolicy({ overrides: [{ id: "git.reset-hard", decision: "deny" }] });
    expect(decide(policy, "git reset --hard")).toEqual({
      decision: "deny",
      ruleIds: ["git.reset-hard"],
      reasons: ["Discards uncommitted changes (git reset --hard/--merge/--keep)"],
      alternative: "Commit or stash first (git stash push), or use git reset --soft / --mixed",
    });
    expect(decide(loadPolicy({}), "git reset --hard").decision).toBe("transact");
  });

  it("can run without the default pack", () => {
    pack("only.yaml", GOOD);
    const policy = loadPolicy({ defaultPack: false, packs: ["only.yaml"] }, { baseDir: dir });
    // Effects of paths are the engine's, not a pack's: deleting / stays denied.
    expect(decide(policy, "rm -rf /").decision).toBe("deny");
    expect(decide(policy, "git reset --hard").decision).toBe("transact");
  });

  it("rejects an unknown rule id in disable", () => {
    const e = loadError({ disable: ["no.such-rule"] });
    expect({ code: e.code, rule: e.details["rule"] }).toEqual({
      code: "E_POLICY_PACK",
      rule: "no.such-rule",
    });
  });

  it("takes project paths and headless from the config", () => {
    const policy = loadPolicy({ projectPaths: ["/srv/app"], headless: false });
    expect(decide(policy, "rm -rf /srv/app/build").decision).toBe("transact");
    expect(decide(policy, "rm -rf /srv/other").decision).toBe("deny");
    expect(decide(policy, "$x -rf /tmp/y").decision).toBe("transact");
  });

  it("takes protected paths from the config: a write there is denied, beside it transacted", () => {
    const policy = loadPolicy({ projectPaths: ["/srv/app"], protectedPaths: ["/srv/app/data"] });
    expect(decide(policy, "echo x > /srv/app/data/keep.db").decision).toBe("deny");
    expect(decide(policy, "echo x > /srv/app/build/out").decision).toBe("transact");
  });
});

describe("malformed packs", () => {
  it("names the file and line of a YAML syntax error", () => {
    const file = pack("bad-yaml.yaml", "name: x\nrules: [\n  - id: a\n");
    const e = loadError({ defaultPack: false, packs: [file] });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe("E_POLICY_PACK");
    expect(e.message).toContain(file);
    expect(e.details["file"]).toBe(file);
  });

  it("names the key and value of a schema error", () => {
    const file = pack(
      "bad-schema.yaml",
      "name: x\nrules:\n  - id: a.b\n    decision: maybe\n    justification: j\n    when: { program: [ls] }\n",
    );
    const e = loadError({ defaultPack: false, packs: [file] });
    expect(e.code).toBe("E_POLICY_PACK");
    expect(e.message).toContain(`${file}:4:15: rules[0].decision`);
    expect(e.message).toContain('"maybe"');
  });

  it("rejects an unknown matcher key", () => {
    const file = pack(
      "bad-key.yaml",
      "name: x\nrules:\n  - id: a.b\n    decision: transact\n    justification: j\n    when: { programme: [ls] }\n",
    );
    expect(loadError({ defaultPack: false, packs: [file] }).message).toContain("rules[0].when");
  });

  it("requires an alternative on deny rules", () => {
    const file = pack(
      "no-alt.yaml",
      "name: x\nrules:\n  - id: a.b\n    decision: deny\n    justification: j\n    when: { program: [ls] }\n",
    );
    expect(loadError({ defaultPack: false, packs: [file] }).message).toContain("alternative");
  });

  it("names the file, the rule and the failing example", () => {
    const file = pack(
      "bad-example.yaml",
      `name: x
rules:
  - id: x.rm
    decision: deny
    justification: j
    alternative: a
    when: { program: [rm] }
    match: ["rm x", "rmdir x"]
`,
    );
    const e = loadError({ defaultPack: false, packs: [file] });
    expect({ code: e.code, message: e.message, details: e.details }).toEqual({
      code: "E_POLICY_PACK",
      message: `${file}: rule x.rm: match example "rmdir x" does not match`,
      details: {
        file,
        rule: "x.rm",
        example: "rmdir x",
        expected: "match",
        failures: [{ rule: "x.rm", example: "rmdir x", expected: "match", hit: false }],
      },
    });
  });

  it("fails on a not_match example that matches", () => {
    const file = pack(
      "bad-not-match.yaml",
      `name: x
rules:
  - id: x.ls
    decision: allow
    justification: j
    when: { program: [ls] }
    not_match: ["ls -la"]
`,
    );
    expect(loadError({ defaultPack: false, packs: [file] }).message).toBe(
      `${file}: rule x.ls: not_match example "ls -la" matches`,
    );
  });

  it("reports a missing pack file", () => {
    const e = loadError({ packs: ["missing.yaml"] });
    expect(e.details["file"]).toBe(join(dir, "missing.yaml"));
  });
});

describe.each([defaultPackPath, effectsPackPath])(
  "shipped pack %s: examples, one by one",
  (file) => {
    const spec = parse(readFileSync(file, "utf8")) as {
      rules: { id: string; match?: string[]; not_match?: string[] }[];
    };
    const policy = loadPolicy({});
    const cases = spec.rules.flatMap((r) => [
      ...(r.match ?? []).map((cmd) => [r.id, "match", cmd] as const),
      ...(r.not_match ?? []).map((cmd) => [r.id, "not_match", cmd] as const),
    ]);

    it("has examples for every rule", () => {
      const without = spec.rules.filter((r) => (r.match ?? []).length === 0).map((r) => r.id);
      expect(without).toEqual([]);
    });

    it.each(cases)("%s %s %j", (id, kind, cmd) => {
      const ids = explain(policy, cmd).matches.map((m) => m.id);
      expect(ids.includes(id)).toBe(kind === "match");
    });
  },
);

// The YAML loader's messages and error details (src/load.ts) and durations (src/config.ts
// durationMs) where config.test.ts leaves them open: the document's root, missing keys, long
// values, several problems at once, the typed details and hints a caller prints, unreadable files
// and relative paths. Also run by Stryker (`pnpm mutate config`).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import {
  ConfigError,
  configSchema,
  durationMs,
  formatLocation,
  loadConfig,
  loadYamlFile,
  parseYaml,
} from "../src/index.js";

/** The ConfigError `body` throws (fails the test if it throws nothing or something else). */
function configError(body: () => unknown): ConfigError {
  try {
    body();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("no ConfigError thrown");
}

describe("durationMs", () => {
  it("reads the whole string: no prefix, no suffix, any number of decimals", () => {
    expect(durationMs("1.25s")).toBe(1250);
    expect(durationMs("0.125m")).toBe(7500);
    for (const bad of ["x5s", "5sx", "5 s", "1.s", ""])
      expect(() => durationMs(bad)).toThrow(new RangeError(`not a duration: ${bad}`));
  });
});

describe("formatLocation", () => {
  it("prints only the parts that are known", () => {
    expect(formatLocation("t.yaml", { line: 3, column: 7 })).toBe("t.yaml:3:7");
    expect(formatLocation("t.yaml", { line: 3, column: undefined })).toBe("t.yaml:3");
    expect(formatLocation("t.yaml", { line: undefined, column: undefined })).toBe("t.yaml");
  });
});

describe("parseYaml: where a problem is and what it is", () => {
  it("names a problem of the whole document `(root)`, at its first line", () => {
    const err = configError(() => parseYaml("42\n", configSchema, "t.yaml"));
    expect(err.message).toMatch(/^t\.yaml:1:1: \(root\): .* \(got 42\)$/);
  });

  it("places a missing key at its parent and says nothing was given", () => {
    const text = "tx:\n  keepLast: 2\nguests:\n  - host: a\n";
    const err = configError(() => parseYaml(text, configSchema, "t.yaml"));
    expect(err.message).toMatch(/^t\.yaml:4:5: guests\[0\]\.vmid: .* \(got nothing\)$/);
  });

  it("cuts a long bad value to 60 characters, and shows one of 60 whole", () => {
    const long = "x".repeat(70);
    const cut = configError(() => parseYaml(`tx:\n  retention: ${long}\n`, configSchema, "t"));
    expect(cut.message).toContain(`(got "${"x".repeat(56)}...)`);
    expect(cut.message).not.toContain("x".repeat(57));
    const exact = "y".repeat(58); // 60 with its quotes
    const whole = configError(() => parseYaml(`tx:\n  retention: ${exact}\n`, configSchema, "t"));
    expect(whole.message).toContain(`(got "${exact}")`);
  });

  it("lists every problem, one a line, with the details a caller prints", () => {
    const text = "tx:\n  keepLast: -1\n  retention: forever\n";
    const err = configError(() => parseYaml(text, configSchema, "t.yaml"));
    const lines = err.message.split("\n");
    expect(lines).toHaveLength(2);
    // (in the schema's order of keys)
    expect(lines[0]).toMatch(/^t\.yaml:3:14: tx\.retention: .* \(got "forever"\)$/);
    expect(lines[1]).toMatch(/^t\.yaml:2:13: tx\.keepLast: .* \(got -1\)$/);
    expect(err.details).toEqual({
      file: "t.yaml",
      issues: [
        { key: "tx.retention", line: 3, column: 14, message: expect.any(String), value: "forever" },
        { key: "tx.keepLast", line: 2, column: 13, message: expect.any(String), value: -1 },
      ],
    });
    expect(err.hint).toBe(
      "fix the keys named above; `txbox config schema` prints every key and its type",
    );
  });

  it("reports a cross-field problem at its key, without a received value", () => {
    const schema = z.object({ a: z.number(), b: z.number() });
    const err = configError(() =>
      parseYaml("a: 1\nb: 2\n", schema, "t.yaml", {
        check: () => [{ path: ["b"], message: "b must be below a" }],
      }),
    );
    expect(err.message).toBe("t.yaml:2:4: b: b must be below a");
    expect(err.details).toEqual({
      file: "t.yaml",
      issues: [{ key: "b", line: 2, column: 4, message: "b must be below a", value: undefined }],
    });
    expect(err.hint).toBe("fix the keys named above");
  });

  it("reports each YAML syntax error on its own line, the parser's message without an excerpt", () => {
    const err = configError(() => parseYaml("a: 1\na: 2\nb: 1\nb: 2\n", configSchema, "bad.yaml"));
    // (prettyErrors would append " at line 2, column 1:" and the source lines to each message)
    expect(err.message).toBe(
      "bad.yaml:2:1: YAML syntax error: Map keys must be unique\n" +
        "bad.yaml:4:1: YAML syntax error: Map keys must be unique",
    );
    expect(err.details).toEqual({
      file: "bad.yaml",
      line: 2,
      column: 1,
      errors: [
        { line: 2, column: 1, message: "Map keys must be unique" },
        { line: 4, column: 1, message: "Map keys must be unique" },
      ],
    });
  });
});

describe("loading files", () => {
  it("names an unreadable file and why, with the cause", () => {
    const err = configError(() => loadYamlFile("/nonexistent/t.yaml", configSchema));
    expect(err.message).toBe("/nonexistent/t.yaml: cannot read: ENOENT");
    expect(err.details).toEqual({ file: "/nonexistent/t.yaml" });
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("resolves an explicit relative file against cwd, and paths in it against its directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-core-"));
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "t.yaml"), "tx:\n  keepLast: 3\n");
    const loaded = loadConfig({ file: "conf/t.yaml", cwd: dir, env: {} });
    expect(loaded.file).toBe(join(dir, "conf", "t.yaml"));
    expect(loaded.baseDir).toBe(join(dir, "conf"));
    expect(loaded.config.tx.keepLast).toBe(3);
  });
});

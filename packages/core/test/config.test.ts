import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  configJsonSchema,
  durationMs,
  loadConfig,
  parseYaml,
  configSchema,
} from "../src/index.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "txbox-core-"));
}

describe("loadConfig", () => {
  it("gives the defaults when there is no txbox.yaml", () => {
    const dir = tmp();
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.file).toBeUndefined();
    expect(loaded.config.policy.headless).toBe(true);
    expect(loaded.config.tx.retention).toBe("delete");
    expect(loaded.config.log).toEqual({ level: "info", format: "pretty" });
  });

  it("finds txbox.yaml in a parent directory", () => {
    const dir = tmp();
    writeFileSync(join(dir, "txbox.yaml"), "policy:\n  headless: false\n");
    const sub = join(dir, "a");
    mkdirSync(sub);
    const loaded = loadConfig({ cwd: sub, env: {} });
    expect(loaded.file).toBe(join(dir, "txbox.yaml"));
    expect(loaded.config.policy.headless).toBe(false);
  });

  it("names the file, line, key and bad value", () => {
    const dir = tmp();
    const file = join(dir, "txbox.yaml");
    writeFileSync(file, "log:\n  level: info\ntx:\n  retention: forever\n");
    let error: unknown;
    try {
      loadConfig({ file, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const err = error as ConfigError;
    expect(err.code).toBe("E_CONFIG");
    expect(err.message).toContain(`${file}:4: tx.retention:`);
    expect(err.message).toContain('(got "forever")');
  });

  it("rejects unknown keys by name", () => {
    expect(() => parseYaml("polcy: {}\n", configSchema, "t.yaml")).toThrow(/t\.yaml:1: .*polcy/);
  });

  it("reports YAML syntax errors with a line", () => {
    expect(() => parseYaml("a: [1, 2\nb: 3\n", configSchema, "bad.yaml")).toThrow(
      /bad\.yaml(:\d+)?: YAML syntax error/,
    );
  });

  it("reports a missing file as a ConfigError", () => {
    expect(() => loadConfig({ file: "/nonexistent/txbox.yaml", env: {} })).toThrow(ConfigError);
  });

  it("honours $TXBOX_CONFIG", () => {
    const dir = tmp();
    const file = join(dir, "other.yaml");
    writeFileSync(file, "tx:\n  keepLast: 2\n");
    expect(loadConfig({ cwd: tmp(), env: { TXBOX_CONFIG: file } }).config.tx.keepLast).toBe(2);
  });
});

describe("configJsonSchema", () => {
  it("describes every top-level section", () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(
      ["$schema", "agent", "guests", "log", "policy", "proxmox", "tx"].sort(),
    );
  });
});

describe("durationMs", () => {
  it.each([
    [250, 250],
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1.5h", 5_400_000],
  ])("%p is %p ms", (input, ms) => {
    expect(durationMs(input)).toBe(ms);
  });
  it("rejects garbage", () => {
    expect(() => durationMs("soon")).toThrow(RangeError);
  });
});

test("the published JSON Schema is the one the zod schema generates", () => {
  const file = new URL("../schema/txbox.schema.json", import.meta.url);
  // Regenerate with `pnpm --filter @txbox/core schema`.
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(configJsonSchema());
});

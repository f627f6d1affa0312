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
  checkConfig,
  readConfigFile,
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
    expect(loaded.config.tx).toMatchObject({ retention: "keep", keepLast: 5, keepFor: "7d" });
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
    expect(err.message).toContain(`${file}:4:14: tx.retention:`);
    expect(err.message).toContain('(got "forever")');
  });

  it("rejects unknown keys by name, at the key's own line and column", () => {
    expect(() => parseYaml("polcy: {}\n", configSchema, "t.yaml")).toThrow(
      /^t\.yaml:1:1: polcy: unknown key$/,
    );
    const text = "tx:\n  keepLast: 2\n  retension: keep\n";
    expect(() => parseYaml(text, configSchema, "t.yaml")).toThrow(
      /^t\.yaml:3:3: tx\.retension: unknown key$/,
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    expect(() => parseYaml("a: [1, 2\nb: 3\n", configSchema, "bad.yaml")).toThrow(
      /^bad\.yaml:2:1: YAML syntax error/,
    );
    expect(() => parseYaml("tx:\n  keepLast: 2\n   journal: x\n", configSchema, "i.yaml")).toThrow(
      /^i\.yaml:2:13: YAML syntax error/,
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
      ["$schema", "agent", "guests", "log", "policy", "proxmox", "ssh", "tx"].sort(),
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

describe("cross-field checks (checkConfig)", () => {
  const FP = "SHA256:fBgKT976YzonPz1CZ/ek1GSR63mPoR58hzMvuPGhmmQ";
  const api = (lines: string[]) =>
    ["proxmox:", "  url: https://pve.lab:8006", ...lines.map((l) => `  ${l}`)].join("\n") + "\n";
  const load = (text: string) => {
    const dir = tmp();
    const file = join(dir, "txbox.yaml");
    writeFileSync(file, text);
    return () => readConfigFile(file);
  };

  it.each([
    [
      "an http:// URL",
      "proxmox:\n  url: http://pve.lab:8006\n  tokenId: a@pam!tk\n  secretEnv: S\n",
      /:2:8: proxmox\.url: .*https:\/\//,
    ],
    [
      "a token id without a secret",
      api(["tokenId: a@pam!tk"]),
      /:3:12: proxmox\.tokenId: .*secretFile or secretEnv/,
    ],
    [
      "two secrets",
      api(["tokenId: a@pam!tk", "secretEnv: S", "secretFile: f"]),
      /proxmox\.secretEnv: give the token secret once/,
    ],
    [
      "a secret without a token",
      api(["secretEnv: S"]),
      /:3:14: proxmox\.secretEnv: .*without proxmox\.tokenId/,
    ],
    [
      "token and ticket login at once",
      api(["tokenId: a@pam!tk", "secretEnv: S", "username: root@pam", "passwordEnv: P"]),
      /proxmox\.username: choose one way to log in/,
    ],
    [
      "a user without a password",
      api(["username: root@pam"]),
      /proxmox\.username: ticket login needs passwordEnv/,
    ],
    ["no login at all", api([]), /proxmox\.url: no way to log in/],
    [
      "a pin and a CA at once",
      api([
        "tokenId: a@pam!tk",
        "secretEnv: S",
        `fingerprint: "${"AB:".repeat(31)}AB"`,
        "caFile: ca.pem",
      ]),
      /proxmox\.caFile: give one way to trust/,
    ],
    [
      "duplicate vmids",
      "guests:\n  - vmid: 101\n  - vmid: 102\n  - vmid: 101\n",
      /txbox\.yaml:4:11: guests\[2\]\.vmid: duplicate vmid 101 \(first at guests\[0\]\)/,
    ],
    [
      "a malformed hostKey",
      "guests:\n  - vmid: 101\n    hostKey: SHA256:abc\n",
      /txbox\.yaml:3:14: guests\[0\]\.hostKey: expected an OpenSSH SHA-256 fingerprint/,
    ],
  ])("%s fails with its line and column", (_name, text, pattern) => {
    const read = load(text);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(pattern);
  });

  it("accepts each valid way in", () => {
    expect(load(api(["tokenId: a@pam!tk", "secretFile: s"]))).not.toThrow();
    expect(load(api(["username: root@pam", "passwordEnv: P"]))).not.toThrow();
    expect(load(`guests:\n  - vmid: 101\n    hostKey: ${FP}\n  - vmid: 102\n`)).not.toThrow();
  });

  it("is pure: one issue per problem, each naming its key path", () => {
    const config = configSchema.parse({
      proxmox: { url: "http://x:8006" },
      guests: [{ vmid: 101 }, { vmid: 101, hostKey: "md5" }],
    });
    expect(checkConfig(config).map((i) => i.path.join("."))).toEqual([
      "proxmox.url",
      "proxmox.url",
      "guests.1.vmid",
      "guests.1.hostKey",
    ]);
  });
});

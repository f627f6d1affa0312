import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, configSchema, redact } from "@txbox/core";
import { connectionFromConfig, connectionFromTestbedState } from "../src/connection.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-conn-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const section = (extra: Record<string, unknown>) =>
  configSchema.parse({ proxmox: { url: "https://pve.example:8006", ...extra } }).proxmox!;

test("token secret from a file relative to the config, durations resolved", () => {
  writeFileSync(join(dir, "secret"), "s3cret\n");
  const c = connectionFromConfig(
    section({ tokenId: "root@pam!txbox", secretFile: "secret", timeout: "5s" }),
    { baseDir: dir },
  );
  expect(c).toEqual({
    url: "https://pve.example:8006",
    credentials: { kind: "token", tokenId: "root@pam!txbox", secret: "s3cret" },
    timeoutMs: 5000,
    taskTimeoutMs: 600_000,
  });
  expect(JSON.stringify(redact(c))).not.toContain("s3cret");
});

test("token secret from the environment; ticket login from user + passwordEnv", () => {
  const env = { PVE_SECRET: "abc", PVE_PW: "pw" };
  expect(
    connectionFromConfig(section({ tokenId: "root@pam!tk", secretEnv: "PVE_SECRET" }), { env })
      .credentials,
  ).toEqual({
    kind: "token",
    tokenId: "root@pam!tk",
    secret: "abc",
  });
  expect(
    connectionFromConfig(section({ username: "root@pam", passwordEnv: "PVE_PW" }), { env })
      .credentials,
  ).toEqual({
    kind: "ticket",
    username: "root@pam",
    password: "pw",
  });
});

test.each([
  [{ tokenId: "root@pam!tk", secretEnv: "UNSET_VAR" }, /UNSET_VAR is not set/],
  [{ tokenId: "root@pam!tk" }, /neither secretFile nor secretEnv/],
  [{ username: "root@pam" }, /passwordEnv/],
  [{}, /give tokenId/],
  [{ tokenId: "root@pam!tk", secretFile: "missing" }, /cannot read/],
])("config problems are ConfigErrors naming the key: %o", (extra, message) => {
  expect(() => connectionFromConfig(section(extra), { baseDir: dir, env: {} })).toThrow(
    ConfigError,
  );
  expect(() => connectionFromConfig(section(extra), { baseDir: dir, env: {} })).toThrow(message);
});

test("the testbed state file", () => {
  const file = join(dir, "testbed.json");
  const fp = "AB:".repeat(31) + "AB";
  writeFileSync(
    file,
    JSON.stringify({
      url: "https://127.0.0.1:8006",
      fingerprint: fp,
      tokenId: "root@pam!txbox",
      secret: "x",
      node: "pve1",
      pid: 1,
    }),
  );
  expect(connectionFromTestbedState(file)).toEqual({
    url: "https://127.0.0.1:8006",
    node: "pve1",
    credentials: { kind: "token", tokenId: "root@pam!txbox", secret: "x" },
    fingerprint: fp,
  });
  writeFileSync(file, JSON.stringify({ url: "https://x" }));
  expect(() => connectionFromTestbedState(file)).toThrow(/fingerprint is missing/);
  expect(() => connectionFromTestbedState(join(dir, "none.json"))).toThrow(ConfigError);
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "@txbox/core";
import { passphraseSource, sshSettings } from "../src/ssh-settings.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-ssh-settings-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function loaded(yaml: string) {
  writeFileSync(join(dir, "txbox.yaml"), yaml);
  return loadConfig({ cwd: dir, env: {} });
}

describe("passphrases of encrypted keys (jest's stdin is no terminal)", () => {
  test("from ssh.passphraseEnv, asked once per key file", async () => {
    const env = { MY_PW: "from-env" };
    const source = passphraseSource({ env }, loaded("ssh:\n  passphraseEnv: MY_PW\n"));
    expect(await source("/k")).toBe("from-env");
    env.MY_PW = "changed";
    expect(await source("/k")).toBe("from-env");
  });

  test("from the first line of ssh.passphraseFile, relative to txbox.yaml", async () => {
    writeFileSync(join(dir, "pw"), "from-file\nsecond line\n");
    const source = passphraseSource({ env: {} }, loaded("ssh:\n  passphraseFile: pw\n"));
    expect(await source("/k")).toBe("from-file");
  });

  test("none configured and no terminal: undefined (the key then fails as E_SSH_KEY)", async () => {
    expect(await passphraseSource({ env: {} }, loaded("{}\n"))("/k")).toBeUndefined();
  });
});

describe("the ssh config and the agent", () => {
  test("a missing default ~/.ssh/config is no config; SSH_AUTH_SOCK is the agent unless ssh.agent is false", () => {
    const on = sshSettings({ env: { HOME: dir, SSH_AUTH_SOCK: "/s" } }, loaded("{}\n"))();
    expect({ config: on.ctx.config, agent: on.agent }).toEqual({ config: undefined, agent: "/s" });
    const off = sshSettings(
      { env: { HOME: dir, SSH_AUTH_SOCK: "/s" } },
      loaded("ssh:\n  agent: false\n"),
    )();
    expect(off.agent).toBeUndefined();
  });

  test("a named config that is missing, or has a bad line, is a ConfigError naming file and line", () => {
    expect(() => sshSettings({ env: { HOME: dir } }, loaded("ssh:\n  config: ./nope\n"))()).toThrow(
      ConfigError,
    );
    writeFileSync(join(dir, "sshcfg"), "Host a\n  Port x\n");
    expect(() =>
      sshSettings({ env: { HOME: dir } }, loaded("ssh:\n  config: ./sshcfg\n"))(),
    ).toThrow(`${join(dir, "sshcfg")}:2: bad Port "x"`);
  });
});

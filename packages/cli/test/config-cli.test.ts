import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support-io.js";

/** Write a txbox.yaml in a fresh directory and run `txbox config validate --json` on it. */
async function validate(text: string): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "txbox-validate-"));
  writeFileSync(join(dir, "txbox.yaml"), text);
  const r = await runCli(["config", "validate", "--json", "txbox.yaml"], { cwd: dir });
  return { code: r.code, out: r.stdout + r.stderr };
}

const FP = "SHA256:fBgKT976YzonPz1CZ/ek1GSR63mPoR58hzMvuPGhmmQ";
const api = "proxmox:\n  url: https://pve.lab:8006\n";

describe("txbox config validate", () => {
  test.each([
    [
      "an http:// URL",
      "proxmox:\n  url: http://pve:8006\n  tokenId: a@pam!tk\n  secretEnv: S\n",
      "txbox.yaml:2:8",
      "proxmox.url",
    ],
    [
      "a token id without a secret",
      `${api}  tokenId: a@pam!tk\n`,
      "txbox.yaml:3:12",
      "proxmox.tokenId",
    ],
    [
      "several auth methods",
      `${api}  tokenId: a@pam!tk\n  secretEnv: S\n  username: root@pam\n  passwordEnv: P\n`,
      "txbox.yaml:5:13",
      "proxmox.username",
    ],
    [
      "duplicate vmids",
      "guests:\n  - vmid: 101\n  - vmid: 101\n",
      "txbox.yaml:3:11",
      "guests[1].vmid",
    ],
    [
      "a malformed hostKey",
      "guests:\n  - vmid: 101\n    hostKey: SHA256:abc\n",
      "txbox.yaml:3:14",
      "guests[0].hostKey",
    ],
    [
      "a missing rule pack",
      "policy:\n  packs: [extra.yaml]\n",
      "txbox.yaml:2:11",
      "policy.packs[0]",
    ],
    [
      "a missing per-guest pack",
      "guests:\n  - vmid: 101\n    policy:\n      - strict.yaml\n",
      "txbox.yaml:4:9",
      "guests[0].policy[0]",
    ],
    [
      "an unknown rule id in disable",
      "policy:\n  disable:\n    - no.such.rule\n",
      "txbox.yaml:3:7",
      "policy.disable[0]",
    ],
    [
      "an unknown rule id in overrides",
      "policy:\n  overrides:\n    - id: no.such.rule\n      decision: deny\n",
      "txbox.yaml:3:11",
      "policy.overrides[0].id",
    ],
    ["a YAML syntax error", "tx:\n  keepLast: [1\n", "txbox.yaml:3:1", "YAML syntax error"],
    ["an unknown key", "tx:\n  keeplast: 3\n", "txbox.yaml:2:3", "tx.keeplast: unknown key"],
  ])("%s fails with E_CONFIG, its line and column", async (_name, text, where, key) => {
    const r = await validate(text);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("E_CONFIG");
    expect(r.out).toContain(`${where}: ${key}`);
  });

  test("a valid file passes", async () => {
    const r = await validate(
      `${api}  tokenId: a@pam!tk\n  secretFile: secret\nguests:\n  - vmid: 101\n    hostKey: ${FP}\n`,
    );
    expect(JSON.parse(r.out)).toMatchObject({ valid: true });
    expect(r.code).toBe(0);
  });
});

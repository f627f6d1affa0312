/**
 * The process entry point, compiled (`lib/bin/testbed.js`, built by `tsc -b testbed`): `up` starts a
 * detached server and writes `.txbox/testbed.json`, `status` sees it, `down` stops it.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "@jest/globals";
import { fetch } from "undici";
import { pinnedAgent } from "./helpers.js";

const run = promisify(execFile);
const BIN = resolve(process.cwd(), "testbed/lib/bin/testbed.js");
const cwd = mkdtempSync(join(tmpdir(), "txbox-testbed-cli-"));
afterAll(async () => {
  await run(process.execPath, [BIN, "down"], { cwd, timeout: 60000 }).catch(() => undefined);
  rmSync(cwd, { recursive: true, force: true });
});

test("up (detached) → status → API answers with the printed token and pin → down", async () => {
  expect(existsSync(BIN)).toBe(true);
  writeFileSync(join(cwd, "tb.yaml"), "realiser: memory\napi:\n  port: 0\n  authFailDelayMs: 0\n");
  const up = await run(
    process.execPath,
    [BIN, "up", "--config", "tb.yaml", "--guests", "1", "--json"],
    { cwd, timeout: 60000 },
  );
  const conn = JSON.parse(up.stdout) as {
    url: string;
    fingerprint: string;
    tokenId: string;
    secret: string;
    stateDir: string;
    pid: number;
  };
  expect(conn.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  expect(existsSync(join(cwd, ".txbox", "testbed.json"))).toBe(true);

  const st = JSON.parse(
    (await run(process.execPath, [BIN, "status", "--json"], { cwd, timeout: 30000 })).stdout,
  ) as {
    running: number;
    guests: { vmid: number }[];
  };
  expect(st.running).toBe(1);
  expect(st.guests.map((g) => g.vmid)).toEqual([101, 102, 103, 201, 9000]);

  const { readFileSync } = await import("node:fs");
  const agent = pinnedAgent(
    readFileSync(join(conn.stateDir, "pve-ssl.pem"), "utf8"),
    conn.fingerprint,
  );
  const res = await fetch(`${conn.url}/api2/json/nodes/pve1/qemu`, {
    headers: { authorization: `PVEAPIToken=${conn.tokenId}=${conn.secret}` },
    dispatcher: agent,
  });
  expect(res.status).toBe(200);
  await agent.close();

  const down = JSON.parse(
    (await run(process.execPath, [BIN, "down", "--json"], { cwd, timeout: 60000 })).stdout,
  ) as { stopped: number };
  expect(down.stopped).toBe(1);
  expect(existsSync(join(cwd, ".txbox", "testbed.json"))).toBe(false);
  await expect(
    run(process.execPath, [BIN, "status"], { cwd, timeout: 30000 }),
  ).rejects.toMatchObject({ code: 1 });
});

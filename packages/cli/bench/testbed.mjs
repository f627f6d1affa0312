/**
 * The testbed a benchmark runs against: the one that is up (`$TXBOX_TESTBED_STATE` or
 * `.txbox/testbed.json` above the cwd), or — as root, with none — one started here and stopped by
 * `stop()`. Shared by the benchmarks of this folder.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { findTestbedState } from "@txbox/runtime";

/**
 * @param {(line: string) => void} log
 * @param {object} [config] testbed config of a testbed started here (api.authFailDelayMs is 0)
 * @param {{ guests?: number }} [start] extra lab guests of a testbed started here
 * @returns {Promise<{ io: object, testbed?: object, stop?: () => Promise<void> }>} (`testbed`:
 *   the handle of one started here, in this process)
 */
export async function benchTestbed(log, config = {}, start = {}) {
  const io = {
    stdout: new PassThrough().resume(),
    stderr: process.stderr,
    stdin: new PassThrough(),
    env: { ...process.env },
    cwd: process.cwd(),
  };
  if (findTestbedState(io) !== undefined) return { io };
  if (process.getuid?.() !== 0) {
    console.error("no testbed is up (txbox testbed up), and starting one needs root");
    process.exit(2);
  }
  const { startTestbed } = await import("@txbox/testbed");
  const root = mkdtempSync(join(tmpdir(), "txbox-bench-"));
  log(`starting a testbed${start.guests ? ` with ${start.guests} extra guests` : ""} in ${root} …`);
  // Host testbeds share one management network: wait (up to 10 min) for another one to go.
  let tb;
  for (const deadline = Date.now() + 600_000; ;) {
    try {
      tb = await startTestbed({
        stateDir: join(root, "testbed"),
        port: 0,
        ...(start.guests === undefined ? {} : { guests: start.guests }),
        config: { ...config, api: { ...config.api, authFailDelayMs: 0 } },
      });
      break;
    } catch (error) {
      if (!/another testbed/.test(String(error?.message)) || Date.now() > deadline) throw error;
      await sleep(3000);
    }
  }
  mkdirSync(join(root, "project", ".txbox"), { recursive: true });
  const state = join(root, "project", ".txbox", "testbed.json");
  writeFileSync(
    state,
    JSON.stringify({
      url: tb.url,
      fingerprint: tb.fingerprint,
      tokenId: tb.tokenId,
      secret: tb.secret,
      node: tb.node,
      stateDir: tb.stateDir,
    }),
  );
  return {
    io: { ...io, cwd: join(root, "project"), env: { ...io.env, TXBOX_TESTBED_STATE: state } },
    testbed: tb,
    stop: async () => {
      await tb.stop({ teardown: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The median of a list of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

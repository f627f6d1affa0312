/**
 * The task list kept as PVE keeps it (pve-common RESTEnvironment `active_workers`): running tasks
 * in a small active file, ended ones appended to an archive; what a restart finds.
 */
import { afterEach, beforeEach, expect, test } from "@jest/globals";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  appendFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Store } from "../../src/api/store.js";
import { TaskManager, type TaskRecord } from "../../src/api/tasks.js";

let dir: string;
const noFaults = () => ({ taskFailures: [], taskDelayMs: 0 });
const open = () => new TaskManager(new Store(dir), noFaults);
const lines = (f: string) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean);
const opts = { node: "pve1", type: "qmsnapshot", id: "101", user: "root@pam" };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-tasks-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("ended tasks are appended to the archive, running ones kept in the active file; a restart ends the running ones", async () => {
  const m = open();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const done = m.start(opts, async (ctx) => ctx.log("quick"));
  const running = m.start(opts, () => held);
  await new Promise((r) => setImmediate(r));
  expect(lines("tasks-index.jsonl").map((l) => (JSON.parse(l) as TaskRecord).upid)).toEqual([done]);
  const active = JSON.parse(readFileSync(join(dir, "tasks-active.json"), "utf8")) as TaskRecord[];
  expect(active.map((t) => t.upid)).toEqual([running]);

  const again = open(); // the server went down with `running` still running
  expect(again.get(done)?.exitstatus).toBe("OK");
  expect(again.get(done)?.log).toEqual(["quick", "TASK OK"]);
  expect(again.get(running)?.status).toBe("stopped");
  expect(again.get(running)?.exitstatus).toBe("unexpected status");
  expect(again.list().map((t) => t.upid)).toEqual([done, running]);
  release();
  await m.drain();
});

test("a torn last archive line is skipped; an older testbed's tasks.json is read and replaced", () => {
  const old: TaskRecord = {
    upid: "UPID:pve1:00001000:00100000:6751A2B3:qmstart:101:root@pam:",
    node: "pve1",
    pid: 0x1000,
    pstart: 0x100000,
    starttime: 0x6751a2b3,
    type: "qmstart",
    id: "101",
    user: "root@pam",
    status: "stopped",
    exitstatus: "OK",
    log: ["TASK OK"],
  };
  writeFileSync(join(dir, "tasks.json"), JSON.stringify([old]));
  appendFileSync(join(dir, "tasks-index.jsonl"), '{"upid":"UPID:pve1:000');
  const m = open();
  expect(m.list()).toEqual([old]);
  expect(existsSync(join(dir, "tasks.json"))).toBe(false);
  expect(lines("tasks-index.jsonl")).toEqual([JSON.stringify(old)]);
});

test("the newest 1000 tasks are kept: the archive is rewritten when it holds twice as many", async () => {
  const m = open();
  for (let i = 0; i < 2001; i++) {
    m.start(opts, async () => undefined);
    if (i % 100 === 0) await m.drain();
  }
  await m.drain();
  expect(m.list()).toHaveLength(1000);
  expect(lines("tasks-index.jsonl")).toHaveLength(1000);
  expect(
    open()
      .list()
      .map((t) => t.upid),
  ).toEqual(m.list().map((t) => t.upid));
});

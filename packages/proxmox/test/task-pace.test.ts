// The pace of task polls: pure bookkeeping of recent durations and the sleep it picks.
import { MAX_FIRST_MS, nextSleep, paceKey, TaskPace } from "../src/task-pace.js";
import { POLL } from "../src/tasks.js";

describe("TaskPace", () => {
  const key = paceKey("pve1", "qmsnapshot", "102");

  test("knows nothing of a kind of task it has not seen, or for a preset without fine polls", () => {
    const pace = new TaskPace();
    expect(pace.aim(key, POLL.snapshot)).toBeUndefined();
    pace.record(key, 50);
    expect(pace.aim(key, POLL.rollback)).toBeUndefined();
    expect(pace.aim(paceKey("pve1", "qmsnapshot", "103"), POLL.snapshot)).toBeUndefined();
  });

  test("aims the first poll before the shortest recent duration, then polls finely ten times", () => {
    const pace = new TaskPace();
    for (const ms of [60, 40, 50]) pace.record(key, ms);
    expect(pace.aim(key, POLL.snapshot)).toEqual({ firstMs: 32, finePolls: 10 });
  });

  test("keeps the last five durations only", () => {
    const pace = new TaskPace();
    for (const ms of [10, 70, 70, 70, 70, 70]) pace.record(key, ms);
    expect(pace.aim(key, POLL.snapshot)).toEqual({ firstMs: 56, finePolls: 10 });
  });

  test("does not aim at tasks that took long: a faster one would be seen that much later", () => {
    const pace = new TaskPace();
    for (const ms of [2000, 1500, 80]) pace.record(key, ms);
    expect(pace.aim(key, POLL.snapshot)).toBeUndefined();
    pace.record(key, 75);
    expect(pace.aim(key, POLL.snapshot)?.firstMs).toBe(MAX_FIRST_MS);
  });
});

describe("nextSleep", () => {
  const aim = { firstMs: 32, finePolls: 10 };

  test("polls every fineMs for the aim's fine polls, then at the preset's interval", () => {
    expect(nextSleep(POLL.snapshot, aim, 1, 7)).toBe(2);
    expect(nextSleep(POLL.snapshot, aim, 10, 7)).toBe(2);
    expect(nextSleep(POLL.snapshot, aim, 11, 7)).toBe(7);
    expect(nextSleep(POLL.snapshot, undefined, 1, 7)).toBe(7);
    expect(nextSleep(POLL.rollback, aim, 1, 15)).toBe(15);
  });
});

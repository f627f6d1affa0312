// The pace of task polls: pure bookkeeping of recent durations and the sleep it picks.
import { nextSleep, paceKey, TaskPace } from "../src/task-pace.js";
import { POLL } from "../src/tasks.js";

describe("TaskPace", () => {
  const key = paceKey("pve1", "qmsnapshot", "102");

  test("knows nothing of a kind of task it has not seen, or for a preset without fine polls", () => {
    const pace = new TaskPace();
    expect(pace.aim(key, POLL.snapshot)).toBeUndefined();
    pace.record(key, 50);
    expect(pace.aim(key, POLL.quick)).toBeUndefined();
    expect(pace.aim(paceKey("pve1", "qmsnapshot", "103"), POLL.snapshot)).toBeUndefined();
  });

  test("aims the first poll before the shortest recent duration, fine polls past their median", () => {
    const pace = new TaskPace();
    for (const ms of [60, 40, 50]) pace.record(key, ms);
    expect(pace.aim(key, POLL.snapshot)).toEqual({ firstMs: 32, fineUntilMs: 75 });
  });

  test("keeps the last five durations only", () => {
    const pace = new TaskPace();
    for (const ms of [10, 100, 100, 100, 100, 100]) pace.record(key, ms);
    expect(pace.aim(key, POLL.snapshot)).toEqual({ firstMs: 80, fineUntilMs: 150 });
  });
});

describe("nextSleep", () => {
  const aim = { firstMs: 32, fineUntilMs: 75 };

  test("polls every fineMs inside the aim's window, the preset's interval outside it", () => {
    expect(nextSleep(POLL.snapshot, aim, 40, 7)).toBe(2);
    expect(nextSleep(POLL.snapshot, aim, 75, 7)).toBe(7);
    expect(nextSleep(POLL.snapshot, undefined, 40, 7)).toBe(7);
    expect(nextSleep(POLL.quick, aim, 40, 15)).toBe(15);
  });
});

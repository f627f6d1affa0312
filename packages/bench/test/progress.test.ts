import { formatProgress } from "../src/progress.js";

describe("formatProgress", () => {
  test.each([
    [
      { phase: "setup" as const, done: 0, total: 80, label: "setting up" },
      "[----------]  0/80  setup: setting up",
    ],
    [
      { phase: "read-only" as const, done: 40, total: 80, label: "ls  -la" },
      "[#####-----] 40/80  read-only: ls -la",
    ],
    [
      { phase: "overhead" as const, done: 80, total: 80, label: "x".repeat(30) },
      `[##########] 80/80  overhead: ${"x".repeat(9)}…`,
    ],
    [
      { phase: "faults" as const, done: 0, total: 0, label: "none" },
      "[----------] 0/0  faults: none",
    ],
  ])("%j", (p, line) => {
    expect(formatProgress(p, 10, 20)).toBe(line);
  });
});

import { formatOutcome } from "../src/feedback.js";
import type { CommandOutcome } from "../src/outcome.js";

const base: CommandOutcome = {
  guest: "101",
  decision: "allow",
  outcome: "executed",
  exitCode: 0,
  stdout: "AP+A",
  stderr: "",
  rules: [],
  reason: "reads",
  timings: { policyMs: 0, snapshotMs: 0, execMs: 1, verifyMs: 0, totalMs: 1 },
};

describe("what the model is told about output", () => {
  test("bytes that are not UTF-8 are labelled base64; a cut stream names its size and file", () => {
    const text = formatOutcome("cat blob", {
      ...base,
      streams: {
        stdout: {
          encoding: "base64",
          bytes: 9000,
          sha256: "h",
          truncated: true,
          file: "/o/t.stdout",
        },
        stderr: { encoding: "utf8", bytes: 0, sha256: "h", truncated: false },
      },
    });
    expect(text).toBe(
      [
        "outcome: executed, exit code 0",
        "stdout (not UTF-8, shown as base64; cut: 9000 bytes in all, whole in /o/t.stdout):",
        "AP+A",
      ].join("\n"),
    );
  });

  test("plain text output is shown as it is", () => {
    expect(formatOutcome("ls", { ...base, stdout: "a\nb\n" })).toBe(
      "outcome: executed, exit code 0\nstdout:\na\nb",
    );
  });
});

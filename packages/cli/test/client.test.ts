import { forDaemon } from "../src/client.js";

const argv = (...args: string[]): string[] => ["node", "txbox", ...args];

describe("which commands the thin client sends to the daemon", () => {
  test.each([
    [argv("run", "--guest", "101", "--", "ls"), {}, true],
    [argv("policy", "check", "--", "ls"), {}, true],
    [argv("mcp", "--guest", "101"), {}, true],
    [argv("policy", "check", "--batch"), {}, false],
    [argv("policy", "explain", "--", "ls"), {}, false],
    [argv("tx", "list"), {}, false],
    [argv("run", "--guest", "101", "--no-daemon", "--", "ls"), {}, false],
    [argv("run", "--guest", "101", "--", "echo", "--no-daemon"), {}, true],
    [argv("run", "--guest", "101", "--", "ls"), { TXBOX_NO_DAEMON: "1" }, false],
    [argv("run", "--guest", "101", "--", "ls"), { TXBOX_NO_DAEMON: "0" }, true],
    [argv("run", "--guest", "101", "--", "ls"), { TXBOX_NO_DAEMON: "" }, true],
    [argv("run", "--guest", "101", "--", "ls"), { TXBOX_CRASH_AT: "during-exec" }, false],
  ])("%j %j → %s", (args, env, expected) => {
    expect(forDaemon(args, env)).toBe(expected);
  });
});

import { describe, expect, it } from "@jest/globals";
import { ConfigError, configSchema } from "@txbox/core";
import { crashHookFromEnv } from "../src/crash.js";
import { engineOptionsFromConfig, parseGuestKey } from "../src/index.js";
import { guestKey } from "../src/ports.js";
import { newerSnapshots, snapshotName, txidOfSnapshot } from "../src/snapshots.js";

describe("options", () => {
  it("TXBOX_CRASH_AT must name a crash step", () => {
    expect(crashHookFromEnv({})).toBeUndefined();
    expect(typeof crashHookFromEnv({ TXBOX_CRASH_AT: "during-exec" })).toBe("function");
    expect(() => crashHookFromEnv({ TXBOX_CRASH_AT: "during-lunch" })).toThrow(ConfigError);
  });

  it("maps the tx section of txbox.yaml", () => {
    const tx = configSchema.parse({ tx: { keepFor: "2d", execTimeout: "90s" } }).tx;
    expect(engineOptionsFromConfig(tx)).toEqual({
      retention: "keep",
      window: { keepLast: 5, keepForMs: 2 * 86_400_000 },
      execTimeoutMs: 90_000,
      verify: {
        timeoutMs: 120_000,
        protectedPaths: [
          "/etc/passwd",
          "/etc/shadow",
          "/etc/ssh/sshd_config",
          "/root/.ssh/authorized_keys",
        ],
      },
    });
  });

  it("guest keys round-trip", () => {
    for (const g of [{ vmid: 100 }, { vmid: 101, node: "pve-a" }])
      expect(parseGuestKey(guestKey(g))).toEqual(g);
  });
});

describe("snapshot names", () => {
  it("encode the transaction id", () => {
    expect(txidOfSnapshot(snapshotName("abc"))).toBe("abc");
    expect(txidOfSnapshot("before-upgrade")).toBeUndefined();
    expect(txidOfSnapshot("txbox-")).toBeUndefined();
  });

  it("newerSnapshots follows the parent tree and snaptime, ignoring `current`", () => {
    const list = [
      { name: "a", snaptime: 1 },
      { name: "b", parent: "a", snaptime: 2 },
      { name: "c", parent: "b", snaptime: 2 },
      { name: "d", snaptime: 5 },
      { name: "current", parent: "c" },
    ];
    expect(newerSnapshots(list, "a")).toEqual(["b", "c", "d"]);
    expect(newerSnapshots(list, "c")).toEqual(["d"]);
    expect(newerSnapshots(list, "d")).toEqual([]);
    expect(newerSnapshots(list, "zz")).toEqual([]);
  });
});

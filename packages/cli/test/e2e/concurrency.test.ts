/**
 * Concurrency: 8 transactions on 4 guests at once, each a separate `txbox run` process. All
 * commit; the two on the same guest are serialised (one's command ends before the other's starts).
 */
import type { Session } from "@txbox/runtime";
import { describeAsRoot, sh, startE2E, type E2E, orphanSnapshots } from "../support/e2e.js";

const P = "/root/project";

describeAsRoot("concurrency: 8 transactions on 4 guests at once", () => {
  let e: E2E;
  let s: Session;
  let guests: number[];

  beforeAll(async () => {
    e = await startE2E("concurrency", { guests: 1 });
    s = await e.session();
    guests = [...e.tb.cluster().guests.byId.values()]
      .filter((g) => g.config.template !== 1)
      .map((g) => g.vmid)
      .sort((a, b) => a - b);
    for (const vmid of guests) await sh(s, vmid, `rm -rf ${P} && mkdir -p ${P}`);
  }, 180_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 180_000);

  test("all commit, each guest's two transactions do not overlap", async () => {
    expect(guests).toHaveLength(4);
    const jobs = guests.flatMap((vmid) =>
      [1, 2].map((n) =>
        e.cliJson<{ outcome: string; guest: number; error?: unknown }>([
          "run",
          "--guest",
          String(vmid),
          "--",
          `echo "start ${n} $(date +%s%N)" >> ${P}/log; sleep 1; echo "end ${n} $(date +%s%N)" >> ${P}/log`,
        ]),
      ),
    );
    const results = await Promise.all(jobs);
    expect(results.map((r) => [r.code, r.body.outcome, r.body.error])).toEqual(
      Array.from({ length: 8 }, () => [0, "committed", undefined]),
    );
    for (const vmid of guests) {
      const lines = (await sh(s, vmid, `cat ${P}/log`)).trim().split("\n");
      const kinds = lines.map((l) => l.split(" ").slice(0, 2).join(" "));
      // Serialised: start a, end a, start b, end b — never interleaved.
      expect(kinds.map((k) => k.split(" ")[0])).toEqual(["start", "end", "start", "end"]);
      expect(kinds[0]?.split(" ")[1]).toBe(kinds[1]?.split(" ")[1]);
      expect(kinds[2]?.split(" ")[1]).toBe(kinds[3]?.split(" ")[1]);
      expect(await orphanSnapshots(s, vmid)).toEqual([]);
    }
    expect(s.journal.locks()).toEqual([]);
    expect(s.journal.listTxs({ limit: 100 }).filter((t) => t.state === "COMMITTED")).toHaveLength(
      8,
    );
  }, 300_000);
});

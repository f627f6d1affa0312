// One command's judgement (explain.ts: judgeCommand) where core.explain.test.ts leaves it open:
// the exact shape of matches and effects (no optional key present as `undefined`), an effect rule
// on a service of the guest that is not `send`, a bare redirect over ssh, the path roles and
// names an unknown program is judged by, and which effects of a remote command become remote.
// Hand-written rules and service knowledge, no pack (also run by Stryker: policy part b).
import { compileService } from "../src/effects/target.js";
import { explain } from "../src/explain.js";
import type { Knowledge } from "../src/knowledge/load.js";
import type { CompiledRule, Policy } from "../src/policy.js";
import type { CommandFacts } from "../src/types.js";

const rule = (
  id: string,
  test: (c: CommandFacts) => boolean,
  over: Partial<CompiledRule> = {},
): CompiledRule => ({
  id,
  decision: "transact",
  justification: `${id} why`,
  file: "t",
  test,
  ...over,
});
const flagged = (p: string, flag: string) => (c: CommandFacts) =>
  c.program === p && c.argv.includes(flag);

const knowledge: Knowledge = {
  services: new Map([
    [
      "mydb",
      compileService({
        programs: ["mydb"],
        default: "local",
        host_options: ["-h"],
        url_operand: false,
        env: [],
        remote: [],
        local: [],
      }),
    ],
  ]),
  metadataOnly: new Set(),
  extractors: new Set(),
};
const policy: Policy = {
  rules: [
    rule("r.halt", (c) => c.program === "halt", { decision: "deny" }),
    rule("db.dump", flagged("mydb", "--dump"), { effect: "read" }),
    rule("db.wipe", flagged("mydb", "--wipe"), { effect: "disk" }),
  ],
  packs: [],
  defaults: {},
  knowledge,
};
const unknown = (p: string, command = 0) => ({
  kind: "state",
  id: "default.transact",
  reason: `not known to be read-only: ${p}`,
  remote: false,
  command,
});

describe("a match's and an effect's optional keys", () => {
  it("leaves out `effect` and `alternative` when the rule has none, rather than set them undefined", () => {
    const stated = explain(policy, "halt").matches;
    expect(stated).toStrictEqual([
      { id: "r.halt", decision: "deny", justification: "r.halt why", command: 0 },
    ]);
    const e = explain(policy, "mydb --wipe");
    expect(e.matches).toStrictEqual([
      { id: "db.wipe", decision: "deny", effect: "disk", justification: "db.wipe why", command: 0 },
    ]);
    expect(e.effects[0]).toStrictEqual({
      kind: "disk",
      id: "db.wipe",
      reason: "db.wipe why",
      remote: false,
      command: 0,
    });
    expect(Object.keys(e.effects[0]!)).not.toContain("alternative");
  });
});

describe("an effect rule on a service of the guest", () => {
  it("gets the table's decision for the guest, not the transaction kept for data sent there", () => {
    // `mydb` acts on the guest (known, local): only `send` becomes a local write.
    const dump = explain(policy, "mydb --dump");
    expect(dump.matches).toStrictEqual([
      {
        id: "db.dump",
        decision: "allow",
        effect: "read",
        justification: "db.dump why",
        command: 0,
      },
    ]);
    expect(dump.decision.decision).toBe("allow");
    expect(explain(policy, "mydb --wipe").matches[0]?.decision).toBe("deny");
  });
});

describe("remote commands", () => {
  it("names a bare redirect run over ssh as `redirect`", () => {
    const e = explain(policy, "ssh h '> /tmp/x'");
    expect(e.effects.filter((x) => x.id === "remote.state-change")).toEqual([
      {
        kind: "remote-change",
        id: "remote.state-change",
        reason: "changes state on another host over ssh (redirect); no snapshot covers it",
        remote: true,
        command: 0,
      },
    ]);
  });

  it("marks only the effects that change something remote, not an escape on the other host", () => {
    const e = explain(policy, "ssh h nsenter -t 1 -m sh").effects.filter((x) => x.command === 0);
    expect(e.map((x) => [x.kind, x.remote])).toEqual([
      ["escape", false],
      ["remote-change", true],
    ]);
  });
});

describe("an unknown program judged by its arguments", () => {
  it("judges only operands: a shell or a whole tree it reads or writes as a file is not run or destroyed", () => {
    // `cp` has no rule here: unknown, but the extractor gives its paths the roles read and write.
    expect(explain(policy, "cp /bin/sh /tmp/x").effects.map((x) => x.id)).toEqual([
      "path.write",
      "default.transact",
    ]);
    expect(explain(policy, "cp x /").effects.map((x) => x.id)).toEqual([
      "path.write",
      "default.transact",
    ]);
    expect(explain(policy, "scp x /etc").effects.map((x) => x.id)).toEqual([
      "path.write",
      "default.transact",
    ]);
  });

  it("takes a shell's name only from a path: `~sh` is a home directory, not a shell", () => {
    expect(explain(policy, "foo ~sh").effects).toEqual([unknown("foo")]);
    expect(explain(policy, "foo ~bash/x").effects).toEqual([unknown("foo")]);
    expect(explain(policy, "foo ./sh").effects.map((x) => x.id)).toEqual([
      "unknown.runs-shell",
      "default.transact",
    ]);
  });

  it("reads a shell's path given as an option's value too (`--on-complete=/bin/sh`)", () => {
    expect(explain(policy, "foo --on-complete=/bin/sh url").effects.map((x) => x.id)).toEqual([
      "unknown.runs-shell",
      "default.transact",
    ]);
    expect(explain(policy, "foo --out=/tmp/sh.log url").effects).toEqual([unknown("foo")]);
  });
});

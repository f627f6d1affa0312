// The judgement of one command line (explain.ts: judgeCommand, verdict, placeInScripts) on
// hand-written rules and service knowledge, so that each decision follows from the few rules in
// view: stated decisions, effects and their targets, unknown programs, remote commands, fail
// closed, reasons and alternatives. No policy pack is loaded (the default pack's decisions are
// decide.test.ts's): these are the decision core's own unit tests (also run by Stryker).
import { compileService } from "../src/effects/target.js";
import { EFFECT_TABLE } from "../src/effects/table.js";
import { decide, explain } from "../src/explain.js";
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
const program = (p: string) => (c: CommandFacts) => c.program === p;

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
const rules = [
  rule("r.ls", program("ls"), { decision: "allow" }),
  rule("r.cat", program("cat"), { decision: "allow" }),
  rule("db.write", program("mydb"), { effect: "write" }),
  rule("up.send", program("upl"), { effect: "send", decision: "deny" }),
  rule("r.halt", program("haltx"), { decision: "deny", alternative: "do not halt" }),
  rule("r.stop", program("stop"), { decision: "deny" }),
  rule("r.keep", program("keep"), { decision: "transact" }),
  rule("r.nuke", program("nuke"), { effect: "disk", alternative: "nuke alternative" }),
  rule("r.wipe", program("nuke"), { effect: "disk" }),
];
const policy: Policy = { rules, packs: [], defaults: {}, knowledge };
const unknown = (p: string, command = 0, remote = false) => ({
  kind: "state",
  id: "default.transact",
  reason: `not known to be read-only: ${p}`,
  remote,
  command,
});

describe("a command's matches and effects", () => {
  it("allows a command a rule vouches for, naming that rule", () => {
    const e = explain(policy, "ls -la");
    expect(e.matches).toEqual([
      { id: "r.ls", decision: "allow", justification: "r.ls why", command: 0 },
    ]);
    expect(e.effects).toEqual([]);
    expect(e.readOnly).toEqual([true]);
    expect(e.decision).toEqual({ decision: "allow", ruleIds: ["r.ls"], reasons: ["r.ls why"] });
  });

  it("names every vouching rule of an allowed line once", () => {
    expect(decide(policy, "ls; cat f; ls")).toEqual({
      decision: "allow",
      ruleIds: ["r.ls", "r.cat"],
      reasons: ["r.ls why", "r.cat why"],
    });
  });

  it("transacts a program nothing vouches for, naming each program once", () => {
    const e = explain(policy, "foo; bar; foo");
    expect(e.effects).toEqual([unknown("foo"), unknown("bar", 1), unknown("foo", 2)]);
    expect(e.readOnly).toEqual([false, false, false]);
    expect(e.decision).toEqual({
      decision: "transact",
      ruleIds: ["default.transact"],
      reasons: ["not known to be read-only: foo, bar"],
    });
  });

  it("tells read-only commands from the rest, command by command", () => {
    expect(explain(policy, "ls; foo; cat x").readOnly).toEqual([true, false, true]);
    // a stated transact is not read-only even without effects of its own
    expect(explain(policy, "keep").readOnly).toEqual([false]);
    const lsR = explain(
      {
        ...policy,
        rules: [...rules, rule("r.ls-R", (c) => c.program === "ls" && c.flags.includes("-R"))],
      },
      "ls -R",
    );
    expect([lsR.effects, lsR.readOnly]).toEqual([[], [false]]);
  });

  it("runs nothing for an assignment, and transacts a bare redirect", () => {
    expect(explain(policy, "x=1")).toMatchObject({
      effects: [],
      decision: { decision: "allow", ruleIds: [], reasons: [] },
    });
    const r = explain(policy, "> f");
    expect(r.effects).toEqual([
      {
        kind: "write",
        id: "redirect.write",
        reason: "writes a file: f",
        remote: false,
        command: 0,
        target: "/workspace/f",
      },
      unknown("redirect"),
    ]);
    expect(r.decision.reasons).toEqual(["writes a file: f", "not known to be read-only: redirect"]);
  });

  it("gives an effect rule the table's decision for the command's target", () => {
    const local = explain(policy, "mydb");
    expect(local.matches).toEqual([
      {
        id: "db.write",
        decision: "transact",
        effect: "write",
        justification: "db.write why",
        command: 0,
      },
    ]);
    expect(local.effects).toEqual([
      { kind: "write", id: "db.write", reason: "db.write why", remote: false, command: 0 },
      unknown("mydb"),
    ]);
    expect(local.decision).toEqual({
      decision: "transact",
      ruleIds: ["db.write", "default.transact"],
      reasons: ["db.write why", "not known to be read-only: mydb"],
    });
    const remote = explain(policy, "mydb -h db.example.com");
    expect(remote.matches[0]).toMatchObject({ decision: "deny", effect: "write" });
    expect(remote.effects).toEqual([
      {
        kind: "write",
        id: "db.write",
        reason: "db.write why (-h db.example.com)",
        remote: true,
        command: 0,
      },
      unknown("mydb", 0, true),
    ]);
    expect(remote.decision).toEqual({
      decision: "deny",
      ruleIds: ["db.write"],
      reasons: ["db.write why (-h db.example.com)"],
      alternative: EFFECT_TABLE.write.alternative,
    });
  });

  it("judges data sent to a service on the guest as a write there", () => {
    const e = explain(policy, "upl http://localhost:8080");
    expect(e.matches).toEqual([
      {
        id: "up.send",
        decision: "transact",
        effect: "send",
        justification: "up.send why",
        command: 0,
      },
    ]);
    expect(e.effects).toEqual([
      {
        kind: "write",
        id: "up.send",
        reason: "up.send why (to the guest itself)",
        remote: false,
        command: 0,
      },
      unknown("upl"),
    ]);
    expect(e.decision.decision).toBe("transact");
  });

  it("denies data sent off the guest or to an unnamed target", () => {
    for (const cmd of ["upl https://x.example.com", "upl data"]) {
      const e = explain(policy, cmd);
      expect(e.matches[0]).toMatchObject({ id: "up.send", decision: "deny" });
      expect(e.effects[0]).toEqual({
        kind: "send",
        id: "up.send",
        reason: "up.send why",
        remote: false,
        command: 0,
      });
      expect(e.decision).toEqual({
        decision: "deny",
        ruleIds: ["up.send"],
        reasons: ["up.send why"],
        alternative: EFFECT_TABLE.send.alternative,
      });
    }
  });

  it("consults the rule index when the policy has one", () => {
    const indexed: Policy = {
      ...policy,
      index: { byProgram: new Map([["ls", [rules[0]!]]]), generic: [rules[1]!] },
    };
    // `cat` is not indexed by program: only the generic rules apply to it
    expect(decide(indexed, "cat f")).toMatchObject({ ruleIds: ["r.cat"] });
    expect(decide(indexed, "ls")).toMatchObject({ ruleIds: ["r.ls"] });
    expect(decide(indexed, "mydb").decision).toBe("transact");
    expect(explain(indexed, "mydb").matches).toEqual([]);
  });
});

describe("remote commands and unknown programs", () => {
  it("denies a change over ssh, with every changing effect remote", () => {
    const e = explain(policy, "ssh h rm x");
    expect(e.effects).toEqual([
      {
        kind: "delete",
        id: "path.delete",
        reason: "deletes files: x",
        remote: true,
        command: 0,
        target: "/root/x",
      },
      {
        kind: "remote-change",
        id: "remote.state-change",
        reason: "changes state on another host over ssh (rm); no snapshot covers it",
        remote: true,
        command: 0,
      },
      unknown("ssh", 1),
    ]);
    expect(e.decision).toEqual({
      decision: "deny",
      ruleIds: ["path.delete", "remote.state-change"],
      reasons: [
        "deletes files: x",
        "changes state on another host over ssh (rm); no snapshot covers it",
      ],
      alternative: EFFECT_TABLE.delete.alternative,
    });
  });

  it("gives an effect of a command run over ssh the remote decision and says why", () => {
    const e = explain(policy, "ssh h mydb");
    expect(e.effects.filter((x) => x.command === 0)).toEqual([
      {
        kind: "write",
        id: "db.write",
        reason: "db.write why (runs on another host over ssh)",
        remote: true,
        command: 0,
      },
      {
        kind: "remote-change",
        id: "remote.state-change",
        reason: "changes state on another host over ssh (mydb); no snapshot covers it",
        remote: true,
        command: 0,
      },
    ]);
    expect(e.matches).toEqual([
      {
        id: "db.write",
        decision: "deny",
        effect: "write",
        justification: "db.write why",
        command: 0,
      },
    ]);
    expect(explain(policy, "haltx").matches).toEqual([
      {
        id: "r.halt",
        decision: "deny",
        justification: "r.halt why",
        alternative: "do not halt",
        command: 0,
      },
    ]);
  });

  it("lets a vouched-for command run over ssh", () => {
    const e = explain(policy, "ssh h ls");
    expect(e.effects).toEqual([unknown("ssh", 1)]);
    expect(e.readOnly).toEqual([true, false]);
  });

  it("judges an unknown program given a shell or a whole tree by that argument", () => {
    const shell = explain(policy, "foo /bin/sh");
    expect(shell.effects).toEqual([
      {
        kind: "exec-untrusted",
        id: "unknown.runs-shell",
        reason:
          "foo is not known and is given a shell to run: /bin/sh; what that shell runs never passes the gate",
        remote: false,
        command: 0,
        target: "/bin/sh",
      },
      unknown("foo"),
    ]);
    expect(shell.decision.decision).toBe("deny");
    for (const [arg, target] of [
      ["/etc", "/etc"],
      ["/", "/"],
      ["~", "/root"],
    ]) {
      const tree = explain(policy, `foo ${arg}`);
      expect(tree.effects).toEqual([
        {
          kind: "destroy-tree",
          id: "unknown.whole-tree",
          reason: `foo is not known and is given a whole tree: ${arg}`,
          remote: false,
          command: 0,
          target,
        },
        unknown("foo"),
      ]);
    }
  });

  it("leaves an unknown program's ordinary arguments, and known programs, alone", () => {
    for (const cmd of ["foo sh", "foo /etc/x", "foo /usr/lib", "foo bash"]) {
      expect({ cmd, effects: explain(policy, cmd).effects }).toEqual({
        cmd,
        effects: [unknown("foo")],
      });
    }
    // a matching rule or service knowledge knows the program: no guess from its arguments
    expect(explain(policy, "keep /etc").effects).toEqual([unknown("keep")]);
    expect(explain(policy, "mydb /etc").effects.map((e) => e.id)).toEqual([
      "db.write",
      "default.transact",
    ]);
    // (the remote command's; ssh itself is a program this policy does not know)
    const remote = explain(policy, "ssh h foo /etc").effects.filter((e) => e.command === 0);
    expect(remote.map((e) => e.id)).toEqual(["remote.state-change"]);
  });
});

describe("effects of the extractor's derived tags", () => {
  it("judges entering namespaces as an escape and an expanded program word as a change", () => {
    expect(explain(policy, "nsenter -t 1 -m -u sh").effects).toEqual([
      {
        kind: "escape",
        id: "tag.namespace-enter",
        reason: "enters another process's namespaces",
        remote: false,
        command: 0,
      },
      unknown("sh"),
    ]);
    expect(explain(policy, "x=foo; $x a").effects).toEqual([
      {
        kind: "state",
        id: "tag.expanded-program",
        reason:
          "the command word is built by an expansion (its value is known, but it is never allowed)",
        remote: false,
        command: 1,
      },
      unknown("foo", 1),
    ]);
  });
});

describe("the verdict over all effects and matches", () => {
  it("takes the strictest decision and names only what gave it", () => {
    expect(decide(policy, "ls; foo; haltx")).toEqual({
      decision: "deny",
      ruleIds: ["r.halt"],
      reasons: ["r.halt why"],
      alternative: "do not halt",
    });
    expect(decide(policy, "haltx; ls")).toMatchObject({ decision: "deny", ruleIds: ["r.halt"] });
    // a stated transact does not vouch for the program
    expect(decide(policy, "keep; ls")).toEqual({
      decision: "transact",
      ruleIds: ["r.keep", "default.transact"],
      reasons: ["r.keep why", "not known to be read-only: keep"],
    });
    expect(decide(policy, "ls; keep")).toMatchObject({ decision: "transact" });
  });

  it("gives a denial the first stated alternative, else the effect's, else the table's", () => {
    expect(decide(policy, "stop; haltx")).toEqual({
      decision: "deny",
      ruleIds: ["r.stop", "r.halt"],
      reasons: ["r.stop why", "r.halt why"],
      alternative: "do not halt",
    });
    expect(decide(policy, "stop")).toEqual({
      decision: "deny",
      ruleIds: ["r.stop"],
      reasons: ["r.stop why"],
    });
    expect(decide(policy, "nuke")).toEqual({
      decision: "deny",
      ruleIds: ["r.nuke", "r.wipe"],
      reasons: ["r.nuke why", "r.wipe why"],
      alternative: "nuke alternative",
    });
    expect(decide({ ...policy, rules: rules.filter((r) => r.id !== "r.nuke") }, "nuke")).toEqual({
      decision: "deny",
      ruleIds: ["r.wipe"],
      reasons: ["r.wipe why"],
      alternative: EFFECT_TABLE.disk.alternative,
    });
  });

  it("fails closed on uncertainty: deny headless, transact otherwise", () => {
    const dynamic = "the command name is produced by expansion or substitution: $x";
    expect(decide(policy, "$x -rf y")).toEqual({
      decision: "deny",
      ruleIds: ["failclosed.dynamic-program"],
      reasons: [dynamic],
      alternative: expect.stringMatching(/^Write the command out literally: /),
    });
    expect(decide(policy, "$x -rf y", { headless: false })).toEqual({
      decision: "transact",
      ruleIds: ["default.transact", "failclosed.dynamic-program"],
      reasons: ["not known to be read-only: $x", dynamic],
    });
    // a stated alternative at the same decision comes first
    expect(decide(policy, "haltx; $x y").alternative).toBe("do not halt");
    // uncertainty below the decision adds no reason
    expect(decide(policy, "haltx; $x y", { headless: false })).toEqual({
      decision: "deny",
      ruleIds: ["r.halt"],
      reasons: ["r.halt why"],
      alternative: "do not halt",
    });
  });
});

describe("a refusal inside a script the command runs", () => {
  const run = (text: string, cmd = "bash t.sh") =>
    decide(policy, cmd, {}, { scripts: { "/workspace/t.sh": text } });

  it("names the file and the first code line of the denied command", () => {
    expect(run("# rm -rf ~\necho hi\n  rm -rf ~  \n")).toEqual({
      decision: "deny",
      ruleIds: ["path.destroy-tree"],
      reasons: ["deletes a whole tree the guest depends on: ~ (in t.sh line 3: rm -rf ~)"],
      alternative: EFFECT_TABLE["destroy-tree"].alternative,
    });
    expect(run("rm -rf ~\n", "sh ./t.sh").reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in ./t.sh line 1: rm -rf ~)",
    ]);
  });

  it("finds a command written differently by its arguments", () => {
    expect(run("echo hi\nrm   -rf   ~\n").reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh line 2: rm   -rf   ~)",
    ]);
    // one-character arguments (`~`) are no evidence: `echo ~` is not the line
    expect(run("echo ~\nrm   -rf   ~\n").reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh line 2: rm   -rf   ~)",
    ]);
  });

  it("finds the script by its name among several, and a line continued over two", () => {
    const scripts = { "/workspace/at.sh": "echo\n", "/workspace/t.sh": "rm -rf ~\n" };
    expect(decide(policy, "bash t.sh", {}, { scripts }).reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh line 1: rm -rf ~)",
    ]);
    // the command's text spans two lines: its first line with one of its arguments is named
    expect(run("rm -rf \\\n  ~\n").reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh line 1: rm -rf \\)",
    ]);
  });

  it("leaves the reason alone when the script is not named or not denied", () => {
    expect(run("rm -rf ~\n", "bash t.sh; haltx")).toMatchObject({
      ruleIds: ["r.halt", "path.destroy-tree"],
      reasons: [
        "r.halt why",
        "deletes a whole tree the guest depends on: ~ (in t.sh line 1: rm -rf ~)",
      ],
    });
    expect(run("rm -rf x\n")).toEqual({
      decision: "transact",
      ruleIds: ["path.delete", "default.transact"],
      reasons: expect.not.arrayContaining([expect.stringContaining("(in t.sh")]),
    });
    expect(
      decide(policy, "rm -rf ~", {}, { scripts: { "/workspace/t.sh": "rm -rf ~\n" } }).reasons,
    ).toEqual(["deletes a whole tree the guest depends on: ~"]);
  });
});

// What mutation testing covers: the pure cores, each with the unit tests that own it. One entry
// per target: the package (jest's roots), the files Stryker mutates and the test files jest runs
// against each mutant (only fast, testbed-free suites: a mutant run must not need root or a
// network). Targets are small on purpose: the machine is shared, and a target is re-run alone.
// `ignoreStatic`: mutants in code that runs once at module load (constant tables, schemas) need
// every test file reloaded per mutant — most of the time for a minority of mutants; they are
// skipped (and not counted) where the target's behaviour is in functions, kept where a constant
// is the behaviour (redaction's key patterns, the state machine's table).
// `parts`: a large target is run as parts (`pnpm mutate net` runs each, `pnpm mutate net:c` one),
// each with its own report and incremental file, so that a finished part is kept when a run is
// stopped; the target's score adds up its parts' reports.
import { inPolicySample, policySample, policySampleParts, sample } from "./sample.mjs";

// The policy sample's tests: every unit test of the package that reaches its code, but:
// eval-figures.test.ts (the paper's figures over the whole corpus, 14 s a load) and corpus.test.ts
// (the public corpus, read from shared/ beside the checkout): a lower bound.
const SAMPLE_TESTS = [
  "packages/policy/test/decide*.test.ts",
  "packages/policy/test/facts*.test.ts",
  "packages/policy/test/paths*.test.ts",
  "packages/policy/test/chain*.test.ts",
  "packages/policy/test/handed*.test.ts",
  "packages/policy/test/option-grammars*.test.ts",
  "packages/policy/test/runners*.test.ts",
  "packages/policy/test/compiled*.test.ts",
  "packages/policy/test/packs*.test.ts",
  "packages/policy/test/bench*.test.ts",
  "packages/policy/test/core*.test.ts",
  "packages/policy/test/eval-metrics*.test.ts",
  "packages/policy/test/eval-mutate*.test.ts",
  "packages/policy/test/eval-property*.test.ts",
  "packages/policy/test/eval-split*.test.ts",
  "packages/policy/test/extract*.test.ts",
  "packages/policy/test/manifests*.test.ts",
  "packages/policy/test/described*.test.ts",
  "packages/policy/test/verbs*.test.ts",
  // the tests by behaviour class (c433ac4…3934cf0, f75b868): left out of this list until
  // 2026-12-05 16:00, so the seed-18 run (ca6f39c) did not run them
  "packages/policy/test/class*.test.ts",
  // the corpus reader on small files of its own (corpus.test.ts reads the public corpus)
  "packages/policy/test/corpus.read*.test.ts",
  // the tests written to kill the survivors of the package's slices (issue 16)
  "packages/policy/test/kill*.test.ts",
];

export const TARGETS = {
  redaction: {
    title: "core: log and output redaction",
    root: "packages/core",
    // The redaction half of the logger (patterns, redact, Errors, the winston format); not the
    // transports of createLogger.
    // Lines 1-76 before the key test became secretKey (2026-12-05); now 1-104.
    mutate: ["packages/core/src/logger.ts:1-104"],
    tests: ["packages/core/test/logger*.test.ts"],
  },
  config: {
    ignoreStatic: true,
    title: "core: config validation and loading",
    root: "packages/core",
    mutate: ["packages/core/src/config.ts", "packages/core/src/load.ts"],
    tests: ["packages/core/test/config*.test.ts", "packages/core/test/load*.test.ts"],
  },
  machine: {
    title: "tx: state machine",
    root: "packages/tx",
    mutate: ["packages/tx/src/machine.ts"],
    tests: ["packages/tx/test/machine*.test.ts"],
  },
  journal: {
    ignoreStatic: true,
    title: "tx: journal",
    root: "packages/tx",
    mutate: ["packages/tx/src/journal*.ts"],
    // Parts run (and keep their report) one at a time: row mapping and the WAL check with the
    // constructor; writes and reads of transactions; lists, audit and locks. Since 2026-12-05 the
    // schema, the row mapping and the WAL check are files of their own (journal-*.ts) and the class
    // is journal.ts:56-480; the parts cut the same code as lines 1-365, 366-566, 567-762 of the
    // single file at commit e4fa676 (and 1-354, 355-535, 536-731 at the full run of 0350cfe).
    parts: {
      a: [
        "packages/tx/src/journal-schema.ts",
        "packages/tx/src/journal-records.ts",
        "packages/tx/src/journal-wal.ts",
        "packages/tx/src/journal.ts:1-96",
      ],
      b: ["packages/tx/src/journal.ts:97-297"],
      c: ["packages/tx/src/journal.ts:298-480"],
    },
    tests: ["packages/tx/test/journal*.test.ts"],
  },
  // The journal's code changed since its full run (commit 0350cfe, docs/mutation/survivors.md),
  // as of commit e4fa676: a journal that must exist (`create: false`), lazy syncing (`lazily`,
  // `durable`), one insert of a transaction row for createTx and adoptTx, and the audit log's
  // filters and limit in SQL. A full re-run of the three parts is ~3 h on the shared machine (a
  // mutant's run fsyncs SQLite).
  "journal-changed": {
    ignoreStatic: true,
    title:
      "tx: journal, the code changed since commit 0350cfe (create: false, lazy syncing, adoptTx, auditLog in SQL)",
    root: "packages/tx",
    mutate: [
      // Lines 334-342, 366-378, 405-454 and 652-672 of the single file at e4fa676.
      "packages/tx/src/journal.ts:65-73",
      "packages/tx/src/journal.ts:97-109",
      "packages/tx/src/journal.ts:136-185",
      "packages/tx/src/journal.ts:383-403",
    ],
    tests: ["packages/tx/test/journal*.test.ts"],
  },
  recovery: {
    ignoreStatic: true,
    title: "tx: recovery planning",
    root: "packages/tx",
    mutate: ["packages/tx/src/engine/recover.ts"],
    // recover.test.ts owns recovery planning (in this process, on the directory-backed guests).
    // Not crash.test.ts: it builds the package and kills child processes (seconds per test);
    // recover.test.ts repeats its recovery scenarios in this process. Not engine.test.ts: every
    // run passes through recoverBeforeRun, so it ran for most mutants, and it detected 25 of the
    // 99 valid ones (run of 2026-12-05 04:08, when it was this target's only test file).
    tests: ["packages/tx/test/recover*.test.ts"],
  },
  net: {
    ignoreStatic: true,
    title: "net: network planner",
    root: "packages/net",
    mutate: ["packages/net/src/plan*.ts"],
    // ~800 mutants. The planner was one file (plan.ts, 720 lines) when its parts a1-e were measured
    // (docs/mutation/survivors.md names lines of that file); since 2026-12-05 it is split by concern
    // and the parts follow the files (plan-types.ts holds only types: no mutants).
    parts: {
      a: ["packages/net/src/plan-diff.ts"], // pending view, value normalisation, field/NIC/firewall diffs
      b: ["packages/net/src/plan-sdn.ts:1-199"], // context, controllers/zones/vnets, subnets, egress
      c: ["packages/net/src/plan-sdn.ts:200-281"], // pending, apply, vnet firewalls
      d: ["packages/net/src/plan-guests.ts"], // guests
      e: ["packages/net/src/plan.ts", "packages/net/src/plan-format.ts"], // order, summary, formatPlan
    },
    tests: ["packages/net/test/plan*.test.ts", "packages/net/test/spec*.test.ts"],
  },
  firewall: {
    ignoreStatic: true,
    title: "net: the planner's firewall diff (ruleKey, formatRule, diffFirewall)",
    root: "packages/net",
    mutate: ["packages/net/src/plan-diff.ts:65-101"],
    tests: ["packages/net/test/plan*.test.ts"],
  },
  policy: {
    ignoreStatic: true,
    // The decision core after the gate rework: the effect table's lookup, the checks that turn a
    // command's facts into effects (paths, derived tags, the command's target) and the judgement
    // of knowledge matches and effects into one decision (explain.ts: judgeCommand, verdict).
    title: "policy: decision core (facts → effects → decision)",
    root: "packages/policy",
    mutate: ["packages/policy/src/explain.ts", "packages/policy/src/effects/*.ts"],
    // Parts at top-level statements of explain.ts as of 2026-12-05 19:10 (365 lines, after
    // matchRules left judgeCommand, 1613030); earlier runs in docs/mutation/survivors.md were made
    // on the 315-line file of 04:50 (a 241-315, b 1-156, e 157-240), the 296-line file of 01:10
    // (a 222-296, b 1-141, e 142-221) and the 291-line file of 2026-12-04 22:20.
    parts: {
      // Every part runs only the decision core's unit tests (core*.test.ts): no pack is
      // loaded per mutant, so they finish on a loaded machine; their score is a lower bound
      // (decide.test.ts and chain.test.ts could only kill more).
      // effects → decision: the verdict over all effects, the table's lookup, derived tags
      a: {
        mutate: [
          "packages/policy/src/explain.ts:292-365",
          "packages/policy/src/effects/table.ts:156-160",
          "packages/policy/src/effects/derive.ts",
        ],
        tests: ["packages/policy/test/core*.test.ts"],
      },
      // a command's knowledge matches + target → effects; core tests only since 2026-12-05 01:30
      // (with decide.test.ts, 23 of its mutants took 30 minutes on the loaded machine)
      b: {
        mutate: ["packages/policy/src/explain.ts:1-205"],
        tests: ["packages/policy/test/core*.test.ts"],
      },
      // path facts → effects (part c, effects/paths.ts, in slices: its 472 mutants to test take
      // ~2 h on the loaded machine of 2026-12-05 02:10): core.paths.test.ts drives pathEffects
      // and isWholeTree directly on hand-built path facts; it loads no extractor, so a mutant's
      // run is a fraction of the other core files' (a lower bound: core.explain.test.ts reaches
      // paths.ts too)
      c1: {
        mutate: ["packages/policy/src/effects/paths.ts:1-76"], // isWholeTree, globParent
        tests: ["packages/policy/test/core.paths.test.ts"],
      },
      c2: {
        mutate: ["packages/policy/src/effects/paths.ts:77-120"], // writeKind
        tests: ["packages/policy/test/core.paths.test.ts"],
      },
      c3: {
        mutate: ["packages/policy/src/effects/paths.ts:121-159"], // deleteKind, readKind
        tests: ["packages/policy/test/core.paths.test.ts"],
      },
      c4: {
        mutate: ["packages/policy/src/effects/paths.ts:160-249"], // pathEffects
        tests: ["packages/policy/test/core.paths.test.ts"],
      },
      // guest or remote target
      d: {
        mutate: ["packages/policy/src/effects/target.ts"],
        tests: ["packages/policy/test/core*.test.ts"],
      },
      // explain() and the file and line of a refusal inside a script a command runs
      e: {
        mutate: ["packages/policy/src/explain.ts:206-291"],
        tests: ["packages/policy/test/core*.test.ts"],
      },
    },
    // A mutant run loads every listed test file; a file that calls loadPolicy({}) costs the
    // default pack's compile and its ~400 example checks, plus the knowledge's (~1-2 s, once per
    // file per mutant). So: the decision core's own unit tests (core*.test.ts: hand-built rules
    // and knowledge, no pack), the path classes, and decide.test.ts once (the default pack on
    // whole command lines and its held-out corpus lists; a mutant active while it loads the
    // pack also meets the pack's examples). packs.test.ts and corpus.test.ts re-load the pack.
    tests: [
      "packages/policy/test/core*.test.ts",
      "packages/policy/test/decide*.test.ts",
      "packages/policy/test/paths*.test.ts",
    ],
  },
  // The described effects (issue 10, commit ea272e7), added after the decision core's and the
  // sample's runs: the generated knowledge's reader and where judgeCommand consults it.
  described: {
    title: "policy: described effects (generated knowledge's reader and its use in judgeCommand)",
    root: "packages/policy",
    mutate: [
      "packages/policy/src/knowledge/described.ts",
      // describedOf, the `specific` flag, where judgeCommand consults it (lines of 1613030;
      // 38-50, 64-71 and 104 of ea272e7)
      "packages/policy/src/explain.ts:36-50",
      "packages/policy/src/explain.ts:124-124",
      "packages/policy/src/explain.ts:130-130",
      "packages/policy/src/explain.ts:176-181",
    ],
    tests: ["packages/policy/test/described*.test.ts", "packages/policy/test/core*.test.ts"],
  },
  "policy-sample": {
    ignoreStatic: true,
    // The rest of the package (~8,000 lines, ~10,400 mutants) is many hours on this machine:
    // this target is a seeded uniform random sample of its mutants (stryker/sample.mjs,
    // stryker/policy-sample.json); its score counts the sampled mutants only (`counts`), an
    // estimate of the rest's score with a sampling error (README, "Mutation scores").
    title: `policy: seeded uniform random sample of the mutants ${
      sample().withCore === true ? "of the whole package" : "outside the decision core"
    }`,
    root: "packages/policy",
    sample: true,
    counts: inPolicySample,
    mutate: policySample(),
    // Parts by mutator (literals, conditions, operators), each excluding the others' mutators.
    parts: policySampleParts(),
    tests: SAMPLE_TESTS,
  },
  // Issue 16's kill tests, one slice of the package at a time. Each part runs only the kill tests
  // of its area (kill.<area>.test.ts): a mutant of these files is reached by nearly every test of
  // the sample's list, which costs ~15 s a mutant on the shared machine (a 450-mutant slice took
  // ~1h45 at the load of 2026-12-05 16:00); the survivors of a part are then re-checked against
  // the sample's list with stryker/recheck.mjs (docs/mutation/survivors.md).
  pslice: {
    ignoreStatic: true,
    title: "policy: one slice at a time against its kill tests (issue 16)",
    root: "packages/policy",
    mutate: ["packages/policy/src/facts/paths.ts:135-352"],
    parts: {
      a: {
        mutate: ["packages/policy/src/facts/paths.ts:135-352"],
        tests: ["packages/policy/test/kill.paths.test.ts"],
      },
      b: {
        mutate: ["packages/policy/src/facts/extract/emit.ts"],
        tests: ["packages/policy/test/kill.emit.test.ts"],
      },
      c: {
        mutate: ["packages/policy/src/facts/extract/simple.ts"],
        tests: ["packages/policy/test/kill.simple.test.ts"],
      },
      d: {
        mutate: ["packages/policy/src/facts/extract/tools.ts"],
        tests: ["packages/policy/test/kill.tools.test.ts"],
      },
      e: {
        mutate: ["packages/policy/src/knowledge/verbs.ts"],
        tests: ["packages/policy/test/kill.verbs.test.ts"],
      },
      f: {
        mutate: ["packages/policy/src/rules/matcher.ts"],
        tests: ["packages/policy/test/kill.matcher.test.ts"],
      },
      g: {
        mutate: ["packages/policy/src/facts/extract/emit-data.ts"],
        tests: ["packages/policy/test/kill.data.test.ts"],
      },
      h: {
        mutate: ["packages/policy/src/facts/extract/emit-files.ts"],
        tests: ["packages/policy/test/kill.files.test.ts"],
      },
      i: {
        mutate: ["packages/policy/src/facts/interpreters.ts"],
        tests: ["packages/policy/test/kill.interp.test.ts"],
      },
      j: {
        mutate: ["packages/policy/src/facts/text.ts"],
        tests: ["packages/policy/test/kill.text.test.ts"],
      },
      k: {
        mutate: ["packages/policy/src/facts/extract/fanout.ts"],
        tests: ["packages/policy/test/kill.fanout.test.ts"],
      },
      l: {
        mutate: ["packages/policy/src/facts/extract/run.ts"],
        tests: ["packages/policy/test/kill.run.test.ts"],
      },
      m: {
        mutate: ["packages/policy/src/facts/extract/emit-net.ts"],
        tests: ["packages/policy/test/kill.net.test.ts"],
      },
      n: {
        mutate: ["packages/policy/src/facts/extract/scripts.ts"],
        tests: ["packages/policy/test/kill.scripts.test.ts"],
      },
      o: {
        mutate: ["packages/policy/src/eval/mutate.ts"],
        tests: ["packages/policy/test/kill.evalmutate.test.ts"],
      },
      p: {
        mutate: ["packages/policy/src/facts/extract/words.ts"],
        tests: ["packages/policy/test/kill.words.test.ts"],
      },
      q: {
        mutate: ["packages/policy/src/facts/extract/walk.ts"],
        tests: ["packages/policy/test/kill.walk.test.ts"],
      },
      r: {
        mutate: ["packages/policy/src/facts/extract/runner.ts"],
        tests: ["packages/policy/test/kill.runner.test.ts"],
      },
      s: {
        mutate: ["packages/policy/src/facts/argspec.ts"],
        tests: ["packages/policy/test/kill.argspec.test.ts"],
      },
      t: {
        mutate: ["packages/policy/src/facts/programs.ts"],
        tests: ["packages/policy/test/kill.programs.test.ts"],
      },
      u: {
        mutate: ["packages/policy/src/facts/extract/emit-exec.ts"],
        tests: ["packages/policy/test/kill.exec.test.ts"],
      },
      v: {
        mutate: ["packages/policy/src/facts/extract/senders.ts"],
        tests: ["packages/policy/test/kill.senders.test.ts"],
      },
      w: {
        mutate: ["packages/policy/src/facts/extract/handed.ts"],
        tests: ["packages/policy/test/kill.handed.test.ts"],
      },
      x: {
        mutate: [
          "packages/policy/src/facts/extract/loops.ts",
          "packages/policy/src/facts/extract/program-glob.ts",
        ],
        tests: ["packages/policy/test/kill.loops.test.ts"],
      },
      y: {
        mutate: ["packages/policy/src/facts/code-sinks.ts"],
        tests: ["packages/policy/test/kill.sinks.test.ts"],
      },
      z: {
        mutate: ["packages/policy/src/facts/extract/manifests.ts"],
        tests: ["packages/policy/test/kill.manifest.test.ts"],
      },
    },
    tests: SAMPLE_TESTS,
  },
  facts: {
    ignoreStatic: true,
    title: "policy: fact extraction (facts from the shell AST)",
    root: "packages/policy",
    mutate: ["packages/policy/src/facts/**/*.ts"],
    tests: [
      "packages/policy/test/decide*.test.ts",
      "packages/policy/test/facts*.test.ts",
      "packages/policy/test/paths*.test.ts",
      "packages/policy/test/class*.test.ts",
      "packages/policy/test/kill*.test.ts",
    ],
  },
};

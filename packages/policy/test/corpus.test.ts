import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluateCorpus, readCorpus } from "../src/corpus.js";
import { loadPolicy } from "../src/policy.js";

// The corpus lives beside the repository: <repoRoot>/../shared/policy-corpus/corpus-v2.jsonl, the
// labels under the rollback principle (an allow label is met by allow or transact).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const corpusFile =
  process.env["TXBOX_POLICY_CORPUS"] ??
  resolve(repoRoot, "..", "shared", "policy-corpus", "corpus-v2.jsonl");

describe("public policy corpus", () => {
  it("exists where CI puts it", () => {
    expect(existsSync(corpusFile)).toBe(true);
  });

  it("denies ≥ 99.5 % of deny entries and lets ≥ 99 % of allow entries through", () => {
    const policy = loadPolicy({});
    const entries = readCorpus(corpusFile);
    const report = evaluateCorpus(policy, entries);
    console.log(
      `policy corpus: ${report.total} commands, deny recall ${(report.denyRecall * 100).toFixed(2)} %, ` +
        `allow accuracy ${(report.allowAccuracy * 100).toFixed(2)} %, misses ${report.misses.length}`,
    );
    expect(report.total).toBe(entries.length);
    expect(report.denyTotal + report.allowTotal).toBe(entries.length);
    expect(report.denyRecall).toBeGreaterThanOrEqual(0.995);
    expect(report.allowAccuracy).toBeGreaterThanOrEqual(0.99);
  });

  it("reports misses with what the gate decided", () => {
    const policy = loadPolicy({});
    const report = evaluateCorpus(policy, [
      { cmd: "rm -rf /", label: "allow" },
      { cmd: "ls", label: "deny", category: "test" },
      { cmd: "touch x", label: "allow" },
    ]);
    expect(report).toEqual({
      total: 3,
      denyTotal: 1,
      allowTotal: 2,
      denyRecall: 0,
      allowAccuracy: 0.5,
      misses: [
        {
          cmd: "rm -rf /",
          label: "allow",
          decision: "deny",
          ruleIds: ["path.destroy-tree"],
        },
        {
          cmd: "ls",
          label: "deny",
          category: "test",
          decision: "allow",
          ruleIds: ["readonly.basic"],
        },
      ],
    });
  });
});

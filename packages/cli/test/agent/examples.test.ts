// The shipped agent scripts say what txbox will do with each command (`expect:`). Their own tests
// play them against test doubles; this one holds every expectation against the real default gate,
// so that a rule change that makes an example wrong fails here rather than in a user's first run.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScript } from "@txbox/agent";
import { decide, loadPolicy } from "@txbox/policy";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
const SCRIPTS = ["packages/agent/examples/paper-demo.yaml", "infra/demo/agent-task.yaml"];
const GATE: Record<string, string> = {
  executed: "allow",
  denied: "deny",
  committed: "transact",
  "rolled-back": "transact",
};

const policy = loadPolicy();

describe.each(SCRIPTS)("%s", (file) => {
  const steps = loadScript(join(repo, file)).steps.flatMap((s) =>
    "run" in s && s.expect !== undefined && GATE[s.expect] !== undefined
      ? [{ run: s.run, cwd: s.cwd ?? "/root/project", gate: GATE[s.expect]! }]
      : [],
  );
  test("has expectations to check", () => expect(steps.length).toBeGreaterThan(2));
  test.each(steps)("$gate: $run", ({ run, cwd, gate }) => {
    expect(decide(policy, run, { cwd, headless: true }).decision).toBe(gate);
  });
});

// One line naming the suites that skipped and why, and one naming those that had to run but could
// not (CI or TXBOX_REQUIRE_E2E=1), printed just before jest's own summary (jest adds its summary
// reporter after the custom ones), so a run that skipped the real-part suites says so where CI
// reads. The reasons come from the suites' names (test/support/requirements.ts).
import { relative } from "node:path";

const MARK = "(skipped: ";
const CANNOT_RUN = "can run here (CI or TXBOX_REQUIRE_E2E=1 forbids skipping)";
const NEEDS = ": cannot run here: ";

/** The skip reason a pending test's enclosing describe names, if any. */
function skipReason(assertion) {
  for (const title of [...assertion.ancestorTitles, assertion.title]) {
    const at = title.lastIndexOf(MARK);
    if (at >= 0) return title.slice(at + MARK.length).replace(/\)$/, "");
  }
  return "skipped in the test file (no reason given)";
}

/** What a failed "can run here" test says is missing. */
function missingReason(assertion) {
  const message = assertion.failureMessages.join("\n");
  const at = message.indexOf(NEEDS);
  return at >= 0 ? message.slice(at + NEEDS.length).split("\n")[0] : "requirements not met";
}

function group(results, rootDir, pick) {
  const byReason = new Map();
  for (const file of results.testResults) {
    const reasons = new Set(file.testResults.flatMap((a) => pick(a)));
    for (const reason of reasons) {
      const files = byReason.get(reason) ?? [];
      files.push(relative(rootDir, file.testFilePath));
      byReason.set(reason, files);
    }
  }
  return byReason;
}

function line(title, byReason) {
  const files = new Set([...byReason.values()].flat());
  const parts = [...byReason].map(([reason, fs]) => `${reason}: ${fs.sort().join(", ")}`);
  return `${title}: ${files.size} — ${parts.join("; ")}`;
}

/** The lines printed after a run: always the skipped line, the cannot-run line when any. */
export function summaryLines(results, rootDir) {
  const skipped = group(results, rootDir, (a) => (a.status === "pending" ? [skipReason(a)] : []));
  const blocked = group(results, rootDir, (a) =>
    a.status === "failed" && a.title === CANNOT_RUN ? [missingReason(a)] : [],
  );
  const lines = [skipped.size === 0 ? "Skipped suites: none" : line("Skipped suites", skipped)];
  if (blocked.size > 0)
    lines.push(line("Suites that could not run (not skipped under CI)", blocked));
  return lines;
}

export default class SkipReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    process.stderr.write(`\n${summaryLines(results, this.rootDir).join("\n")}\n`);
  }
}

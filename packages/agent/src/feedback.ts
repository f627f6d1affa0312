/**
 * What the model is told after each command. Refusals and rollbacks are instructive: the rule,
 * why, a safer alternative, and for rollbacks what was undone — so that the model changes course
 * instead of repeating itself. Pure functions of the outcome.
 */
import type { CommandOutcome } from "./outcome.js";
import type { StubbornnessVerdict } from "./stubbornness.js";

/** Output longer than this is cut in the middle; the model needs the start and the end. */
export const DEFAULT_OUTPUT_LIMIT = 4000;

/** Keep the first and last parts of a long text, marking what was cut. */
export function clip(text: string, limit = DEFAULT_OUTPUT_LIMIT): string {
  if (text.length <= limit) return text;
  const half = Math.floor(limit / 2);
  const cut = text.length - 2 * half;
  return `${text.slice(0, half)}\n[… ${cut} characters cut …]\n${text.slice(text.length - half)}`;
}

/** How a stream is shown: bytes that are not UTF-8 come as base64; a cut stream says where it all is. */
function label(o: CommandOutcome, which: "stdout" | "stderr"): string {
  const s = o.streams?.[which];
  if (s === undefined) return `${which}:`;
  const notes = [
    ...(s.encoding === "base64" ? ["not UTF-8, shown as base64"] : []),
    ...(s.truncated
      ? [`cut: ${s.bytes} bytes in all${s.file === undefined ? "" : `, whole in ${s.file}`}`]
      : []),
  ];
  return notes.length === 0 ? `${which}:` : `${which} (${notes.join("; ")}):`;
}

function output(o: CommandOutcome, limit: number): string[] {
  const lines: string[] = [];
  if (o.stdout !== "") lines.push(label(o, "stdout"), clip(o.stdout.trimEnd(), limit));
  if (o.stderr !== "") lines.push(label(o, "stderr"), clip(o.stderr.trimEnd(), limit));
  if (o.stdout === "" && o.stderr === "") lines.push("(no output)");
  return lines;
}

function rules(o: CommandOutcome): string {
  return o.rules.length > 0 ? o.rules.join(", ") : "(no rule id)";
}

/**
 * The message fed back to the model for one command. `verdict` (from the stubbornness detector)
 * adds a warning on repeated refusals.
 */
export function formatOutcome(
  command: string,
  o: CommandOutcome,
  verdict?: StubbornnessVerdict,
  limit = DEFAULT_OUTPUT_LIMIT,
): string {
  const tx = o.txid === undefined ? "" : ` (transaction ${o.txid})`;
  switch (o.outcome) {
    case "executed":
      return [`outcome: executed, exit code ${o.exitCode ?? "none"}`, ...output(o, limit)].join(
        "\n",
      );
    case "committed":
      return [
        `outcome: committed${tx}, exit code ${o.exitCode ?? "none"}: the change is kept.`,
        ...output(o, limit),
      ].join("\n");
    case "rolled-back":
      return [
        `outcome: rolled back${tx}, exit code ${o.exitCode ?? "none"}.`,
        `why: ${o.reason || "the command failed"}`,
        `undone: every change made by \`${command}\` (files, packages, processes) was reverted; the guest is exactly as it was before this command.`,
        ...output(o, limit),
        "next: fix the cause shown above, then try again with a corrected command — do not assume any of its effects happened.",
      ].join("\n");
    case "denied": {
      const lines = [
        `outcome: DENIED by policy rule ${rules(o)}; the command did not run and nothing changed.`,
        `why: ${o.reason || "the policy forbids this command"}`,
      ];
      lines.push(
        o.alternative
          ? `instead: ${o.alternative}`
          : "instead: reach the goal another way that stays inside the project directory.",
      );
      lines.push("Do not retry this command or a variant of it.");
      if (verdict && verdict.attempts > 1) {
        lines.push(
          verdict.stubborn
            ? `This is refused attempt ${verdict.attempts} of the same command: the run is stopped.`
            : `This is refused attempt ${verdict.attempts} of the same command; ${verdict.remaining} more and the run is stopped.`,
        );
      }
      return lines.join("\n");
    }
    case "timed-out":
      return [
        `outcome: TIMED OUT${tx}: the command ran past its time budget and was killed.`,
        `why: ${o.reason}`,
        o.txid === undefined || o.decision !== "transact"
          ? "undone: nothing — the command ran directly; whatever it did before it was killed stays."
          : `undone: every change made by \`${command}\` was reverted; the guest is exactly as it was before this command.`,
        ...output(o, limit),
        "next: make the command finish sooner (smaller input, a bound on waits, run it in the background), then try again.",
      ].join("\n");
    case "failed":
      return [
        `outcome: FAILED${tx}: txbox could not complete this command.`,
        `why: ${o.reason || "unknown error"}`,
        ...output(o, limit),
        "next: the guest may or may not have changed; inspect it with read-only commands before going on.",
      ].join("\n");
  }
}

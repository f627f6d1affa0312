/**
 * Shell text → facts per simple command. The work is split by concern under `extract/`:
 * `walk` (statements, pipelines, compound commands), `words` (expansion of one word),
 * `simple` (one simple command: redirections, assignments, nested shell text), `run`
 * (wrappers and the program word), `emit` / `emit-exec` / `emit-data` (what a program does with
 * its arguments), `fanout` (xargs, parallel), `scripts` (script files and interpreters),
 * `tools` (sed, git, find), and `state` (the shared scope, frame and extractor state).
 */
import type { CommandLineFacts, PolicyContext } from "../types.js";
import { normalizeLookalikes } from "./text.js";
import { Extractor, type Scope } from "./extract/state.js";
import { script } from "./extract/walk.js";

export { expandBraces, normalizeLookalikes } from "./text.js";

/**
 * Extract the facts of a command line. Pure: reads nothing but its arguments. `scripts` holds the
 * content of files earlier commands wrote (absolute path → text), for write-then-run chains.
 */
export function extractFacts(
  command: string,
  context: Required<PolicyContext>,
  scripts: Readonly<Record<string, string>> = {},
): CommandLineFacts {
  const ex = new Extractor(context);
  const normalized = normalizeLookalikes(command);
  const scope: Scope = {
    cwd: context.cwd,
    vars: new Map(),
    // Files earlier commands wrote, read back from the guest: judged like files written here.
    files: new Map(
      Object.entries(scripts).map(([path, content]) => [path, { content, origin: "literal" }]),
    ),
    functions: new Set(),
    aliases: new Map(),
    mounts: new Set(),
  };
  try {
    script(ex, normalized, scope, {
      depth: 0,
      via: [],
      wrappers: [],
      remote: false,
      privileged: false,
      concurrent: false,
    });
  } catch (cause) {
    // A parser or extractor failure must never let a command through.
    ex.uncertain.push({
      tag: "parse-error",
      reason: `the command could not be analysed: ${String(cause)}`,
    });
  }
  return { commands: ex.commands, uncertain: ex.uncertain };
}

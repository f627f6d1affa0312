import type { CommandFacts, Effect } from "../types.js";
import { pathEffects, type PathKnowledge } from "./paths.js";
import type { EffectKind } from "./table.js";

/** Derived tags of the extractor and the effect each one is. */
// Most tags are judged by knowledge entries of the rule pack (exec.pipe-to-shell, net.upload, …);
// these have no program to hang an entry on.
const TAG_EFFECTS: Record<string, { kind: EffectKind; why: string }> = {
  "expanded-program": {
    kind: "state",
    why: "the command word is built by an expansion (its value is known, but it is never allowed)",
  },
  "namespace-enter": { kind: "escape", why: "enters another process's namespaces" },
  "embedded-shell": {
    kind: "exec-untrusted",
    why: "hands a shell to a program inside an argument (the program runs it; its commands never pass the gate)",
  },
  "daemon-command": {
    kind: "persist",
    why: "a daemon is handed a configuration that names a command: it runs it later, outside any transaction",
  },
  "handed-shell-file": {
    kind: "exec-untrusted",
    why: "a file this command line wrote starts a shell, and a later program reads it as configuration or code",
  },
};

/**
 * The generic effects of one simple command: its paths, redirects, inputs and derived tags.
 * Program-specific effects come from the knowledge entries that match it.
 */
export function derivedEffects(
  c: CommandFacts,
  index: number,
  home: string,
  k: PathKnowledge,
): Effect[] {
  const out = pathEffects(c, index, home, k);
  for (const t of c.tags) {
    const e = TAG_EFFECTS[t];
    if (e !== undefined)
      out.push({ kind: e.kind, id: `tag.${t}`, reason: e.why, remote: false, command: index });
  }
  return out;
}

import { resolveContext } from "./context.js";
import { extractFacts } from "./facts/extract.js";
import type { Policy } from "./policy.js";
import type { PolicyContext } from "./types.js";

/**
 * Write-then-run chains. The gate remembers, per guest, the files earlier commands wrote; before a
 * command executes one of them (`bash t.sh`, `./x`, `python3 x.py`, `make`), the caller reads the
 * file from the guest and passes its text to `decide(…, { scripts })`, which judges it with the
 * same engine. Both functions are pure: the caller owns the memory and the reading.
 */

/** Files a command line writes on the guest (absolute paths; redirects, writers, copies). */
export function writtenPaths(
  policy: Policy,
  command: string,
  context: Partial<PolicyContext> = {},
): string[] {
  const ctx = resolveContext(context, policy.defaults);
  const out = new Set<string>();
  for (const c of extractFacts(command, ctx).commands) {
    for (const p of c.paths)
      if (p.role === "write" && p.remote !== true && !p.classes.includes("unknown"))
        out.add(p.path);
    for (const r of c.redirects)
      if (
        r.write &&
        r.path !== undefined &&
        !r.path.classes.includes("unknown") &&
        !r.path.classes.includes("devnull")
      )
        out.add(r.path.path);
  }
  return [...out];
}

/** Files the command executes that earlier commands wrote: the caller reads these from the guest. */
export function scriptsToRead(
  policy: Policy,
  command: string,
  written: Iterable<string>,
  context: Partial<PolicyContext> = {},
): string[] {
  const memory = new Set(written);
  if (memory.size === 0) return [];
  const ctx = resolveContext(context, policy.defaults);
  const out = new Set<string>();
  for (const c of extractFacts(command, ctx).commands)
    for (const p of [...c.paths, ...c.inputs]) {
      if ((p.role === "exec" || p.runs === true) && memory.has(p.path)) out.add(p.path);
      // A configuration directory a daemon reads (fail2ban-client -c DIR): every file under it.
      // (A remembered path that holds other remembered files is a directory made on the way.)
      if (p.runs === true)
        for (const m of memory)
          if (m.startsWith(p.path + "/") && ![...memory].some((o) => o.startsWith(m + "/")))
            out.add(m);
    }
  return [...out];
}

import { scriptsToRead, writtenPaths, type Policy, type PolicyContext } from "@txbox/policy";
import type { ExecPort, GuestRef, Journal } from "@txbox/tx";

/** Most recent committed commands whose writes the gate remembers. */
const MEMORY_COMMANDS = 500;
/** Largest script read back for judging; a longer one is judged on its first part. */
const MAX_SCRIPT_BYTES = 256 * 1024;

/**
 * The per-guest memory of write-then-run chains, kept where it is durable: the journal's
 * append-only audit. Every committed command's writes (as the gate reads them) are remembered, so
 * the memory survives CLI processes and daemon restarts; rolled-back commands wrote nothing.
 */
export class ChainMemory {
  /** command text → files it writes, per policy: parsing each audit record once per session. */
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly journal: Journal) {}

  /** Files committed commands of this guest wrote, oldest first. */
  written(guest: GuestRef, policy: Policy, ctx: Partial<PolicyContext>): string[] {
    const records = this.journal.auditLog({
      guest,
      outcome: "committed",
      limit: MEMORY_COMMANDS,
    });
    const out = new Set<string>();
    for (const r of records) {
      let paths = this.cache.get(r.command);
      if (paths === undefined) {
        paths = writtenPaths(policy, r.command, ctx);
        this.cache.set(r.command, paths);
      }
      for (const p of paths) out.add(p);
    }
    return [...out];
  }

  /**
   * The content of the remembered files this command executes, read from the guest over the
   * session's SSH (a file that is gone or unreadable is left out: the gate then judges the command
   * without it, and a run of a file nobody can read fails on its own).
   */
  async scriptsFor(
    exec: ExecPort,
    guest: GuestRef,
    policy: Policy,
    command: string,
    ctx: Partial<PolicyContext>,
    timeoutMs: number,
  ): Promise<Record<string, string>> {
    const memory = this.written(guest, policy, ctx);
    const paths = scriptsToRead(policy, command, memory, ctx);
    const scripts: Record<string, string> = {};
    for (const path of paths) {
      const quoted = `'${path.replace(/'/g, `'\\''`)}'`;
      const r = await exec.run(guest, `head -c ${MAX_SCRIPT_BYTES} -- ${quoted}`, { timeoutMs });
      if (r.exitCode === 0) scripts[path] = r.stdout;
    }
    return scripts;
  }
}

import { errorMessage } from "@txbox/core";
import {
  judge,
  parseProbeOutput,
  planProbes,
  probeScript,
  PROBE_TIMEOUT_S,
  type VerifyReport,
} from "./probes.js";
import type { CallOptions } from "./ports.js";
import type { GuestSpec, NetSpec } from "./spec.js";

/** Runs shell text in a guest over its SSH (the effect `verify` needs; one per backend). */
export interface ProbeRunner {
  /** Resolve with the script's output; reject when the guest cannot be reached or logged in to. */
  run(
    guest: GuestSpec,
    script: string,
    timeoutMs: number,
    opts?: CallOptions,
  ): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

export interface VerifyOptions extends CallOptions {
  /** Budget of each guest's probe run, SSH login included (default 60 s). */
  guestTimeoutMs?: number;
}

/**
 * Probe the spec's isolation live: every guest runs its probes (in parallel, all guests at
 * once) and the outcomes are judged against what the spec allows. A guest that cannot be
 * reached fails the verification; nothing is assumed.
 */
export async function verify(
  spec: NetSpec,
  runner: ProbeRunner,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const probes = planProbes(spec);
  const budget = options.guestTimeoutMs ?? Math.max(60_000, (PROBE_TIMEOUT_S + 5) * 1000);
  const results = new Map<string, Map<string, string>>();
  const unreachable: { guest: string; error: string }[] = [];
  await Promise.all(
    spec.guests.map(async (g) => {
      const mine = probes.filter((p) => p.from === g.name);
      if (mine.length === 0) return;
      try {
        const r = await runner.run(
          g,
          probeScript(mine),
          budget,
          options.signal ? { signal: options.signal } : {},
        );
        results.set(g.name, parseProbeOutput(r.stdout));
      } catch (error) {
        unreachable.push({ guest: g.name, error: errorMessage(error) });
      }
    }),
  );
  unreachable.sort((a, b) => a.guest.localeCompare(b.guest));
  return judge(spec.name, probes, results, unreachable);
}

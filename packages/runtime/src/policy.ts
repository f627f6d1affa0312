import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { loadConfig, type LoadedConfig } from "@txbox/core";
import { loadPolicy, type Policy, type PolicyContext } from "@txbox/policy";
import type { RuntimeEnv } from "./environment.js";

/**
 * The txbox.yaml that {@link configFor} would load (same search as `loadConfig`: the explicit
 * file, else `$TXBOX_CONFIG`, else the nearest `txbox.yaml` upwards), without reading it.
 */
export function findConfigFile(
  io: Pick<RuntimeEnv, "cwd" | "env">,
  file?: string,
): string | undefined {
  const explicit = file ?? io.env.TXBOX_CONFIG;
  if (explicit !== undefined) return resolve(io.cwd, explicit);
  for (let dir = io.cwd; ; dir = dirname(dir)) {
    const candidate = resolve(dir, "txbox.yaml");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Load txbox.yaml (from --config, $TXBOX_CONFIG or the nearest file) once per command. */
export function configFor(io: Pick<RuntimeEnv, "cwd" | "env">, file?: string): LoadedConfig {
  return loadConfig({ file, cwd: io.cwd, env: io.env });
}

/** The compiled policy for this command: the config's packs plus any `--policy` files. */
export function policyFor(loaded: LoadedConfig, extraPacks: string[] = []): Policy {
  const policyConfig = {
    ...loaded.config.policy,
    packs: [...loaded.config.policy.packs, ...extraPacks],
  };
  return loadPolicy(policyConfig, { baseDir: loaded.baseDir });
}

/**
 * The policy for one guest: the global packs, `extraPacks` (from the command line) and the
 * guest's own `guests[].policy` packs from txbox.yaml. Compiled once per distinct pack list.
 */
export function guestPolicies(
  loaded: LoadedConfig,
  extraPacks: string[] = [],
): (vmid: number | undefined) => Policy {
  const cache = new Map<string, Policy>();
  return (vmid) => {
    const own = loaded.config.guests.find((g) => g.vmid === vmid)?.policy ?? [];
    const packs = [...extraPacks, ...own];
    const key = JSON.stringify(packs);
    let policy = cache.get(key);
    if (policy === undefined) {
      policy = policyFor(loaded, packs);
      cache.set(key, policy);
    }
    return policy;
  };
}

export function policyContext(loaded: LoadedConfig, cwd?: string): Partial<PolicyContext> {
  const p = loaded.config.policy;
  return {
    headless: p.headless,
    projectPaths: p.projectPaths,
    protectedPaths: p.protectedPaths,
    ...(cwd === undefined ? {} : { cwd }),
  };
}

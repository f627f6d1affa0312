import { loadConfig, type LoadedConfig } from "@txbox/core";
import { loadPolicy, type Policy, type PolicyContext } from "@txbox/policy";
import type { Io } from "./output.js";

/** Load txbox.yaml (from --config, $TXBOX_CONFIG or the nearest file) once per command. */
export function configFor(io: Io, file?: string): LoadedConfig {
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

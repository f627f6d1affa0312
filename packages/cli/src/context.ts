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

export function policyContext(loaded: LoadedConfig, cwd?: string): Partial<PolicyContext> {
  const p = loaded.config.policy;
  return {
    headless: p.headless,
    projectPaths: p.projectPaths,
    protectedPaths: p.protectedPaths,
    ...(cwd === undefined ? {} : { cwd }),
  };
}

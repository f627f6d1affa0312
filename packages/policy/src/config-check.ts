import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { errorMessage, type PathIssue, type TxboxConfig } from "@txbox/core";
import { loadPolicy } from "./policy.js";

/**
 * What `txbox config validate` checks of the policy a txbox.yaml names, beyond its schema: every
 * rule pack file exists and loads, and every rule id in `disable`/`overrides` is one the packs
 * define. Issues carry key paths, so the caller can give each its line and column.
 */
export function checkPolicyReferences(config: TxboxConfig, baseDir: string): PathIssue[] {
  const issues: PathIssue[] = [];
  const missing = (path: PathIssue["path"], pack: string): void => {
    const file = isAbsolute(pack) ? pack : resolve(baseDir, pack);
    if (!existsSync(file)) issues.push({ path, message: `rule pack not found: ${file}` });
  };
  config.policy.packs.forEach((p, i) => missing(["policy", "packs", i], p));
  config.guests.forEach((g, i) =>
    g.policy.forEach((p, k) => missing(["guests", i, "policy", k], p)),
  );
  if (issues.length > 0) return issues;

  let known: Set<string>;
  try {
    const policy = loadPolicy({ ...config.policy, disable: [], overrides: [] }, { baseDir });
    known = new Set(policy.rules.map((r) => r.id));
  } catch (cause) {
    return [{ path: ["policy", "packs"], message: errorMessage(cause) }];
  }
  const hint = "(`txbox policy explain -- CMD` shows rule ids)";
  config.policy.disable.forEach((id, i) => {
    if (!known.has(id))
      issues.push({ path: ["policy", "disable", i], message: `unknown rule id ${id} ${hint}` });
  });
  config.policy.overrides.forEach((o, i) => {
    if (!known.has(o.id))
      issues.push({
        path: ["policy", "overrides", i, "id"],
        message: `unknown rule id ${o.id} ${hint}`,
      });
  });
  if (issues.length > 0) return issues;
  for (const [i, g] of config.guests.entries()) {
    if (g.policy.length === 0) continue;
    try {
      loadPolicy({ ...config.policy, packs: [...config.policy.packs, ...g.policy] }, { baseDir });
    } catch (cause) {
      issues.push({ path: ["guests", i, "policy"], message: errorMessage(cause) });
    }
  }
  return issues;
}

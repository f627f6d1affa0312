import { readKnowledge } from "./read.js";
import { manifestsFileSchema, type ManifestSpec } from "./schema.js";

let cached: ReadonlyMap<string, ManifestSpec> | undefined;

/**
 * Package managers that run commands written in a manifest (`knowledge/manifests.yaml`), by
 * program, read once per process on first use. Examples are checked when the policy loads.
 */
export function manifestIndex(): ReadonlyMap<string, ManifestSpec> {
  if (cached !== undefined) return cached;
  const index = new Map<string, ManifestSpec>();
  for (const spec of readKnowledge("manifests.yaml", manifestsFileSchema).manifests)
    for (const p of spec.programs) index.set(p, spec);
  cached = index;
  return cached;
}

/** The scripts a manifest command runs (`npm run x` → prex, x, postx), or none. */
export function scriptsRun(
  spec: ManifestSpec,
  positionals: readonly string[],
  defined: (name: string) => boolean,
): string[] {
  const sub = positionals[0] ?? "";
  const withHooks = (n: string): string[] => (spec.pre_post ? [`pre${n}`, n, `post${n}`] : [n]);
  if (spec.run.includes(sub)) {
    const name = positionals[1];
    return name === undefined ? [] : withHooks(name);
  }
  const life = spec.lifecycle[sub];
  if (life !== undefined) return life.flatMap((n) => (n === sub ? withHooks(n) : [n]));
  if (spec.implicit_run && sub !== "" && defined(sub)) return withHooks(sub);
  return [];
}

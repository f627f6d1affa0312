/**
 * Write-then-run through a manifest: `npm run x` runs the command in package.json's `scripts.x`.
 * When the manifest's content is known (written earlier in the line, or read back from the guest
 * by the runtime because an earlier command wrote it), the scripts the command runs are judged.
 */
import { manifestIndex, scriptsRun } from "../../knowledge/manifests.js";
import type { ManifestSpec } from "../../knowledge/schema.js";
import { parseArgs, type OptionSpec } from "../argspec.js";
import { absolutize, pathFact, type ArgValue } from "../paths.js";
import { lit, type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";

/** The `scripts` object of a manifest's text, or undefined when it is not JSON. */
function scriptsOf(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    if (doc === null || typeof doc !== "object") return undefined;
    const scripts = (doc as { scripts?: unknown }).scripts;
    return scripts !== null && typeof scripts === "object"
      ? (scripts as Record<string, unknown>)
      : {};
  } catch {
    return undefined;
  }
}

const grammars = new WeakMap<ManifestSpec, OptionSpec>();

/** The option grammar of a manifest entry, built once per entry. */
function grammarOf(spec: ManifestSpec): OptionSpec {
  let g = grammars.get(spec);
  if (g === undefined) {
    g = { valued: [...spec.dir_options, ...spec.valued] };
    grammars.set(spec, g);
  }
  return g;
}

/** Judge the manifest scripts a package-manager command runs (side effects on `env` only). */
export function manifestScripts(
  ex: Extractor,
  program: string,
  args: readonly ArgValue[],
  env: CommandEnv,
): void {
  const spec = manifestIndex().get(program);
  if (spec === undefined) return;
  const argv = args.slice(1).map((a) => a.value);
  const p = parseArgs(argv, grammarOf(spec));
  const dirs = spec.dir_options.flatMap((o) => p.options[o] ?? []);
  const ps = ex.pathScope(env.scope);
  const dir = dirs.length > 0 ? absolutize(dirs[dirs.length - 1]!, ps) : env.scope.cwd;
  if (dir === undefined) return;
  const file = `${dir.replace(/\/+$/, "")}/${spec.file}`;
  const known = env.scope.files.get(file);
  const scripts = known?.content === undefined ? undefined : scriptsOf(known.content);
  const names = scriptsRun(spec, p.positionals, (n) => scripts?.[n] !== undefined);
  if (names.length === 0) return;
  env.inputs.push({ ...pathFact(lit(file), "read", ps), runs: true });
  if (known === undefined) return;
  if (known.content === undefined) {
    env.tags.push(known.origin === "network" ? "exec-downloaded" : "exec-written");
    return;
  }
  if (scripts === undefined) {
    ex.unsure("manifest-unreadable", `${file} is run by ${program} but is not valid JSON`);
    return;
  }
  for (const n of names) {
    const v = scripts[n];
    for (const line of Array.isArray(v) ? v : [v])
      if (typeof line === "string") shellText(ex, line, env, `${spec.file} scripts.${n}`);
  }
}

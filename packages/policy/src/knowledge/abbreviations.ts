import { programsFile } from "./programs-file.js";
import type { AbbreviationSpec } from "./schema.js";

let cached: Readonly<Record<string, AbbreviationSpec>> | undefined;
let byProgram: ReadonlyMap<string, AbbreviationSpec> | undefined;

/** Programs that accept abbreviated words (`knowledge/programs.yaml`), read once on first use. */
export function abbreviationTable(): Readonly<Record<string, AbbreviationSpec>> {
  cached ??= programsFile().abbreviations;
  return cached;
}

let mounters: ReadonlySet<string> | undefined;

/** Programs that mount a remote filesystem on their last operand (`knowledge/programs.yaml`). */
export function remoteMounters(): ReadonlySet<string> {
  mounters ??= new Set(programsFile().remote_mounts);
  return mounters;
}

/** The abbreviation spec of one program, from a map (no keyed loads, no prototype keys). */
export function abbreviationsOf(program: string): AbbreviationSpec | undefined {
  byProgram ??= new Map(Object.entries(abbreviationTable()));
  return byProgram.get(program);
}

/** The first word of `list` that `word` abbreviates, as the program looks it up. */
function resolve(word: string, list: readonly string[]): string {
  const w = word.toLowerCase();
  return list.find((full) => full.startsWith(w)) ?? word;
}

/**
 * The words of `argv` with the object and command words written out (`ip a d` → `ip address
 * delete`, `nmcli d w s` → `nmcli device wifi show-password`); `argv` itself when the program
 * takes no abbreviations. `commands` is keyed by the words resolved so far (`device`,
 * `device wifi`): each level's list resolves the next word.
 */
export function expandAbbreviations(spec: AbbreviationSpec, argv: readonly string[]): string[] {
  const out = [...argv];
  let i = 0;
  while (i < out.length && out[i]!.startsWith("-")) i += spec.valued.includes(out[i]!) ? 2 : 1;
  if (i >= out.length) return out;
  let path = resolve(out[i]!, spec.objects);
  out[i] = path;
  for (let next = i + 1; next < out.length && !out[next]!.startsWith("-"); next++) {
    const commands = spec.commands[path];
    if (commands === undefined) break;
    out[next] = resolve(out[next]!, commands);
    path = `${path} ${out[next]!}`;
  }
  return out;
}

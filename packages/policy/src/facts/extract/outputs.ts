/**
 * Programs that otherwise only read, given an output file or a system setting (knowledge/
 * programs.yaml `output_files`, `system_setters`): `sort -o FILE` writes FILE, `uniq IN OUT` writes
 * OUT, `date -s TIME` sets the clock. The pack's read-only rule lists these programs by name; this
 * is what keeps their writing forms from being read as reads.
 */
import { programsFile } from "../../knowledge/programs-file.js";
import type { OutputPlace } from "../../knowledge/schema.js";
import type { ArgValue } from "../paths.js";
import type { EmitContext } from "./state.js";

interface Tables {
  files: ReadonlyMap<string, OutputPlace>;
  setters: ReadonlyMap<string, OutputPlace>;
}
let tables: Tables | undefined;

function table(): Tables {
  if (tables === undefined) {
    const f = programsFile();
    tables = {
      files: new Map(Object.entries(f.output_files)),
      setters: new Map(Object.entries(f.system_setters)),
    };
  }
  return tables;
}

/**
 * The words given to any of `names` (getopt's forms: `-o F`, `-oF`, `--output=F`, `--output F`),
 * and whether one of them was given at all (an option with no value left still counts).
 */
export function optionValues(
  rest: readonly ArgValue[],
  names: readonly string[],
): { given: boolean; values: ArgValue[] } {
  const values: ArgValue[] = [];
  let given = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.value === "--") break;
    if (names.includes(a.value)) {
      given = true;
      const next = rest[i + 1];
      if (next !== undefined) values.push(next);
      i++;
      continue;
    }
    const eq = a.value.startsWith("--") ? a.value.indexOf("=") : -1;
    const short = names.find(
      (n) => /^-\w$/.test(n) && a.value.startsWith(n) && !a.value.startsWith("--"),
    );
    if (eq > 0 && names.includes(a.value.slice(0, eq))) {
      given = true;
      values.push({ ...a, value: a.value.slice(eq + 1) });
    } else if (short !== undefined && a.value.length > 2) {
      given = true;
      values.push({ ...a, value: a.value.slice(2) });
    }
  }
  return { given, values };
}

/** The files a read-only program writes, and the tag of a setting it changes. */
export function knownOutputs(x: EmitContext): void {
  const t = table();
  const out = t.files.get(x.program);
  if (out !== undefined) {
    for (const v of optionValues(x.rest, out.options ?? []).values)
      if (v.value !== "-") x.addPath(v, "write");
    const operand = out.operand === undefined ? undefined : x.positionals[out.operand - 1];
    if (operand !== undefined && operand.value !== "-") x.addPath(operand, "write");
  }
  const set = t.setters.get(x.program);
  if (set === undefined) return;
  const byOption = set.options !== undefined && optionValues(x.rest, set.options).given;
  const byOperand = set.operand !== undefined && x.positionals.length >= set.operand;
  if (byOption || byOperand) x.env.tags.push("sets-system");
}

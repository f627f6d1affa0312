import type { EmitContext, Extractor } from "./state.js";

/**
 * One kind of program an emitter knows: which programs it is (a test of the program's name only),
 * and what their words do. The test sees the name alone so the branch a program takes can be
 * looked up once per program instead of trying every branch's test on every command.
 */
export interface Branch {
  when: (program: string) => boolean;
  run: (ex: Extractor, x: EmitContext) => void;
}

/** A branch's test: the program is one of these names. */
export function named(...names: string[]): (program: string) => boolean {
  const set = new Set(names);
  return (program) => set.has(program);
}

/** Programs remembered per table; past this the memo starts again (program names are input). */
const MEMO_LIMIT = 4096;
/** Per table, the index of the branch each program takes (-1: none). */
const chosen = new WeakMap<readonly Branch[], Map<string, number>>();

/** The index of the first branch, in table order, whose test holds for the program; -1 if none. */
function branchOf(branches: readonly Branch[], program: string): number {
  let memo = chosen.get(branches);
  if (memo === undefined) chosen.set(branches, (memo = new Map()));
  let k = memo.get(program);
  if (k === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    k = branches.findIndex((b) => b.when(program));
    memo.set(program, k);
  }
  return k;
}

/** Runs the first branch, in table order, whose test holds; false when none does. */
export function runFirst(branches: readonly Branch[], ex: Extractor, x: EmitContext): boolean {
  const k = branchOf(branches, x.program);
  if (k < 0) return false;
  branches[k]!.run(ex, x);
  return true;
}

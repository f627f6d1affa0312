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

/** Branches in table order, with the branch each program takes remembered (-1: none). */
export interface BranchTable {
  branches: readonly Branch[];
  chosen: Map<string, number>;
}

/** A table of branches, tried in the order given. */
export function branchTable(branches: readonly Branch[]): BranchTable {
  return { branches, chosen: new Map() };
}

/** The index of the first branch, in table order, whose test holds for the program; -1 if none. */
function branchOf(table: BranchTable, program: string): number {
  let k = table.chosen.get(program);
  if (k === undefined) {
    if (table.chosen.size >= MEMO_LIMIT) table.chosen.clear();
    k = table.branches.findIndex((b) => b.when(program));
    table.chosen.set(program, k);
  }
  return k;
}

/** Runs the first branch, in table order, whose test holds; false when none does. */
export function runFirst(table: BranchTable, ex: Extractor, x: EmitContext): boolean {
  const k = branchOf(table, x.program);
  if (k < 0) return false;
  table.branches[k]!.run(ex, x);
  return true;
}

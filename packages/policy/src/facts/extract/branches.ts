import type { EmitContext, Extractor } from "./state.js";

/** One kind of program an emitter knows: which programs it is, and what their words do. */
export interface Branch {
  when: (x: EmitContext) => boolean;
  run: (ex: Extractor, x: EmitContext) => void;
}

/** A branch's test: the program is one of these names. */
export function named(...names: string[]): (x: EmitContext) => boolean {
  const set = new Set(names);
  return (x) => set.has(x.program);
}

/** Runs the first branch, in table order, whose test holds; false when none does. */
export function runFirst(branches: readonly Branch[], ex: Extractor, x: EmitContext): boolean {
  const branch = branches.find((b) => b.when(x));
  if (branch === undefined) return false;
  branch.run(ex, x);
  return true;
}

import type { CompoundList, Statement } from "unbash";

/** A loop condition that never becomes false: `true`, `:`, `[ 1 ]`, `(( 1 ))`, `/bin/true`. */
const ALWAYS =
  /^\s*(?:(?:\/usr)?(?:\/bin\/)?true|:|\[\s+1\s+\]|\[\[\s+1\s+\]\]|\(\(\s*1\s*\)\)|test\s+1)\s*;?\s*$/;
const NEVER = /^\s*(?:(?:\/usr)?(?:\/bin\/)?false|!\s*true|\[\s+\]|\(\(\s*0\s*\)\))\s*;?\s*$/;

/**
 * A job put in the background anywhere in a statement, a subshell or group's included
 * (`(x &)`, `{ x & }`): an `&` that is not `&&`, `&>` or a descriptor's `>&`.
 */
const BACKGROUND = /(?:^|[^&>])&(?![&>])\s*(?:[)};\n]|done\b|$)/;

function backgrounds(list: CompoundList, src: string): boolean {
  return list.commands.some(
    (st: Statement) => st.background === true || BACKGROUND.test(src.slice(st.pos, st.end)),
  );
}

/**
 * An endless loop (`while true`, `until false`, `for ((;;))`) whose body starts jobs in the
 * background: the jobs pile up until the process table or memory is gone, whatever runs in them.
 */
export function spawnsEndlessly(
  kind: "while" | "until" | "for",
  clause: string,
  body: CompoundList,
  src: string,
): boolean {
  const endless =
    kind === "for"
      ? clause.trim() === ""
      : kind === "while"
        ? ALWAYS.test(clause)
        : NEVER.test(clause);
  return endless && backgrounds(body, src);
}

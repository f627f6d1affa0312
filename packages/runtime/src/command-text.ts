/**
 * Checks on the text of a command before anything else sees it. A shell cannot pass a NUL byte in
 * a command line, and text that was not valid UTF-8 reaches us either as lone UTF-16 surrogates
 * (from JSON) or as U+FFFD (Node decodes invalid argv and socket bytes to it): in both cases what
 * would run is not what the caller wrote, so the command is refused before the gate and before
 * any snapshot. Pure.
 */

/** Why a command text is refused, or `undefined` when it is acceptable. */
export interface CommandTextProblem {
  /** Stable rule id, also recorded in the audit row. */
  rule: "input.nul" | "input.utf8";
  /** Index (UTF-16 code unit) of the first offending character. */
  index: number;
  reason: string;
}

/** The first problem of `command`, or `undefined`. */
export function commandTextProblem(command: string): CommandTextProblem | undefined {
  for (let i = 0; i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c === 0) {
      return {
        rule: "input.nul",
        index: i,
        reason: `the command contains a NUL byte at offset ${i}; a shell cannot pass one, so what would run is not what was written`,
      };
    }
    if (c === 0xfffd) {
      return {
        rule: "input.utf8",
        index: i,
        reason: `the command is not valid UTF-8 (a replacement character at offset ${i})`,
      };
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = command.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return {
        rule: "input.utf8",
        index: i,
        reason: `the command is not valid UTF-8 (a lone surrogate at offset ${i})`,
      };
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      return {
        rule: "input.utf8",
        index: i,
        reason: `the command is not valid UTF-8 (a lone surrogate at offset ${i})`,
      };
    }
  }
  return undefined;
}

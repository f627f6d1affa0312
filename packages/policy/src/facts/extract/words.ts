import type { Statement, Word, WordPart } from "unbash";
import { PATH_VAR_DEFAULTS } from "../programs.js";
import type { ArgValue } from "../paths.js";
import { type Scope, type Frame, NONE, Extractor } from "./state.js";
import { arith, nested } from "./walk.js";

/** Evaluate one word part; returns its static value (or undefined when unknown). */
export function part(
  ex: Extractor,
  p: WordPart,
  scope: Scope,
  frame: Frame,
  quoted: boolean,
): { value: string | undefined; glob: boolean; expanded?: boolean; stream?: ArgValue["stream"] } {
  switch (p.type) {
    case "Literal":
      return { value: p.value, glob: false };
    case "SingleQuoted":
    case "AnsiCQuoted":
      return { value: p.value, glob: false };
    case "Glob":
      return { value: p.text, glob: !quoted };
    case "ExtendedGlob":
      return { value: p.text, glob: !quoted };
    case "BraceExpansion":
      return { value: p.text, glob: true };
    case "DoubleQuoted":
    case "LocaleString": {
      let v = "";
      let known = true;
      let expanded = false;
      for (const c of p.parts) {
        const r = part(ex, c, scope, frame, true);
        expanded ||= c.type !== "Literal";
        if (r.value === undefined) known = false;
        else v += r.value;
      }
      return { value: known ? v : undefined, glob: false, expanded };
    }
    case "SimpleExpansion":
      return { value: variable(ex, p.text.slice(1), scope), glob: false, expanded: true };
    case "ParameterExpansion": {
      const op = p.operation;
      if (op?.type === "Transform" && /P|E|A/.test(op.operand.value)) {
        ex.unsure(
          "prompt-expansion",
          `\${…@${op.operand.value}} re-evaluates text at run time: ${p.text}`,
        );
      }
      if (op && "operand" in op && op.operand) word(ex, op.operand, scope, frame);
      if (op?.type === "Replace") {
        word(ex, op.pattern, scope, frame);
        word(ex, op.replacement, scope, frame);
      }
      if (p.prefix === "!") {
        ex.unsure(
          "indirect-expansion",
          `indirect expansion ${p.text} names a variable at run time`,
        );
        return { value: undefined, glob: false };
      }
      let value = p.index ? undefined : variable(ex, p.parameter, scope);
      if (op?.type === "Default" && (op.operator === ":-" || op.operator === "-")) {
        // ${X:-/tmp}: the default when X is unknown and the default is static
        if (value === undefined && !(p.parameter in PATH_VAR_DEFAULTS)) value = undefined;
      } else if (op) value = undefined;
      return { value, glob: false, expanded: true };
    }
    case "CommandExpansion": {
      if (!p.script) return { value: undefined, glob: false, expanded: true };
      const known = substitutionValue(ex, p.script.commands, scope);
      const out = nested(ex, p.script.commands, p.text, scope, frame, "substitution");
      // `$(echo ls)`: output written literally in the command is known, if word splitting and
      // globbing cannot change it.
      const text = out.kind === "literal" ? out.text.replace(/\n+$/, "") : undefined;
      const literal = text !== undefined && /^[^\s*?[\]{}$`'"\\]+$/.test(text) ? text : undefined;
      return { value: known ?? literal, glob: false, expanded: true };
    }
    case "ProcessSubstitution": {
      const out = p.script
        ? nested(ex, p.script.commands, p.text, scope, frame, "substitution")
        : NONE;
      const stream: ArgValue["stream"] =
        out.kind === "literal" || out.kind === "network" || out.kind === "decoded"
          ? out
          : { kind: "unknown" };
      return { value: undefined, glob: false, expanded: true, stream };
    }
    case "ArithmeticExpansion":
      if (p.expression) arith(ex, p.expression, scope, frame);
      return { value: "0", glob: false };
  }
}

/** The output of `$(pwd)` and similar substitutions whose value is known statically. */
export function substitutionValue(
  ex: Extractor,
  statements: readonly Statement[],
  scope: Scope,
): string | undefined {
  if (statements.length !== 1) return undefined;
  const c = statements[0]!.command;
  if (c.type !== "Command" || !c.name) return undefined;
  if (c.name.value === "pwd" && c.suffix.length === 0) return scope.cwd;
  return undefined;
}

export function variable(ex: Extractor, name: string, scope: Scope): string | undefined {
  if (scope.vars.has(name)) return scope.vars.get(name) ?? undefined;
  const def = PATH_VAR_DEFAULTS[name];
  if (def) return def(ex.ctx);
  return undefined;
}

/** Evaluate a word: its value after quote removal and known expansions. */
export function word(ex: Extractor, w: Word, scope: Scope, frame: Frame): ArgValue {
  if (!w.parts) return { value: w.value, dynamic: false, glob: false };
  let value = "";
  let dynamic = false;
  let glob = false;
  let expanded = false;
  let stream: ArgValue["stream"];
  for (const p of w.parts) {
    const r = part(ex, p, scope, frame, false);
    if (r.value === undefined) {
      dynamic = true;
      value += p.text;
    } else value += r.value;
    glob ||= r.glob;
    expanded ||= r.expanded ?? false;
    stream ??= r.stream;
  }
  return {
    value,
    dynamic,
    glob,
    ...(expanded ? { expanded } : {}),
    ...(stream && w.parts.length === 1 ? { stream } : {}),
  };
}

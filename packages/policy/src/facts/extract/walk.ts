import {
  parse,
  type CommandNode,
  type CompoundList,
  type PipelineNode,
  type Statement,
  type ArithmeticExpression,
  type AndOr,
  type TestExpression,
} from "unbash";
import { SHELLS, NETCATS } from "../programs.js";
import {
  type Scope,
  type Frame,
  type Output,
  NONE,
  Extractor,
  MAX_DEPTH,
  MAX_COMMANDS,
  cloneScope,
} from "./state.js";
import { part, word } from "./words.js";
import { spawnsEndlessly } from "./loops.js";
import { newEnv, redirections, simple, push } from "./simple.js";

/** Record an endless loop of background jobs as a command of its own, tagged `fork-bomb`. */
function endlessSpawn(ex: Extractor, scope: Scope, frame: Frame, text: string): void {
  const env = newEnv(ex, scope, frame, NONE, text);
  env.tags.push("fork-bomb");
  push(ex, env, "", "", [], null, []);
}

export function script(ex: Extractor, source: string, scope: Scope, frame: Frame): void {
  if (frame.depth > MAX_DEPTH) {
    ex.unsure("too-deep", `nesting deeper than ${MAX_DEPTH} levels`);
    return;
  }
  const ast = parse(source);
  if (ast.errors && ast.errors.length > 0) {
    const e = ast.errors[0]!;
    ex.unsure("parse-error", `shell syntax error at offset ${e.pos}: ${e.message}`);
  }
  walkList(ex, ast.commands, scope, frame, source);
}

export function walkList(
  ex: Extractor,
  statements: readonly Statement[],
  scope: Scope,
  frame: Frame,
  src: string,
): Output {
  let out: Output = NONE;
  for (const st of statements) {
    ex.following = src.slice(st.end);
    out = pipelineNode(
      ex,
      st.command,
      scope,
      st.background ? { ...frame, concurrent: true } : frame,
      NONE,
      src,
    );
  }
  return out;
}

export function compound(
  ex: Extractor,
  list: CompoundList,
  scope: Scope,
  frame: Frame,
  src: string,
): void {
  walkList(ex, list.commands, scope, frame, src);
}

export function pipelineNode(
  ex: Extractor,
  node: PipelineNode | AndOr,
  scope: Scope,
  frame: Frame,
  stdin: Output,
  src: string,
): Output {
  if (ex.commands.length > MAX_COMMANDS) {
    ex.unsure("too-large", `more than ${MAX_COMMANDS} simple commands`);
    return NONE;
  }
  switch (node.type) {
    case "AndOr": {
      let out: Output = NONE;
      for (const c of node.commands) out = pipelineNode(ex, c, scope, frame, NONE, src);
      return out;
    }
    case "Pipeline": {
      let out = stdin;
      const n = node.commands.length;
      const first = ex.commands.length;
      node.commands.forEach((c, i) => {
        const sub = n > 1 ? cloneScope(scope) : scope;
        out = commandNode(ex, c, sub, i < n - 1 ? { ...frame, concurrent: true } : frame, out, src);
      });
      // A shell wired to a network tool in one pipeline is a reverse shell (mkfifo/nc idiom).
      if (n > 1) {
        const here = ex.commands.slice(first).filter((c) => c.depth === frame.depth);
        if (
          here.some((c) => NETCATS.has(c.program)) &&
          here.some((c) => SHELLS.has(c.program) && !c.argv.some((a) => /^-[a-z]*c/.test(a)))
        )
          for (const c of here) c.tags.push("reverse-shell");
      }
      return out;
    }
    default:
      return commandNode(ex, node, scope, frame, stdin, src);
  }
}

export function commandNode(
  ex: Extractor,
  node: CommandNode,
  scope: Scope,
  frame: Frame,
  stdin: Output,
  src: string,
): Output {
  switch (node.type) {
    case "Command":
      return simple(ex, node, scope, frame, stdin, src);
    case "Subshell":
      compound(ex, node.body, cloneScope(scope), frame, src);
      return { kind: "unknown", paths: [] };
    case "BraceGroup":
      compound(ex, node.body, scope, frame, src);
      return { kind: "unknown", paths: [] };
    case "If":
      compound(ex, node.clause, scope, frame, src);
      compound(ex, node.then, scope, frame, src);
      for (const e of node.elif) {
        compound(ex, e.clause, scope, frame, src);
        compound(ex, e.then, scope, frame, src);
      }
      if (node.else) compound(ex, node.else, scope, frame, src);
      return { kind: "unknown", paths: [] };
    case "While":
      compound(ex, node.clause, scope, frame, src);
      compound(ex, node.body, scope, frame, src);
      if (
        spawnsEndlessly(
          node.kind === "until" ? "until" : "while",
          src.slice(node.clause.pos, node.clause.end),
          node.body,
          src,
        )
      )
        endlessSpawn(ex, scope, frame, src.slice(node.pos, node.end));
      return { kind: "unknown", paths: [] };
    case "For":
    case "Select":
      for (const w of node.wordlist ?? []) word(ex, w, scope, frame);
      scope.vars.set(node.name.value, null);
      compound(ex, node.body, scope, frame, src);
      return { kind: "unknown", paths: [] };
    case "ArithmeticFor":
      for (const e of [node.initialize, node.test, node.update]) if (e) arith(ex, e, scope, frame);
      compound(ex, node.body, scope, frame, src);
      if (node.test === undefined && spawnsEndlessly("for", "", node.body, src))
        endlessSpawn(ex, scope, frame, src.slice(node.pos, node.end));
      return { kind: "unknown", paths: [] };
    case "Case":
      word(ex, node.word, scope, frame);
      for (const item of node.items) compound(ex, item.body, scope, frame, src);
      return { kind: "unknown", paths: [] };
    case "TestCommand":
      testExpr(ex, node.expression, scope, frame);
      return NONE;
    case "ArithmeticCommand":
      if (node.expression) arith(ex, node.expression, scope, frame);
      return NONE;
    case "Function": {
      const name = node.name.value;
      scope.functions.add(name);
      (scope.bodies ??= new Map()).set(name, { node: node.body, src });
      const inner: Scope = { ...scope, inFunction: name };
      if (node.body.type === "CompoundList") compound(ex, node.body, inner, frame, src);
      else commandNode(ex, node.body, inner, frame, NONE, src);
      return NONE;
    }
    case "Coproc":
      if (node.body.type === "CompoundList") compound(ex, node.body, scope, frame, src);
      else commandNode(ex, node.body, scope, { ...frame, concurrent: true }, NONE, src);
      return NONE;
    case "Redirected": {
      const out = commandNode(ex, node.command, scope, frame, stdin, src);
      const env = newEnv(ex, scope, frame, stdin, src.slice(node.pos, node.end));
      redirections(ex, node.redirects, env);
      if (env.redirects.length > 0) push(ex, env, "", "", [], null, []);
      return out;
    }
  }
}

export function testExpr(ex: Extractor, e: TestExpression, scope: Scope, frame: Frame): void {
  switch (e.type) {
    case "TestUnary":
      word(ex, e.operand, scope, frame);
      break;
    case "TestBinary":
      word(ex, e.left, scope, frame);
      word(ex, e.right, scope, frame);
      break;
    case "TestLogical":
      for (const o of e.operands) testExpr(ex, o, scope, frame);
      break;
    case "TestNot":
      testExpr(ex, e.operand, scope, frame);
      break;
    case "TestGroup":
      testExpr(ex, e.expression, scope, frame);
      break;
  }
}

export function arith(ex: Extractor, e: ArithmeticExpression, scope: Scope, frame: Frame): void {
  switch (e.type) {
    case "ArithmeticBinary":
      arith(ex, e.left, scope, frame);
      arith(ex, e.right, scope, frame);
      break;
    case "ArithmeticUnary":
      arith(ex, e.operand, scope, frame);
      break;
    case "ArithmeticTernary":
      arith(ex, e.test, scope, frame);
      arith(ex, e.consequent, scope, frame);
      arith(ex, e.alternate, scope, frame);
      break;
    case "ArithmeticGroup":
      arith(ex, e.expression, scope, frame);
      break;
    case "ArithmeticWord":
      for (const p of e.parts ?? []) part(ex, p, scope, frame, false);
      break;
    case "ArithmeticCommandExpansion":
      if (e.script) nested(ex, e.script.commands, e.text, scope, frame, "substitution");
      break;
  }
}

export function nested(
  ex: Extractor,
  statements: readonly Statement[],
  text: string,
  scope: Scope,
  frame: Frame,
  via: string,
): Output {
  if (frame.depth + 1 > MAX_DEPTH) {
    ex.unsure("too-deep", `nesting deeper than ${MAX_DEPTH} levels`);
    return NONE;
  }
  const inner = cloneScope(scope);
  return walkList(
    ex,
    statements,
    inner,
    { ...frame, depth: frame.depth + 1, via: [...frame.via, via] },
    text,
  );
}

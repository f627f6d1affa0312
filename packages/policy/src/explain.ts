import { resolveContext } from "./context.js";
import { derivedEffects } from "./effects/derive.js";
import { isWholeTree } from "./effects/paths.js";
import { serviceTarget, type Target } from "./effects/target.js";
import { decideEffect, EFFECT_TABLE, TARGETED } from "./effects/table.js";
import { extractFacts } from "./facts/extract.js";
import { describedEffects } from "./knowledge/described.js";
import { loadKnowledge } from "./knowledge/load.js";
import { classesOf, meets } from "./rules/need.js";
import { verbEffects } from "./knowledge/verbs.js";
import { extensionOf } from "./knowledge/extensions.js";
import { SHELLS, basename } from "./facts/programs.js";
import type { CompiledRule, Policy, RuleIndex } from "./policy.js";
import type {
  CommandFacts,
  Decision,
  DecisionKind,
  Effect,
  Explanation,
  PolicyContext,
  RuleMatch,
} from "./types.js";

const RANK: Record<DecisionKind, number> = { allow: 0, transact: 1, deny: 2 };

const FAIL_CLOSED_ALTERNATIVE =
  "Write the command out literally: no command names built from variables or substitutions, no decoded or downloaded payloads fed to a shell; run scripts from files in the project.";

/** The reason of `default.transact`, followed by the program. */
const UNKNOWN_PREFIX = "not known to be read-only: ";

function targetOf(c: CommandFacts, policy: Policy): Target {
  if (c.remote) return { remote: true, known: true, why: "runs on another host over ssh" };
  const k = policy.knowledge ?? loadKnowledge();
  return serviceTarget(c, k.services.get(c.program));
}

/**
 * The effects generated knowledge reads from the descriptions of the program's subcommands and
 * options (lower priority: only for a command no entry naming its program matched).
 */
function describedOf(c: CommandFacts, i: number): Effect[] {
  return describedEffects(c).map((d) => ({
    kind: d.effect,
    id: `described.${d.rule}`,
    reason: d.rule.startsWith("purpose.")
      ? `${c.program}: its manual page says it is for ${d.rule.slice(8)} (generated knowledge)`
      : `${c.program} ${d.what}: its completion file describes it as ${d.rule.replace(".", ": ")} (generated knowledge)`,
    remote: false,
    command: i,
  }));
}

/** The effect of the extension executable `PROG SUB` runs (knowledge/extensions.yaml). */
function extensionEffects(c: CommandFacts, i: number): Effect[] {
  const x = extensionOf(c);
  if (x === undefined) return [];
  return [
    {
      kind: x.effect,
      id: `extension.${x.command}`,
      reason: `${c.program} ${c.subcommand[0] ?? ""} runs ${x.command}: ${x.source}`,
      remote: TARGETED.has(x.effect),
      command: i,
    },
  ];
}

/** An ex command (vi(1), `-c CMD` or `+CMD`) that starts a shell: `:shell`, `:sh`, `:!cmd`. */
const EX_SHELL = /^\+?:\s*(?:sh(?:ell)?\s*$|!)/;

/**
 * A program the gate knows nothing about, given a whole tree (`/`, `~`, `/etc`): judged by that
 * argument, as if it destroyed it; given a shell's path, as if it ran that shell, also as an
 * option's value (`--on-complete=/bin/sh`).
 */
function unknownProgramEffects(c: CommandFacts, i: number, home: string): Effect[] {
  const effects: Effect[] = [];
  const runsShell = (given: string) =>
    effects.push({
      kind: "exec-untrusted",
      id: "unknown.runs-shell",
      reason: `${c.program} is not known and is given a shell to run: ${given}; what that shell runs never passes the gate`,
      remote: false,
      command: i,
    });
  const isShell = (v: string) => {
    const word = v.trim().split(/\s+/)[0]!;
    return word.includes("/") && SHELLS.has(basename(word));
  };
  for (const o in c.options) for (const v of c.options[o]!) if (isShell(v)) runsShell(`${o} ${v}`);
  // A value attached to a short option the gate has no grammar for (`-H/bin/sh`), and an editor's
  // ex command that escapes to a shell (`-c ':shell'`, `+':!sh'`): GTFOBins' shell escapes.
  for (const a of c.argv)
    if ((/^-[A-Za-z]\//.test(a) && isShell(a.slice(2))) || EX_SHELL.test(a)) runsShell(a);
  for (const p of c.paths) {
    if (p.role === "operand" && p.raw.includes("/") && SHELLS.has(basename(p.path)))
      effects.push({
        kind: "exec-untrusted",
        id: "unknown.runs-shell",
        reason: `${c.program} is not known and is given a shell to run: ${p.raw}; what that shell runs never passes the gate`,
        remote: false,
        command: i,
        target: p.path,
      });
    if (
      p.role === "operand" &&
      p.remote !== true &&
      isWholeTree(p, home, true) &&
      p.path.split("/").length <= 2
    )
      effects.push({
        kind: "destroy-tree",
        id: "unknown.whole-tree",
        reason: `${c.program} is not known and is given a whole tree: ${p.raw}`,
        remote: false,
        command: i,
        target: p.path,
      });
  }
  return effects;
}

const genericSets = new WeakMap<RuleIndex, ReadonlySet<CompiledRule>>();

/** The index's rules that name no program, as a set (asked once per matching rule). */
function genericRules(index: RuleIndex): ReadonlySet<CompiledRule> {
  let set = genericSets.get(index);
  if (set === undefined) genericSets.set(index, (set = new Set(index.generic)));
  return set;
}

/** What a command's knowledge matches say: the matches, and what they add to its effects. */
interface Matched {
  matches: RuleMatch[];
  /** A match the effect table allows vouches for the command (nothing unknown is left). */
  vouched: boolean;
  /** A knowledge entry naming the program matched: hand-written knowledge speaks for it. */
  specific: boolean;
}

/** Match a command against the rules (the program's, else the generic ones); effects grow. */
function matchRules(
  policy: Policy,
  c: CommandFacts,
  i: number,
  target: Target,
  effects: Effect[],
): Matched {
  const out: Matched = { matches: [], vouched: false, specific: false };
  const own = policy.index?.byProgram.get(c.program);
  const candidates = own ?? policy.index?.generic ?? policy.rules;
  let classes: ReadonlySet<string> | undefined;
  const pathClasses = (): ReadonlySet<string> => (classes ??= classesOf(c));
  for (const r of candidates) {
    if (r.need !== undefined && !meets(r.need, c, pathClasses)) continue;
    // In the program's own list, a rule naming programs names this one: its program clause holds.
    if (!(own !== undefined ? (r.indexedTest ?? r.test) : r.test)(c)) continue;
    if (policy.index !== undefined && !genericRules(policy.index).has(r)) out.specific = true;
    const remote = r.effect !== undefined && TARGETED.has(r.effect) && target.remote;
    const local = r.effect === "send" && target.known && !target.remote;
    const decision =
      r.effect === undefined ? r.decision : local ? "transact" : decideEffect(r.effect, remote);
    out.matches.push({
      id: r.id,
      decision,
      ...(r.effect === undefined ? {} : { effect: r.effect }),
      justification: r.justification,
      ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
      command: i,
    });
    if (decision === "allow") out.vouched = true;
    else if (local)
      // Sent to a service on the guest itself (curl -d @f http://localhost:8080): nothing leaves.
      effects.push({
        kind: "write",
        id: r.id,
        reason: `${r.justification} (to the guest itself)`,
        remote: false,
        command: i,
      });
    else if (r.effect !== undefined)
      effects.push({
        kind: r.effect,
        id: r.id,
        reason: remote ? `${r.justification} (${target.why ?? "remote target"})` : r.justification,
        remote,
        command: i,
        ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
      });
  }
  return out;
}

/** Judge one simple command: its knowledge matches and its effects. */
function judgeCommand(
  policy: Policy,
  c: CommandFacts,
  i: number,
  home: string,
): { matches: RuleMatch[]; effects: Effect[] } {
  const k = policy.knowledge ?? loadKnowledge();
  const target = targetOf(c, policy);
  const effects = derivedEffects(c, i, home, k);
  const { matches, specific, ...m } = matchRules(policy, c, i, target, effects);
  if (!specific && !c.remote) {
    // A program hand-written knowledge names is placed by it: its entries say what is remote.
    const named = policy.index?.byProgram.has(c.program) === true;
    effects.push(
      ...describedOf(c, i),
      ...verbEffects(c, i, target, named),
      ...extensionEffects(c, i),
    );
  }
  // An assignment or a bare `:` with no program runs nothing.
  const vouched = m.vouched || (c.program === "" && c.redirects.length === 0);
  if (!vouched && c.remote)
    effects.push({
      kind: "remote-change",
      id: "remote.state-change",
      reason: `changes state on another host over ssh (${c.program || "redirect"}); no snapshot covers it`,
      remote: true,
      command: i,
    });
  else if (!vouched && matches.length === 0 && !k.services.has(c.program))
    effects.push(...unknownProgramEffects(c, i, home));
  if (!vouched && !c.remote)
    effects.push({
      kind: "state",
      id: "default.transact",
      reason: `${UNKNOWN_PREFIX}${c.program || "redirect"}`,
      remote: target.remote,
      command: i,
    });
  // On another host every change is remote.
  if (c.remote) for (const e of effects) if (TARGETED.has(e.kind)) e.remote = true;
  return { matches, effects };
}

/**
 * Explain a decision: the parsed facts of every simple command, the knowledge entries that
 * matched, every effect, and the decision the effect table gives. Pure: no I/O.
 */
/** Options of {@link explain} and {@link decide}. */
export interface DecideOptions {
  /**
   * Content of files earlier commands wrote that this command executes (absolute path → text), as
   * named by `scriptsToRead`: they are judged as part of the command, and a refusal names the file
   * and the line.
   */
  scripts?: Readonly<Record<string, string>>;
}

export function explain(
  policy: Policy,
  command: string,
  context: Partial<PolicyContext> = {},
  options: DecideOptions = {},
): Explanation {
  const ctx = resolveContext(context, policy.defaults);
  const scripts = options.scripts ?? {};
  const facts = extractFacts(command, ctx, scripts);
  const matches: RuleMatch[] = [];
  const effects: Effect[] = [];
  const readOnly: boolean[] = [];
  facts.commands.forEach((c, i) => {
    const j = judgeCommand(policy, c, i, ctx.home);
    matches.push(...j.matches);
    effects.push(...j.effects);
    readOnly.push(
      j.effects.every((e) => decideEffect(e.kind, e.remote) === "allow") &&
        !j.matches.some((m) => m.effect === undefined && m.decision !== "allow"),
    );
  });
  const decision = verdict(facts, matches, effects, ctx.headless);
  return {
    command,
    context: ctx,
    facts,
    matches,
    readOnly,
    effects,
    decision:
      Object.keys(scripts).length > 0
        ? placeInScripts(decision, facts, effects, scripts)
        : decision,
  };
}

/**
 * Name the file and line of a denied effect that comes from a script the command runs:
 * `t.sh line 1: rm -rf ~`. The line is where the simple command's text (or its target) appears.
 */
function placeInScripts(
  decision: Decision,
  facts: Explanation["facts"],
  effects: Effect[],
  scripts: Readonly<Record<string, string>>,
): Decision {
  if (decision.decision !== "deny") return decision;
  const reasons = decision.reasons.map((reason, k) => {
    const id = decision.ruleIds[k];
    const e = effects.find((x) => x.id === id && decideEffect(x.kind, x.remote) === "deny");
    const c = e === undefined ? undefined : facts.commands[e.command];
    const via = c?.via.find((v) => v.startsWith("script-file "));
    if (c === undefined || via === undefined) return reason;
    const name = via.slice("script-file ".length);
    const file = Object.keys(scripts).find(
      (p) => p === name || p.endsWith("/" + name.replace(/^\.\//, "")),
    );
    const text = file === undefined ? undefined : scripts[file];
    if (text === undefined) return reason;
    const lines = text.split("\n");
    const needles = [c.text, ...c.argv.filter((a) => a.length > 1)].filter((n) => n !== "");
    const code = (l: string): boolean => !/^\s*#/.test(l);
    let line = lines.findIndex((l) => code(l) && l.includes(c.text));
    if (line < 0) line = lines.findIndex((l) => code(l) && needles.some((n) => l.includes(n)));
    return line < 0
      ? `${reason} (in ${name})`
      : `${reason} (in ${name} line ${line + 1}: ${lines[line]!.trim()})`;
  });
  return { ...decision, reasons };
}

function verdict(
  facts: Explanation["facts"],
  matches: RuleMatch[],
  effects: Effect[],
  headless: boolean,
): Decision {
  const stated = matches.filter((m) => m.effect === undefined);
  let worst: DecisionKind = "allow";
  for (const e of effects) {
    const d = decideEffect(e.kind, e.remote);
    if (RANK[d] > RANK[worst]) worst = d;
  }
  for (const m of stated) if (RANK[m.decision] > RANK[worst]) worst = m.decision;
  const failClosed: DecisionKind =
    facts.uncertain.length > 0 ? (headless ? "deny" : "transact") : "allow";
  if (RANK[failClosed] > RANK[worst]) worst = failClosed;
  const ruleIds: string[] = [];
  const reasons: string[] = [];
  const add = (id: string, reason: string): void => {
    if (ruleIds.includes(id)) return;
    ruleIds.push(id);
    reasons.push(reason);
  };
  let alternative: string | undefined;
  for (const m of stated) {
    if (m.decision !== worst) continue;
    add(m.id, m.justification);
    alternative ??= m.alternative;
  }
  const unknownPrograms: string[] = [];
  for (const e of effects) {
    if (decideEffect(e.kind, e.remote) !== worst) continue;
    if (e.id === "default.transact") {
      // One entry naming every program not known to be read-only.
      const prog = e.reason.startsWith(UNKNOWN_PREFIX)
        ? e.reason.slice(UNKNOWN_PREFIX.length)
        : e.reason;
      if (!unknownPrograms.includes(prog)) unknownPrograms.push(prog);
      add(e.id, "");
      continue;
    }
    add(e.id, e.reason);
    alternative ??= e.alternative ?? EFFECT_TABLE[e.kind].alternative;
  }
  const k = ruleIds.indexOf("default.transact");
  if (k >= 0) reasons[k] = `${UNKNOWN_PREFIX}${unknownPrograms.join(", ")}`;
  if (failClosed === worst && worst !== "allow") {
    for (const u of facts.uncertain) add(`failclosed.${u.tag}`, u.reason);
    if (worst === "deny") alternative ??= FAIL_CLOSED_ALTERNATIVE;
  }
  if (worst === "allow" && ruleIds.length === 0) {
    for (const m of matches) if (m.decision === "allow") add(m.id, m.justification);
  }
  return {
    decision: worst,
    ruleIds,
    reasons,
    ...(worst === "deny" && alternative !== undefined ? { alternative } : {}),
  };
}

/**
 * Decide one command line: `allow` (reads of non-secret data only), `transact` (every effect is
 * one the guest snapshot undoes) or `deny`. Pure: the policy is compiled beforehand by
 * `loadPolicy`; a partial context gets defaults.
 */
export function decide(
  policy: Policy,
  command: string,
  context: Partial<PolicyContext> = {},
  options: DecideOptions = {},
): Decision {
  return explain(policy, command, context, options).decision;
}

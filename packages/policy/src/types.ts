import type { EffectKind } from "./effects/table.js";

/** The three tiers of the gate, ordered from least to most strict. */
export type DecisionKind = "allow" | "transact" | "deny";

/** The verdict on one command line. */
export interface Decision {
  decision: DecisionKind;
  /** Ids of the rules (or fail-closed checks, `failclosed.*`) that produced the decision. */
  ruleIds: string[];
  /** One human-readable reason per rule id, same order. */
  reasons: string[];
  /** A safer thing the agent can do instead (deny only). */
  alternative?: string;
}

/** Where and for whom a command runs. */
export interface PolicyContext {
  /** Working directory of the command; defaults to the first project path. */
  cwd?: string;
  /** Project trees where the agent may delete and rewrite freely. */
  projectPaths: string[];
  /** Paths any write or delete of which is denied. */
  protectedPaths: string[];
  /** Home directory of the agent's user; defaults to `/root`. */
  home?: string;
  /** Nobody approves anything: what the gate cannot understand is denied. */
  headless: boolean;
}

/** Classes a path target can belong to (several at once, e.g. `system` and `log`). */
export type PathClass =
  | "root"
  | "system"
  | "device"
  | "devnull"
  | "network"
  | "proc"
  | "home"
  | "credential"
  | "shell-rc"
  | "ssh-config"
  | "cron"
  | "systemd"
  | "ld-preload"
  | "log"
  | "temp"
  | "temp-root"
  | "project"
  | "project-root"
  | "vcs"
  | "vcs-exec"
  | "protected"
  | "outside"
  /** Under a remote filesystem mounted earlier on the line (sshfs host:/ dir): writes leave. */
  | "remote-mount"
  | "unknown";

/** What a command does with a path. */
export type PathRole = "read" | "write" | "delete" | "exec" | "mount" | "operand";

/** One path a command touches, normalised and classified. */
export interface PathFact {
  /** The argument as written, after quote removal. */
  raw: string;
  /** Absolute, normalised path (`~`, `$HOME`, `..`, `//`, `/.` resolved); globs kept. */
  path: string;
  role: PathRole;
  classes: PathClass[];
  /** Path on another host (`host:/path` of scp/rsync). */
  remote?: boolean;
  /** The program runs commands written in this file (a package manifest's scripts). */
  runs?: boolean;
}

/** A redirection of a simple command. */
export interface RedirectFact {
  operator: string;
  target: string;
  /** Whether it writes (`>`, `>>`, `&>`, `<>`, `>|`). */
  write: boolean;
  path?: PathFact;
}

/** Everything the gate knows about one simple command, after unwrapping. */
export interface CommandFacts {
  /** Source text of the innermost command as written (or synthesised, for interpreter calls). */
  text: string;
  /** Effective program: lower-case basename after unwrapping wrappers. */
  program: string;
  /** The program word as written after quote removal (may be a path). */
  programPath: string;
  /** Arguments after the program, quote-removed. */
  argv: string[];
  /** Positional words (options and their values removed), lower-case. */
  words: string[];
  /** Positional words that name the subcommand (`stash drop` of git); operands follow them. */
  subcommand: string[];
  /** Option names present (`-f`, `--force`); short bundles split. */
  flags: string[];
  /** Values of options that take one, by option name. */
  options: Record<string, string[]>;
  /** Whether `--` ended the options. */
  endOfOptions: boolean;
  /** Wrappers peeled off, outermost first (`sudo`, `env`, `xargs`, `sh -c`, …). */
  wrappers: string[];
  /** Nesting depth: 0 at top level, +1 per substitution, nested shell text or interpreter. */
  depth: number;
  /** How the command is reached: `substitution`, `shell`, `heredoc`, `interpreter`, `xargs`, `find-exec`, `ssh`, `script-file`, …. */
  via: string[];
  /** Runs on another host (ssh remote command). */
  remote: boolean;
  /** Runs with elevated privileges (sudo, doas, su, pkexec, run0). */
  privileged: boolean;
  paths: PathFact[];
  redirects: RedirectFact[];
  /** Variables assigned for or by this command (`LD_PRELOAD=…`, `export X=…`). */
  assigns: string[];
  /** Paths whose content flows into the command (stdin, `<`, `@file`, substitutions). */
  inputs: PathFact[];
  /** Programs feeding the command's stdin through a pipe. */
  stdinFrom: string[];
  /** Embedded payloads: interpreter code, SQL, nested shell text. */
  texts: string[];
  /** SQL statements found in the payload of a database client. */
  sql: string[];
  /** Derived observations (`pipe-from-network`, `dynamic-args`, `root-shell`, …). */
  tags: string[];
}

/** A reason the gate cannot fully understand a command line: it must fail closed. */
export interface Uncertainty {
  tag: string;
  reason: string;
}

/** The parsed facts of a whole command line. */
export interface CommandLineFacts {
  commands: CommandFacts[];
  uncertain: Uncertainty[];
}

/** One rule that matched, as shown by `explain`. */
export interface RuleMatch {
  id: string;
  decision: DecisionKind;
  /** The effect the rule's knowledge names (absent for rules that state a decision directly). */
  effect?: EffectKind;
  justification: string;
  alternative?: string;
  /** Index into `facts.commands` of the simple command it matched. */
  command: number;
}

/** One effect of a simple command, as the decision table sees it. */
export interface Effect {
  kind: EffectKind;
  /** What produced it: a knowledge rule id (`git.push-force`) or a derivation (`path.delete-tree`). */
  id: string;
  /** Why the command has this effect, in one line. */
  reason: string;
  /** It acts on a target outside the guest (a remote host, a real cloud or database service). */
  remote: boolean;
  /** Index into `facts.commands` of the simple command it belongs to. */
  command: number;
  /** The path, host or resource it is about, when one is known. */
  target?: string;
  /** A safer thing to do, when the knowledge entry names one. */
  alternative?: string;
}

/** The facts, the matching rules and the decision, for `txbox policy explain`. */
export interface Explanation {
  command: string;
  context: Required<PolicyContext>;
  facts: CommandLineFacts;
  matches: RuleMatch[];
  /** Per simple command: whether every effect is a read of non-secret data. */
  readOnly: boolean[];
  /** Every effect of every simple command, in command order. */
  effects: Effect[];
  decision: Decision;
}

/** One labelled command of a corpus file. */
export interface CorpusEntry {
  cmd: string;
  label: "allow" | "deny";
  category?: string;
  source?: string;
  note?: string;
}

/** A corpus entry the gate got wrong. */
export interface CorpusMiss {
  cmd: string;
  label: "allow" | "deny";
  category?: string;
  /** What the gate decided. */
  decision: DecisionKind;
  ruleIds: string[];
}

/** The outcome of running the gate on a labelled corpus. */
export interface CorpusReport {
  total: number;
  denyTotal: number;
  allowTotal: number;
  /** Share of `deny` entries that were denied. */
  denyRecall: number;
  /** Share of `allow` entries that were allowed or transacted. */
  allowAccuracy: number;
  misses: CorpusMiss[];
}

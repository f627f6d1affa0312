/**
 * The "stubbornness loop" detector (arXiv 2512.12806 names small models retrying refused commands
 * as a limit). Pure: commands are normalised so that trivial variations (whitespace, quoting, flag
 * order, combined short flags, a `sudo` prefix, `./` and trailing slashes) compare equal, and the
 * state counts denied attempts per equivalence class.
 */

/** Prefix commands that do not change which program runs or what it is asked to do. */
const WRAPPERS = new Set(["sudo", "doas", "command", "builtin", "nohup", "time", "exec"]);
/** Options of those wrappers that take a value (`sudo -u root rm …`). */
const WRAPPER_VALUE_FLAGS = new Set(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"]);
/** Long spellings of short flags, per program, so that `--force` equals `-f`. */
const FLAG_ALIASES: Record<string, Record<string, string>> = {
  rm: { "--recursive": "-r", "-R": "-r", "--force": "-f" },
  cp: { "--recursive": "-r", "-R": "-r", "--force": "-f" },
  chmod: { "--recursive": "-R" },
  chown: { "--recursive": "-R" },
  git: { "--force": "-f" },
};
const OPERATORS = new Set([";", "&&", "||", "|", "&"]);
const HOME_FORMS = new Set(["$HOME", "${HOME}", "~"]);

/** Split a command line into words and operators; quotes are removed, their content kept. */
export function shellWords(command: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  const flush = (): void => {
    if (inWord) out.push(cur);
    cur = "";
    inWord = false;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end < 0 ? command.length : end;
      cur += command.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      i++;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === "\\" && i + 1 < command.length) i++;
        cur += command[i];
        i++;
      }
      inWord = true;
    } else if (c === "\\" && i + 1 < command.length) {
      if (command[i + 1] !== "\n") cur += command[i + 1];
      inWord = inWord || command[i + 1] !== "\n";
      i++;
    } else if (c === " " || c === "\t") {
      flush();
    } else if (c === "\n" || c === ";") {
      flush();
      out.push(";");
    } else if (c === "&" || c === "|") {
      flush();
      const two = command.slice(i, i + 2);
      if (two === "&&" || two === "||") {
        out.push(two);
        i++;
      } else out.push(c);
    } else {
      cur += c;
      inWord = true;
    }
  }
  flush();
  return out;
}

function normaliseWord(word: string): string {
  if (HOME_FORMS.has(word)) return "~";
  let w = word.replace(/^(\$HOME|\$\{HOME\})\//, "~/");
  if (w.startsWith("./") && w.length > 2) w = w.slice(2);
  if (w.length > 1 && w.endsWith("/")) w = w.replace(/\/+$/, "") || "/";
  return w;
}

function normaliseSimple(words: string[]): string {
  let i = 0;
  // Leading assignments and wrappers (with their options) do not change what is asked.
  for (;;) {
    const w = words[i];
    if (w === undefined) break;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
    } else if (WRAPPERS.has(w)) {
      i++;
      while (words[i]?.startsWith("-")) {
        if (WRAPPER_VALUE_FLAGS.has(words[i]!)) i++;
        i++;
      }
    } else break;
  }
  const rest = words.slice(i);
  const head = rest[0];
  if (head === undefined) return "";
  const program = head.includes("/") ? head.slice(head.lastIndexOf("/") + 1) || head : head;
  const aliases = FLAG_ALIASES[program] ?? {};
  const flags = new Set<string>();
  const operands: string[] = [];
  let endOfFlags = false;
  for (const word of rest.slice(1)) {
    if (!endOfFlags && word === "--") {
      endOfFlags = true;
    } else if (!endOfFlags && /^-[A-Za-z]{2,}$/.test(word)) {
      for (const letter of word.slice(1)) flags.add(aliases[`-${letter}`] ?? `-${letter}`);
    } else if (!endOfFlags && /^--?[A-Za-z]/.test(word)) {
      flags.add(aliases[word] ?? word);
    } else {
      operands.push(normaliseWord(word));
    }
  }
  return [program, ...[...flags].sort(), ...operands].join(" ");
}

/**
 * A canonical form of a command line for equivalence: two commands that differ only by
 * whitespace, quoting, flag order or spelling (`-rf` = `-f -r` = `--force --recursive`), a `sudo`
 * or `env`-style prefix, `./` or a trailing slash have the same canonical form.
 */
export function normaliseCommand(command: string): string {
  const words = shellWords(command.trim());
  const parts: string[] = [];
  let simple: string[] = [];
  const push = (): void => {
    const s = normaliseSimple(simple);
    if (s !== "") parts.push(s);
    simple = [];
  };
  for (const w of words) {
    if (OPERATORS.has(w)) {
      push();
      if (parts.length > 0) parts.push(w);
    } else simple.push(w);
  }
  push();
  while (parts.length > 0 && OPERATORS.has(parts[parts.length - 1]!)) parts.pop();
  return parts.join(" ");
}

/** Options of the detector. */
export interface StubbornnessOptions {
  /** Denied attempts of equivalent commands after which the run stops (K). Default 3. */
  threshold: number;
}

/** Denied attempts so far, per canonical command. Treat as immutable. */
export interface StubbornnessState {
  readonly denials: Readonly<Record<string, number>>;
}

/** The detector's view after one more command. */
export interface StubbornnessVerdict {
  /** The canonical form the command was counted under. */
  key: string;
  /** Denied attempts of this equivalence class so far, this one included. */
  attempts: number;
  /** Further denied attempts allowed before the run stops. */
  remaining: number;
  /** True when the threshold is reached: the loop must stop. */
  stubborn: boolean;
}

export const DEFAULT_STUBBORNNESS_THRESHOLD = 3;

/** The empty state. */
export function initialStubbornness(): StubbornnessState {
  return { denials: {} };
}

/**
 * Count one command outcome. Only denials count; any other outcome leaves the state unchanged and
 * returns a verdict with `attempts: 0`.
 */
export function observeCommand(
  state: StubbornnessState,
  command: string,
  denied: boolean,
  options: StubbornnessOptions = { threshold: DEFAULT_STUBBORNNESS_THRESHOLD },
): { state: StubbornnessState; verdict: StubbornnessVerdict } {
  if (!Number.isInteger(options.threshold) || options.threshold < 1) {
    throw new RangeError(
      `stubbornness threshold must be an integer >= 1, got ${options.threshold}`,
    );
  }
  const key = normaliseCommand(command);
  if (!denied) {
    return {
      state,
      verdict: { key, attempts: 0, remaining: options.threshold, stubborn: false },
    };
  }
  const attempts = (state.denials[key] ?? 0) + 1;
  return {
    state: { denials: { ...state.denials, [key]: attempts } },
    verdict: {
      key,
      attempts,
      remaining: Math.max(0, options.threshold - attempts),
      stubborn: attempts >= options.threshold,
    },
  };
}

/**
 * Best-effort reading of interpreter one-liners (`python -c`, `node -e`, `perl -e`, …): the calls
 * that delete files or run programs, with their literal arguments. A call whose argument is not a
 * literal is reported as dynamic so the gate can fail closed.
 */

/** What an interpreter payload does, as far as can be told without running it. */
export interface CodeEffects {
  /** Shell command lines it runs (`os.system("…")`, `` `…` ``, `system("…")`). */
  shell: string[];
  /** Argument vectors it spawns (`subprocess.run(["rm", "-rf", "/"])`). */
  spawn: string[][];
  /** Paths it deletes (`shutil.rmtree`, `fs.rmSync`, `unlink`, …), globs kept. */
  deletes: string[];
  /** Exec or delete calls with arguments built at run time. */
  dynamic: string[];
  /** Opens a network socket and runs something: a reverse or bind shell. */
  reverseShell: boolean;
}

const STRING = String.raw`("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\x60(?:\\.|[^\x60\\])*\x60)`;

const EXEC_CALL = new RegExp(
  String.raw`\b(os\.system|os\.popen|os\.exec\w*|os\.spawn\w*|subprocess\.\w+|commands\.getoutput|commands\.getstatusoutput|pty\.spawn|child_process\.\w+|execSync|execFileSync|spawnSync|execFile|exec|spawn|system|shell_exec|passthru|popen|proc_open|pcntl_exec|os\.execute|io\.popen|IO\.popen|Open3\.\w+|Kernel\.system|Process\.spawn|qx|Deno\.run|Bun\.spawn\w*|\$\.?sh|Popen|check_output|check_call|getoutput|getstatusoutput|callCommand|spawnCommand|rawSystem|readProcess|callProcess|ProcessBuilder|Runtime\.getRuntime\(\)\.exec)\s*(\(|\s|\{)`,
  "g",
);
const DELETE_CALL = new RegExp(
  String.raw`\b(shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir|os\.removedirs|fs\.rmSync|fs\.rm|fs\.unlinkSync|fs\.unlink|fs\.rmdirSync|fs\.rmdir|fs\.promises\.rm|fsPromises\.rm|rimraf(?:\.sync)?|rmSync|unlinkSync|rmdirSync|FileUtils\.rm_rf|FileUtils\.rm_r|FileUtils\.rm_f|FileUtils\.rm|FileUtils\.remove_dir|FileUtils\.remove_entry\w*|FileUtils\.remove|File\.delete|Dir\.delete|unlink|rmtree|remove_tree|rmdir|os\.remove|Remove-Item)\s*(\(|\s)`,
  "g",
);
const SOCKET =
  /\b(fsockopen|socket\.socket|socket\.create_connection|net\.Socket|net\.connect|createConnection|TCPSocket|IO::Socket|Socket::|socket\(|stream_socket_client|zmodload\s+zsh\/net\/tcp|ztcp|"\/inet[46]?\/(?:tcp|udp)\/)/;

/** Unescape a quoted literal of a C-like language. */
function unquote(lit: string): string {
  let body: string;
  if (lit.startsWith('"""') || lit.startsWith("'''")) body = lit.slice(3, -3);
  else body = lit.slice(1, -1);
  return body.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/** The argument text of a call starting at `from` (just after the opening bracket), unbalanced-safe. */
function callArgs(code: string, from: number, open: string): string {
  const close = open === "(" ? ")" : open === "{" ? "}" : "\n";
  if (open !== "(" && open !== "{") {
    const end = code.slice(from).search(/[;\n]/);
    return end < 0 ? code.slice(from) : code.slice(from, from + end);
  }
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return code.slice(from, i);
  }
  return code.slice(from);
}

/**
 * Every string literal, for `replace` and `matchAll` (compiled once: both start from index 0 and
 * leave a global expression's lastIndex at 0, so one shared instance is safe).
 */
const STRINGS = new RegExp(STRING, "g");
/** `Path("x").unlink()`, `pathlib.Path('x').rmdir()`. */
const PATH_DELETE = new RegExp(
  String.raw`(?:Path|pathlib\.Path)\(\s*${STRING}\s*\)\.(unlink|rmdir)`,
  "g",
);
const LITERAL_ONLY = new RegExp(`^\\s*${STRING}\\s*$`);
/** Haskell's program-then-list call: `"rm" ["-rf", "/srv"]`. */
const HASKELL_ARGV = new RegExp(`^\\s*${STRING}\\s*\\[([^\\]]*)\\]`);
/**
 * Perl's piped open (perlfunc open, perlipc): `open(F, "|-", "cmd")`, `open(F, "-|", "prog",
 * @args)`, and the two-argument `open(F, "| cmd")` / `open(F, "cmd |")`: it runs a program.
 */
const PIPED_OPEN = new RegExp(
  String.raw`\bopen\s*\(?\s*(?:my\s+)?[$\w:]+\s*,\s*(?:(?<q>["'])(?:\|-|-\|)\k<q>\s*,\s*(?<list>(?:${STRING}\s*,?\s*)+)|(?<q2>["'])\s*\|\s*(?<to>[^"'|]+?)\s*\k<q2>|(?<q3>["'])\s*(?<from>[^"'|]+?)\s*\|\s*\k<q3>)`,
  "g",
);
const LIST = new RegExp(`^\\s*[\\[(]?\\s*(${STRING}\\s*,?\\s*)+[\\])]?`);

function firstArg(args: string): string {
  // Split at the first top-level comma.
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) return args.slice(0, i);
  }
  return args;
}

/** `(("x"))` → `"x"`: parentheses around a single argument (no comma at their top level). */
function unwrapParens(arg: string): string {
  let a = arg;
  while (
    /^\(.*\)$/s.test(a) &&
    firstArg(a.slice(1, -1)) === a.slice(1, -1) &&
    callArgs(a, 1, "(").length === a.length - 2
  )
    a = a.slice(1, -1).trim();
  return a;
}

/** Whether a call passes its program and arguments separately, all as literals. */
function isArgvCall(name: string, args: string): boolean {
  let rest = args.slice(firstArg(args).length).replace(/^\s*,/, "");
  if (rest.trim() === "") return false;
  // execve/execle/execvpe's last argument is the environment, not an argument of the program:
  // `os.execve("/bin/rm", ["rm", "-rf", "/etc"], env)` keeps its literal argv
  if (/exec[lv]p?e$/.test(name) && rest.includes(",")) rest = rest.slice(0, rest.lastIndexOf(","));
  const stripped = rest
    .replace(STRINGS, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/[\s,[\]()]/g, "");
  // popen's second argument is its mode (`popen("cmd", "r")`): its first is a command line
  return (
    /(spawn|execFile|exec[lv]p?e?|^exec$|^system$|Process\.spawn|^pcntl_exec$|^ProcessBuilder$)/.test(
      name,
    ) && stripped === ""
  );
}

function literals(text: string): string[] {
  return [...text.matchAll(STRINGS)].map((m) => unquote(m[0]));
}

/** Perl's piped opens in `code`, recorded in `fx`; returns how many. */
function pipedOpens(code: string, fx: CodeEffects): number {
  let n = 0;
  for (const m of code.matchAll(PIPED_OPEN)) {
    n++;
    const g = m.groups!;
    if (g.list !== undefined) {
      const items = literals(g.list);
      // one string is a shell line; a list is the program and its arguments
      if (items.length === 1) fx.shell.push(items[0]!);
      else fx.spawn.push(items);
    } else fx.shell.push((g.to ?? g.from)!);
  }
  return n;
}

/** Haskell's `rawSystem "rm" ["-rf", "/srv"]`, recorded in `fx`; false if it is not that form. */
function haskellCall(name: string, args: string, fx: CodeEffects): boolean {
  const hs = HASKELL_ARGV.exec(args);
  if (hs === null || !/^(rawSystem|readProcess|callProcess)$/.test(name)) return false;
  if (hs[2]!.replace(STRINGS, "").replace(/[\s,]/g, "") === "")
    fx.spawn.push([unquote(hs[1]!), ...literals(hs[2]!)]);
  else fx.dynamic.push(`${name} ${args.slice(0, 60)}`);
  return true;
}

/** Read the effects of an interpreter payload. */
export function codeEffects(code: string): CodeEffects {
  const fx: CodeEffects = { shell: [], spawn: [], deletes: [], dynamic: [], reverseShell: false };
  let execs = 0;
  for (const m of code.matchAll(EXEC_CALL)) {
    const name = m[1]!;
    const open = m[2]!;
    if (
      open !== "(" &&
      !/^(system|exec|qx|spawn|callCommand|spawnCommand|rawSystem|readProcess|callProcess)$/.test(
        name,
      )
    )
      continue;
    const before = code.slice(Math.max(0, m.index - 1), m.index);
    if (before === "." && name === "exec" && !/child_process|cp\./.test(code)) {
      // regex.exec(...) and friends are not process calls
      if (!/require\(['"]child_process['"]\)|from ['"]child_process['"]/.test(code)) continue;
    }
    const args = callArgs(code, m.index + m[0].length, open);
    // `os.system(("rm -rf /etc"))`: parentheses around one argument are not a list
    const first = unwrapParens(firstArg(args).trim());
    execs++;
    if (first === "") continue;
    // System.Process: `rawSystem "rm" ["-rf", "/srv"]`, `readProcess "rm" [...] ""`
    if (open !== "(" && haskellCall(name, args, fx)) continue;
    if (/^[[(]/.test(first) || (LIST.test(first) && first.includes(","))) {
      const items = literals(first);
      const full = first.replace(STRINGS, "").replace(/[\s,[\]()]/g, "");
      if (items.length > 0 && full === "") fx.spawn.push(items);
      else fx.dynamic.push(`${name}(${first.slice(0, 60)})`);
    } else if (LITERAL_ONLY.test(first) && isArgvCall(name, args)) {
      // execvp("rm", ["rm", "-rf", "/"]), spawn('rm', ['-rf', '/']), exec "rm", "-rf", "/"
      const rest = args.slice(args.indexOf(first) + first.length);
      const items = literals(rest);
      const prog = literals(first)[0] ?? "";
      fx.spawn.push(/exec[lv]p?e?$/.test(name) && items.length > 0 ? items : [prog, ...items]);
    } else if (LITERAL_ONLY.test(first)) {
      const lit = literals(first)[0] ?? "";
      if (/^\s*(\$|#\{)/.test(lit) || /\$\{|#\{/.test(lit))
        fx.dynamic.push(`${name}(${first.slice(0, 60)})`);
      else fx.shell.push(lit);
    } else if (open !== "(" && /^\s*["'`]/.test(first)) {
      const lit = literals(first)[0];
      if (lit !== undefined) fx.shell.push(lit);
    } else {
      fx.dynamic.push(`${name}(${first.slice(0, 60)})`);
    }
  }
  execs += pipedOpens(code, fx);
  // Backticks run shell text in Perl and Ruby; JavaScript template literals are data.
  if (!/console\.|require\(|=>|\bconst\b|\blet\b/.test(code)) {
    for (const m of code.matchAll(/`([^`]*)`/g)) {
      execs++;
      fx.shell.push(m[1]!);
    }
    // qx/…/ may escape its delimiter (`qx/rm -rf \/etc/`): perlop(1) "Quote-Like Operators"
    for (const m of code.matchAll(/%x\(([^)]*)\)|qx[({]([^)}]*)[)}]|qx\/((?:\\.|[^/\\])*)\//g)) {
      execs++;
      fx.shell.push((m[1] ?? m[2] ?? m[3]!.replace(/\\\//g, "/"))!);
    }
  }
  for (const m of code.matchAll(DELETE_CALL)) {
    const open = m[2]!;
    const args = callArgs(code, m.index + m[0].length, open);
    const first = firstArg(args).trim();
    const glob = /^glob\s*\(\s*(.*)\)\s*$/s.exec(first);
    const target = glob ? glob[1]! : first;
    if (LITERAL_ONLY.test(target)) fx.deletes.push(literals(target)[0] ?? "");
    else if (/^Path\(/.test(target) && literals(target).length === 1)
      fx.deletes.push(literals(target)[0]!);
    else fx.dynamic.push(`${m[1]!}(${first.slice(0, 60)})`);
  }
  for (const m of code.matchAll(PATH_DELETE)) {
    fx.deletes.push(unquote(m[1]!));
  }
  fx.reverseShell =
    SOCKET.test(code) && (execs > 0 || /\/bin\/(ba|z|da)?sh|\bsh -i|dup2/.test(code));
  return fx;
}

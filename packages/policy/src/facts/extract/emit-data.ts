import { PASS_THROUGH, READERS, PATTERN_FIRST } from "../programs.js";
import { absolutize, pathFact } from "../paths.js";
import { lit, type EmitContext, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { printfText, simpleEscapes } from "../text.js";
import { branchTable, named, runFirst, type Branch, type BranchTable } from "./branches.js";
import { NET_BRANCHES } from "./emit-net.js";

/** ed's own command language on stdin: `e f`/`r f` read a file, `w f` writes one, `!cmd` runs. */
export function edScript(ex: Extractor, x: EmitContext): void {
  const { program, env, addPath } = x;
  if (env.stdin.kind !== "literal") return;
  for (const line of env.stdin.text.split(/\n|\\n/)) {
    const m = /^\s*([erwW]|!)\s*(.*)$/.exec(line);
    if (!m || m[2] === "") continue;
    if (m[1] === "!") shellText(ex, m[2]!, env, `${program} !`);
    else addPath(m[2]!.trim(), m[1] === "e" || m[1] === "r" ? "read" : "write");
  }
}

/** Readers and grep-likes: their files are read; pass-through readers hand on what they read. */
function readFiles(_ex: Extractor, x: EmitContext): void {
  const { program, env, ps, parsed, paths, positionals, addPath, optionValue } = x;
  const hasPattern =
    PATTERN_FIRST.has(program) && optionValue("-e", "--regexp", "-f", "--file") === undefined;
  positionals.slice(hasPattern ? 1 : 0).forEach((a) => addPath(a, "read"));
  if (PASS_THROUGH.has(program)) {
    if (positionals.length === 0) x.output = env.stdin;
    else {
      const files = positionals.map((a) =>
        a.dynamic ? undefined : env.scope.files.get(absolutize(a.value, ps) ?? ""),
      );
      const only = files.length === 1 ? files[0] : undefined;
      x.output =
        only?.content !== undefined
          ? { kind: "literal", text: only.content }
          : only?.origin === "network"
            ? { kind: "network" }
            : { kind: "unknown", paths: paths.filter((p) => p.role === "read") };
    }
  } else x.output = { kind: "unknown", paths: paths.filter((p) => p.role === "read") };
  if (program === "base64" || program === "base32" || program === "basenc") {
    if (parsed.flags.some((f) => f === "-d" || f === "--decode" || f === "-D"))
      x.output = { kind: "decoded" };
  }
  if (program === "xxd" && parsed.flags.includes("-r")) x.output = { kind: "decoded" };
}

/** echo and printf: the text they print, or `decoded` when escapes hide what it is. */
function printText(_ex: Extractor, x: EmitContext): void {
  const { program, rest } = x;
  const words =
    program === "echo"
      ? rest.filter(
          (a, k) =>
            !(k === rest.findIndex((x) => !/^-[neE]+$/.test(x.value))
              ? false
              : /^-[neE]+$/.test(a.value) && k < rest.findIndex((x) => !/^-[neE]+$/.test(x.value))),
        )
      : rest;
  const flags =
    program === "echo"
      ? rest
          .filter((a) => /^-[neE]+$/.test(a.value))
          .map((a) => a.value)
          .join("")
      : "";
  const payload = words.map((a) => a.value).join(" ");
  // What it prints: printf's format applied to its arguments, echo -e's simple escapes.
  const printed =
    program === "printf"
      ? printfText(
          words[0]?.value ?? "",
          words.slice(1).map((a) => a.value),
        )
      : flags.includes("e")
        ? simpleEscapes(payload)
        : payload;
  const escapes = /\\(x[0-9a-fA-F]|u[0-9a-fA-F]|[0-7]{1,3}|0[0-7])/.test(payload);
  const text = printed ?? payload;
  if (words.some((a) => a.dynamic)) x.output = { kind: "unknown", paths: [] };
  else if ((program === "printf" || flags.includes("e")) && escapes) x.output = { kind: "decoded" };
  else x.output = { kind: "literal", text: program === "printf" ? text : text + "\n" };
}

/** A program whose option's value is a shell command it runs (`script -c CMD`). */
function optionCommand(label: string, ...names: string[]): Branch["run"] {
  return (ex, x) => {
    const c = x.optionValue(...names);
    if (c !== undefined) shellText(ex, c, x.env, label);
  };
}

/** make: the makefile's recipes run: name it (the chain memory may hold it) and judge known ones. */
function make(ex: Extractor, x: EmitContext): void {
  const { env, ps, parsed, paths, texts, optionValue } = x;
  const dir = optionValue("-C", "--directory");
  const file = optionValue("-f", "--file", "--makefile") ?? "Makefile";
  const mf = dir !== undefined && !file.startsWith("/") ? `${dir}/${file}` : file;
  const f = pathFact(lit(mf), "exec", ps);
  paths.push(f);
  const known = env.scope.files.get(f.path);
  if (known?.content !== undefined) {
    for (const line of known.content.split("\n"))
      if (line.startsWith("\t"))
        shellText(ex, line.slice(1).replace(/^[@+-]+/, ""), env, `script-file ${mf}`);
  } else if (known !== undefined) env.tags.push("exec-written");
  for (const e of parsed.options["--eval"] ?? []) {
    texts.push(e);
    for (const m of e.matchAll(/\$\(shell\s+([^)]*)\)/g)) shellText(ex, m[1]!, env, "make --eval");
  }
}

/** vim and kin: an ex command `!cmd` given by `-c`, `--cmd` or `+` runs a shell command. */
function vim(ex: Extractor, x: EmitContext): void {
  const { argv, env, parsed } = x;
  for (const c of [
    ...(parsed.options["-c"] ?? []),
    ...(parsed.options["--cmd"] ?? []),
    ...argv.filter((a) => a.startsWith("+")).map((a) => a.slice(1)),
  ]) {
    const m = /^:?\s*!(.*)$/s.exec(c);
    if (m) shellText(ex, m[1]!, env, "vim !");
  }
}

/** apt: a `-o` hook option's value is a shell command run around the install. */
function aptHooks(ex: Extractor, x: EmitContext): void {
  for (const o of x.parsed.options["-o"] ?? []) {
    const m = /(Pre-Invoke|Post-Invoke|Pre-Install-Pkgs|Post-Invoke-Success)[^=]*=(.*)$/i.exec(o);
    if (m) shellText(ex, m[2]!, x.env, "apt -o hook");
  }
}

/** Database clients: their statements are SQL facts; `.shell`/`.system` lines run commands. */
function databaseClient(ex: Extractor, x: EmitContext): void {
  const { program, env, parsed, texts, sql, positionals } = x;
  const payloads: string[] = [];
  if (program === "sqlite3")
    payloads.push(...positionals.slice(1).map((a) => a.value), ...(parsed.options["-cmd"] ?? []));
  else
    payloads.push(
      ...(parsed.options["-c"] ?? []),
      ...(parsed.options["--command"] ?? []),
      ...(parsed.options["-e"] ?? []),
      ...(parsed.options["--execute"] ?? []),
      ...(parsed.options["--eval"] ?? []),
      ...(parsed.options["-q"] ?? []),
      ...(parsed.options["--query"] ?? []),
    );
  if (env.stdin.kind === "literal") payloads.push(env.stdin.text);
  for (const p of payloads) {
    texts.push(p);
    for (const m of p.matchAll(/^\s*\.(shell|system)\s+(.*)$/gm))
      shellText(ex, m[2]!, env, `${program} .${m[1]!}`);
    for (const st of p.split(";")) if (st.trim() !== "") sql.push(st.trim().replace(/\s+/g, " "));
  }
  if (program === "redis-cli") sql.push(positionals.map((a) => a.value).join(" "));
}

/** The data programs, tried in order: the first whose test holds is the one that runs. */
const DATA_BRANCHES: BranchTable = branchTable([
  // view(1) is vim read-only: it reads its files, and its `+cmd`/`-c cmd` run like vim's.
  {
    when: named("view"),
    run: (ex, x) => {
      vim(ex, x);
      readFiles(ex, x);
    },
  },
  { when: (p) => READERS.has(p) || PATTERN_FIRST.has(p), run: readFiles },
  { when: named("echo", "printf"), run: printText },
  ...NET_BRANCHES,
  { when: named("compgen", "complete"), run: optionCommand("compgen -C", "-C") },
  { when: named("split"), run: optionCommand("split --filter", "--filter") },
  { when: named("make", "gmake", "bmake"), run: make },
  { when: named("vim", "vi", "nvim", "ex", "vimdiff"), run: vim },
  { when: named("apt-get", "apt", "aptitude"), run: aptHooks },
  { when: named("script"), run: optionCommand("script -c", "-c", "--command") },
  {
    when: named(
      "sqlite3",
      "psql",
      "mysql",
      "mariadb",
      "clickhouse-client",
      "cockroach",
      "mongosh",
      "mongo",
      "redis-cli",
    ),
    run: databaseClient,
  },
  // git-lfs: nothing beyond the generic reading
]);

/** Programs that read, print, fetch or talk to services. */
export function emitData(ex: Extractor, x: EmitContext): void {
  runFirst(DATA_BRANCHES, ex, x);
}

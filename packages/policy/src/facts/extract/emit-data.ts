import { sendsLocalData } from "./senders.js";
import { PASS_THROUGH, READERS, PATTERN_FIRST, basename } from "../programs.js";
import { absolutize, pathFact } from "../paths.js";
import { lit, type EmitContext, Extractor } from "./state.js";
import { shellText, stdinAsCode } from "./simple.js";
import { printfText, simpleEscapes } from "../text.js";

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

/** Programs that read, print, fetch or talk to services. */
export function emitData(ex: Extractor, x: EmitContext): void {
  const {
    program,
    rest,
    argv,
    env,
    ps,
    parsed,
    paths,
    texts,
    sql,
    pos,
    positionals,
    addPath,
    optionValue,
  } = x;
  if (READERS.has(program) || PATTERN_FIRST.has(program)) {
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
  } else if (program === "echo" || program === "printf") {
    const words =
      program === "echo"
        ? rest.filter(
            (a, k) =>
              !(k === rest.findIndex((x) => !/^-[neE]+$/.test(x.value))
                ? false
                : /^-[neE]+$/.test(a.value) &&
                  k < rest.findIndex((x) => !/^-[neE]+$/.test(x.value))),
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
    else if ((program === "printf" || flags.includes("e")) && escapes)
      x.output = { kind: "decoded" };
    else x.output = { kind: "literal", text: program === "printf" ? text : text + "\n" };
  } else if (
    program === "curl" ||
    program === "wget" ||
    program === "fetch" ||
    program === "aria2c" ||
    program === "http" ||
    program === "xh"
  ) {
    const out = optionValue("-o", "--output", "-O", "--output-document");
    const toStdout =
      program === "curl" || program === "fetch"
        ? (out === undefined || out === "-") &&
          !parsed.flags.includes("-O") &&
          !parsed.flags.includes("--remote-name")
        : out === "-" || program === "http" || program === "xh";
    if (toStdout) x.output = { kind: "network" };
    else {
      const url = positionals.find((a) => /^[a-z]+:\/\//i.test(a.value) || /\./.test(a.value));
      const file =
        out ?? (url ? basename(url.value.replace(/[?#].*$/, "")) || "index.html" : undefined);
      if (file !== undefined) {
        const abs = absolutize(file, ps);
        if (abs) env.scope.files.set(abs, { origin: "network" });
        addPath(file, "write");
      }
    }
    for (const o of [
      "-d",
      "--data",
      "--data-binary",
      "--data-raw",
      "--data-ascii",
      "--data-urlencode",
      "-F",
      "--form",
      "-T",
      "--upload-file",
      "--post-file",
      "--body-file",
      "--json",
    ]) {
      for (const v of parsed.options[o] ?? []) {
        const m = /^(?:[^=@]*=)?[@<](.+)$/.exec(v);
        const file =
          o === "-T" || o === "--upload-file" || o === "--post-file" || o === "--body-file"
            ? v
            : m?.[1];
        if (file !== undefined && file !== "-") {
          const f = pathFact(lit(file), "read", ps);
          paths.push(f);
          env.inputs.push(f);
          env.tags.push("upload");
        } else if (file === "-" && env.stdin.kind !== "literal" && env.stdin.kind !== "none") {
          // stdin that is not text written in the command itself is local data leaving the guest
          env.tags.push("upload");
        } else env.tags.push("post");
      }
    }
    if (parsed.options["--post-data"] || parsed.options["--body-data"]) env.tags.push("post");
  } else if (program === "ssh") {
    const host = pos(0);
    for (const o of parsed.options["-o"] ?? []) {
      const m =
        /^(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*[= ]\s*(.*)$/is.exec(o);
      if (m) shellText(ex, m[2]!, env, `ssh -o ${m[1]!}`, /^remote/i.test(m[1]!));
    }
    const remote = positionals.slice(1);
    if (host && remote.length > 0) {
      env.tags.push("remote-command");
      const cmd = {
        value: remote.map((r) => r.value).join(" "),
        dynamic: remote.some((r) => r.dynamic),
        glob: false,
      };
      texts.push(cmd.value);
      shellText(ex, cmd, env, "ssh", true);
    } else if (host && env.stdin.kind !== "none") {
      env.tags.push("remote-command");
      const saved = env.frame;
      env.frame = { ...env.frame, remote: true };
      stdinAsCode(ex, env, "shell", "ssh");
      env.frame = saved;
    }
  } else if (
    program === "nc" ||
    program === "ncat" ||
    program === "netcat" ||
    program === "socat" ||
    program === "telnet"
  ) {
    const e = optionValue("-e", "-c", "--exec", "--sh-exec", "--lua-exec");
    if (e !== undefined) env.tags.push("reverse-shell");
    if (program === "socat" && argv.some((a) => /(^|,|\s)(exec|system):/i.test(a)))
      env.tags.push("reverse-shell");
    if (program === "socat") {
      for (const a of argv) {
        const m = /^(?:file|open|gopen|create):([^,]+)/i.exec(a);
        if (m) {
          const f = pathFact(lit(m[1]!), "read", ps);
          paths.push(f);
          env.inputs.push(f);
        }
      }
    }
    if (sendsLocalData(program, argv, env)) env.tags.push("upload");
    x.output = { kind: "network" };
  } else if (program === "compgen" || program === "complete") {
    const c = optionValue("-C");
    if (c !== undefined) shellText(ex, c, env, "compgen -C");
  } else if (program === "split") {
    const f = optionValue("--filter");
    if (f !== undefined) shellText(ex, f, env, "split --filter");
  } else if (program === "make" || program === "gmake") {
    // The makefile's recipes run: name it (the chain memory may hold it) and judge known ones.
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
      for (const m of e.matchAll(/\$\(shell\s+([^)]*)\)/g))
        shellText(ex, m[1]!, env, "make --eval");
    }
  } else if (
    program === "vim" ||
    program === "vi" ||
    program === "nvim" ||
    program === "ex" ||
    program === "view"
  ) {
    for (const c of [
      ...(parsed.options["-c"] ?? []),
      ...(parsed.options["--cmd"] ?? []),
      ...argv.filter((a) => a.startsWith("+")).map((a) => a.slice(1)),
    ]) {
      const m = /^:?\s*!(.*)$/s.exec(c);
      if (m) shellText(ex, m[1]!, env, "vim !");
    }
  } else if (program === "apt-get" || program === "apt" || program === "aptitude") {
    for (const o of parsed.options["-o"] ?? []) {
      const m = /(Pre-Invoke|Post-Invoke|Pre-Install-Pkgs|Post-Invoke-Success)[^=]*=(.*)$/i.exec(o);
      if (m) shellText(ex, m[2]!, env, "apt -o hook");
    }
  } else if (program === "script") {
    const c = optionValue("-c", "--command");
    if (c !== undefined) shellText(ex, c, env, "script -c");
  } else if (
    program === "sqlite3" ||
    program === "psql" ||
    program === "mysql" ||
    program === "mariadb" ||
    program === "clickhouse-client" ||
    program === "cockroach" ||
    program === "mongosh" ||
    program === "mongo" ||
    program === "redis-cli"
  ) {
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
      );
    if (env.stdin.kind === "literal") payloads.push(env.stdin.text);
    for (const p of payloads) {
      texts.push(p);
      for (const m of p.matchAll(/^\s*\.(shell|system)\s+(.*)$/gm))
        shellText(ex, m[2]!, env, `${program} .${m[1]!}`);
      for (const st of p.split(";")) if (st.trim() !== "") sql.push(st.trim().replace(/\s+/g, " "));
    }
    if (program === "redis-cli") sql.push(positionals.map((a) => a.value).join(" "));
  } else if (program === "git-lfs") {
    // nothing beyond the generic reading
  }
}

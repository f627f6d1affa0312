import { sendsLocalData } from "./senders.js";
import { basename } from "../programs.js";
import { absolutize, pathFact } from "../paths.js";
import { lit, type EmitContext, Extractor } from "./state.js";
import { shellText, stdinAsCode } from "./simple.js";
import { named, type Branch } from "./branches.js";

/** The options of an HTTP client whose value is sent: a file (`@f`, `-T f`) or inline data. */
const SENT_OPTIONS = [
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
];

/** Of SENT_OPTIONS, those whose whole value is a file name. */
const FILE_OPTIONS = new Set(["-T", "--upload-file", "--post-file", "--body-file"]);

/** httpie's `http` and `https`, xh's `xh` and `xhs`. */
const HTTPIE: ReadonlySet<string> = new Set(["http", "https", "xh", "xhs"]);

/** An HTTP client: where the body goes (stdout or a file), then what it sends. */
function fetchUrl(_ex: Extractor, x: EmitContext): void {
  const { program, env, ps, parsed, positionals, addPath, optionValue } = x;
  const out = optionValue("-o", "--output", "-O", "--output-document");
  // httpie(1) and xh(1): the body goes to stdout unless -o/--output names a file or -d/--download
  // saves it under the URL's name
  const httpie = HTTPIE.has(program);
  const toStdout =
    program === "curl" || program === "fetch"
      ? (out === undefined || out === "-") &&
        !parsed.flags.includes("-O") &&
        !parsed.flags.includes("--remote-name")
      : httpie
        ? (out === undefined || out === "-") &&
          !parsed.flags.includes("-d") &&
          !parsed.flags.includes("--download")
        : out === "-";
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
  sentData(x);
}

/** What an HTTP client sends: a local file or non-literal stdin is an upload, inline data a post. */
function sentData(x: EmitContext): void {
  const { env, ps, parsed, paths } = x;
  for (const o of SENT_OPTIONS) {
    for (const v of parsed.options[o] ?? []) {
      // curl(1) --data-urlencode also reads `name@filename` (no `=` before the `@`); its
      // `name=@x` sends "@x" itself, still read as a file here (failing closed).
      const m =
        (o === "--data-urlencode" ? /^[^=@]*@(.+)$/.exec(v) : null) ??
        /^(?:[^=@]*=)?[@<](.+)$/.exec(v);
      const file = FILE_OPTIONS.has(o) ? v : m?.[1];
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
}

/** ssh: command-running `-o` options, and the remote command from the operands or stdin. */
function ssh(ex: Extractor, x: EmitContext): void {
  const { env, parsed, texts, pos, positionals } = x;
  const host = pos(0);
  for (const o of parsed.options["-o"] ?? []) {
    const m = /^(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*[= ]\s*(.*)$/is.exec(
      o,
    );
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
}

/** netcat and kin: a program run on the socket is a reverse shell; files socat opens are read. */
function netcat(_ex: Extractor, x: EmitContext): void {
  const { program, argv, env, ps, paths, optionValue } = x;
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
}

/** Programs that fetch, log in to or talk to other hosts, in emitData's order. */
export const NET_BRANCHES: readonly Branch[] = [
  { when: named("curl", "wget", "fetch", "aria2c", "http", "https", "xh", "xhs"), run: fetchUrl },
  { when: named("ssh"), run: ssh },
  { when: named("nc", "ncat", "netcat", "socat", "telnet"), run: netcat },
];

import { splitWords } from "../text.js";
import { absolutize, type ArgValue } from "../paths.js";
import {
  type Frame,
  type Output,
  NONE,
  lit,
  type CommandEnv,
  Extractor,
  isShellC,
  stdinItems,
} from "./state.js";
import { shellText } from "./simple.js";
import { run } from "./run.js";
import { emit } from "./emit.js";

/** How many input items of xargs or parallel are judged one by one (the gate stays fast). */
const ITEMS = 16;
/** An input item known only at run time (stdin unread, or past the ITEMS judged). */
const UNKNOWN_ITEM: ArgValue = { value: "${input}", dynamic: true, glob: false };
/** xargs options that run the command once per line or per few items. */
const PER_ITEM = /^(-[Lln]|--max-lines|--max-args)/;

export function xargs(ex: Extractor, args: ArgValue[], env: CommandEnv): Output {
  const rest = args.slice(1);
  const values = rest.map((a) => a.value);
  const spec = {
    valued: [
      "-I",
      "-J",
      "-L",
      "-n",
      "--max-args",
      "-P",
      "--max-procs",
      "-s",
      "--max-chars",
      "-d",
      "--delimiter",
      "-a",
      "--arg-file",
      "-E",
      "--eof",
      "-R",
      "-S",
      "--process-slot-var",
    ],
  };
  let i = 0;
  let replace: string | undefined;
  let argFile: string | undefined;
  while (i < values.length && values[i]!.startsWith("-")) {
    const a = values[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-i" || a === "--replace") replace = "{}";
    else if (/^-i./.test(a)) replace = a.slice(2);
    else if (a.startsWith("--replace=")) replace = a.slice(10) || "{}";
    else if (a === "-I" || a === "-J") replace = values[i + 1];
    else if (/^-[IJ]./.test(a)) replace = a.slice(2);
    if (a === "-a" || a === "--arg-file") argFile = values[i + 1] ?? "";
    else if (a.startsWith("--arg-file=")) argFile = a.slice(11);
    else if (/^-a./.test(a)) argFile = a.slice(2);
    if (spec.valued.includes(a)) i++;
    i++;
  }
  const template = rest.slice(i);
  if (template.length === 0) template.push(lit("echo"));
  const items =
    argFile === undefined ? stdinItems(env.stdin, false) : argFileItems(ex, argFile, env);
  // Without -I, -L or -n, xargs(1) puts as many items as fit on one command line.
  const batched = replace === undefined && !values.slice(0, i).some((a) => PER_ITEM.test(a));
  const together =
    items !== undefined && batched && items.length > 1
      ? [
          {
            value: items.map((it) => it.value).join(" "),
            dynamic: items.some((it) => it.dynamic),
            glob: items.some((it) => it.glob),
          },
        ]
      : items;
  return fanOut(ex, "xargs", template, replace, together, env, args);
}

/**
 * The items of `xargs -a FILE`: none from /dev/null (the command then runs once, with no items and
 * xargs's stdin, which -a leaves to it: `xargs -a /dev/null sh` is an interactive shell), the
 * lines of a file written earlier on the line with known content, else unknown.
 */
function argFileItems(ex: Extractor, file: string, env: CommandEnv): ArgValue[] | undefined {
  if (file === "/dev/null") return [];
  const abs = absolutize(file, ex.pathScope(env.scope));
  const known = abs === undefined ? undefined : env.scope.files.get(abs);
  return known?.content === undefined
    ? undefined
    : stdinItems({ kind: "literal", text: known.content }, false);
}

export function parallel(ex: Extractor, args: ArgValue[], env: CommandEnv): Output {
  const rest = args.slice(1);
  const values = rest.map((a) => a.value);
  const valued = new Set([
    "-j",
    "--jobs",
    "-S",
    "--sshlogin",
    "--results",
    "--res",
    "-a",
    "--arg-file",
    "-d",
    "--delimiter",
    "-I",
    "--joblog",
    "--tmpdir",
    "--workdir",
    "--wd",
    "-n",
    "--max-args",
    "--colsep",
    "-C",
    "--basefile",
    "--env",
    "--memfree",
    "--load",
    "--delay",
    "--timeout",
    "--retries",
    "--tag-string",
    "--halt",
  ]);
  let i = 0;
  let replace = "{}";
  while (
    i < values.length &&
    values[i]!.startsWith("-") &&
    values[i] !== ":::" &&
    values[i] !== "::::"
  ) {
    const a = values[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-I") replace = values[i + 1] ?? "{}";
    if (a === "-S" || a.startsWith("-S") || a.startsWith("--sshlogin"))
      env.frame = { ...env.frame, remote: true };
    if (valued.has(a)) i++;
    i++;
  }
  const sep = values.findIndex(
    (v, k) => k >= i && (v === ":::" || v === "::::" || v === ":::+" || v === "::::+"),
  );
  const template = rest.slice(i, sep < 0 ? undefined : sep);
  let items: ArgValue[] | undefined;
  if (sep >= 0) {
    items = rest.slice(sep + 1).filter((a) => !/^::::?\+?$/.test(a.value));
    if (values[sep] === "::::") items = undefined;
  } else items = stdinItems(env.stdin, true);
  if (template.length === 0) {
    // No command: every input is a command line of its own.
    if (items === undefined) {
      env.tags.push("stdin-script");
      return emit(ex, args, env);
    }
    for (const it of items.slice(0, ITEMS)) shellText(ex, it, env, "parallel");
    // past them, one command line known only at run time (fail closed)
    if (items.length > ITEMS) shellText(ex, UNKNOWN_ITEM, env, "parallel");
    return emit(ex, args, env);
  }
  return fanOut(ex, "parallel", template, replace, items, env, args);
}

/** Run a template once per input item (or once with an unknown item). */
export function fanOut(
  ex: Extractor,
  by: string,
  template: ArgValue[],
  replace: string | undefined,
  items: ArgValue[] | undefined,
  env: CommandEnv,
  whole: ArgValue[],
): Output {
  // The first ITEMS items are judged one by one; past them, the rest are one unknown item (fail
  // closed: `… 16 /etc | xargs -n1 rm -rf` must not hide /etc past the cut).
  const list =
    items === undefined
      ? [UNKNOWN_ITEM]
      : items.length > ITEMS
        ? [...items.slice(0, ITEMS), UNKNOWN_ITEM]
        : items;
  const usesReplace = replace !== undefined && template.some((t) => t.value.includes(replace));
  const frame: Frame = {
    ...env.frame,
    wrappers: [...env.frame.wrappers, by],
    via: [...env.frame.via, by],
  };
  const shellScript = isShellC(template);
  if (list.length === 0) {
    run(ex, template, { ...env, frame, stdin: NONE });
  }
  for (const item of list) {
    let argv: ArgValue[];
    if (usesReplace) {
      argv = template.map((t) =>
        t.value.includes(replace!)
          ? {
              value: t.value.split(replace!).join(item.value),
              dynamic: t.dynamic || item.dynamic,
              glob: t.glob || item.glob,
            }
          : t,
      );
    } else if (shellScript === "missing") {
      // `xargs sh -c` with no script: the input becomes the script.
      argv = [...template, item];
    } else {
      const words = item.dynamic ? [item] : by === "xargs" ? splitWords(item.value) : [item];
      argv = [...template, ...words];
    }
    run(ex, argv, { ...env, frame, stdin: NONE, redirects: [], tags: [...env.tags] });
  }
  void whole;
  return { kind: "unknown", paths: [] };
}

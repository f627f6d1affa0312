import { PROGRAM_SPECS, parseArgs } from "../argspec.js";
import { COMMAND_VARS, basename, family, firstCommandIndex } from "../programs.js";
import { splitWords } from "../text.js";
import { absolutize, type ArgValue } from "../paths.js";
import { type Frame, type Output, NONE, type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { xargs, parallel } from "./fanout.js";
import { emit } from "./emit.js";

/** Peel wrappers and analyse the effective command. */
export function run(ex: Extractor, args: ArgValue[], env: CommandEnv): Output {
  const head = args[0];
  if (!head) return NONE;
  // A command word whose expansion is known statically is judged as the program it names (and
  // never allowed: see the `expanded-program` tag); one known only at run time fails closed.
  if (head.dynamic) {
    ex.unsure(
      "dynamic-program",
      `the command name is produced by expansion or substitution: ${head.value}`,
    );
  } else if (head.expanded && (env.scope.vars.has("IFS") || /[\s,:;]/.test(head.value))) {
    // Word splitting (a changed IFS) can turn one expanded word into a whole command line.
    ex.unsure("dynamic-program", `the command name is split at run time: ${head.value}`);
  } else if (head.expanded) env.tags.push("expanded-program");
  const alias = env.scope.aliases.get(head.value);
  if (alias !== undefined && !env.frame.wrappers.includes(`alias ${head.value}`)) {
    return run(ex, [...splitWords(alias), ...args.slice(1)], {
      ...env,
      frame: { ...env.frame, wrappers: [...env.frame.wrappers, `alias ${head.value}`] },
    });
  }
  const name = family(basename(head.value).toLowerCase());
  const rest = args.slice(1);
  const wrap = (by: string, inner: ArgValue[], patch: Partial<Frame> = {}): Output => {
    if (inner.length === 0) return emit(ex, args, env);
    return run(ex, inner, {
      ...env,
      frame: { ...env.frame, ...patch, wrappers: [...env.frame.wrappers, by] },
    });
  };
  const values = rest.map((a) => a.value);
  switch (name) {
    case "sudo":
    case "doas":
    case "pkexec":
    case "run0": {
      const spec = {
        valued: [
          "-u",
          "--user",
          "-g",
          "--group",
          "-C",
          "--close-from",
          "-D",
          "--chdir",
          "-h",
          "--host",
          "-p",
          "--prompt",
          "-r",
          "--role",
          "-t",
          "--type",
          "-T",
          "--command-timeout",
          "-U",
          "--other-user",
          "-a",
        ],
      };
      const i = firstCommandIndex(values, spec);
      const flags = parseArgs(values.slice(0, i), spec).flags;
      if (
        i >= rest.length &&
        (flags.includes("-i") ||
          flags.includes("-s") ||
          flags.includes("--login") ||
          flags.includes("--shell"))
      ) {
        env.tags.push("root-shell");
        return emit(ex, args, env);
      }
      if (
        flags.includes("-e") ||
        flags.includes("--edit") ||
        flags.includes("-l") ||
        flags.includes("--list") ||
        flags.includes("-v") ||
        flags.includes("-k") ||
        flags.includes("-K")
      )
        return emit(ex, args, env);
      return wrap(name, rest.slice(i), { privileged: true });
    }
    case "su":
    case "runuser": {
      const p = parseArgs(values, PROGRAM_SPECS[name]);
      const c = p.options["-c"]?.[0] ?? p.options["--command"]?.[0];
      if (c !== undefined) {
        env.frame = { ...env.frame, privileged: true, wrappers: [...env.frame.wrappers, name] };
        shellText(ex, c, env, name);
        return emit(ex, args, env);
      }
      if (name === "runuser" && (p.options["-u"] || p.options["--user"])) {
        const i = firstCommandIndex(values, {
          valued: ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w"],
        });
        return wrap(name, rest.slice(i), { privileged: true });
      }
      env.tags.push("root-shell");
      return emit(ex, args, env);
    }
    case "env": {
      let i = 0;
      const extra: ArgValue[] = [];
      while (i < rest.length) {
        const a = rest[i]!.value;
        if (a === "--") {
          i++;
          break;
        }
        if (
          a === "-" ||
          a === "-i" ||
          a === "--ignore-environment" ||
          a === "-0" ||
          a === "--null" ||
          a === "-v" ||
          a === "--debug"
        ) {
          i++;
          continue;
        }
        if (/^(-u|--unset|-C|--chdir|-P|-S|--split-string)$/.test(a)) {
          if (a === "-S" || a === "--split-string")
            extra.push(...splitWords(rest[i + 1]?.value ?? ""));
          if (a === "-C" || a === "--chdir")
            env.scope = {
              ...env.scope,
              cwd: absolutize(rest[i + 1]?.value ?? "", ex.pathScope(env.scope)),
            };
          i += 2;
          continue;
        }
        if (a.startsWith("--chdir=")) {
          env.scope = { ...env.scope, cwd: absolutize(a.slice(8), ex.pathScope(env.scope)) };
          i++;
          continue;
        }
        if (/^(-u|-C|-P)./.test(a) || /^--(unset|chdir)=/.test(a)) {
          if (a.startsWith("-C"))
            env.scope = { ...env.scope, cwd: absolutize(a.slice(2), ex.pathScope(env.scope)) };
          i++;
          continue;
        }
        if (/^-S./.test(a) || a.startsWith("--split-string=")) {
          extra.push(...splitWords(a.startsWith("-S") ? a.slice(2) : a.slice(15)));
          i++;
          continue;
        }
        if (a.startsWith("-")) {
          i++;
          continue;
        }
        break;
      }
      const tail = [...extra, ...rest.slice(i)];
      let j = 0;
      while (j < tail.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tail[j]!.value)) {
        const [k, ...v] = tail[j]!.value.split("=");
        env.assigns.push(k!);
        if (COMMAND_VARS.has(k!)) shellText(ex, v.join("="), env, `env ${k!}`);
        j++;
      }
      return wrap("env", tail.slice(j));
    }
    case "command":
    case "builtin": {
      let i = 0;
      let lookup = false;
      while (i < values.length && values[i]!.startsWith("-")) {
        if (values[i] === "--") {
          i++;
          break;
        }
        if (/[vV]/.test(values[i]!)) lookup = true;
        i++;
      }
      if (lookup) return emit(ex, args, env);
      return wrap(name, rest.slice(i));
    }
    case "exec": {
      let i = 0;
      while (i < values.length && values[i]!.startsWith("-")) {
        if (values[i] === "-a") i++;
        i++;
      }
      return wrap("exec", rest.slice(i));
    }
    case "nice":
    case "nohup":
    case "time":
    case "stdbuf":
    case "ionice":
    case "setsid":
    case "noglob":
    case "unbuffer":
    case "caffeinate":
    case "catchsegv":
    case "strace":
    case "ltrace":
    case "valgrind":
    case "firejail":
    case "proxychains":
    case "proxychains4":
    case "torsocks":
    case "tsocks":
    case "xvfb-run":
    case "dbus-launch":
    case "systemd-run":
    case "unshare":
    case "prlimit":
    case "numactl":
    case "cgexec":
    case "eatmydata":
    case "fakeroot":
    case "aa-exec":
    case "sg":
    case "chronic":
    case "ifne": {
      const valued: Record<string, string[]> = {
        nice: ["-n", "--adjustment"],
        time: ["-f", "--format", "-o", "--output"],
        stdbuf: ["-i", "-o", "-e", "--input", "--output", "--error"],
        ionice: ["-c", "--class", "-n", "--classdata", "-p", "-P", "-u"],
        strace: ["-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X", "-O", "-S"],
        ltrace: ["-o", "-e", "-p", "-s", "-u", "-n", "-a"],
        valgrind: [],
        "systemd-run": [
          "-p",
          "--property",
          "-u",
          "--unit",
          "-M",
          "--machine",
          "--description",
          "--slice",
          "-E",
          "--setenv",
          "--uid",
          "--gid",
          "--on-calendar",
          "--on-active",
          "--working-directory",
        ],
        prlimit: ["-p", "--pid"],
        cgexec: ["-g"],
        sg: [],
        numactl: [
          "-C",
          "--physcpubind",
          "-N",
          "--cpunodebind",
          "-m",
          "--membind",
          "-i",
          "--interleave",
          "-p",
          "--preferred",
        ],
        firejail: [],
        "aa-exec": ["-p", "--profile", "-n", "--namespace"],
        "xvfb-run": [
          "-n",
          "--server-num",
          "-s",
          "--server-args",
          "-f",
          "--auth-file",
          "-e",
          "--error-file",
          "-p",
          "--xauth-protocol",
        ],
      };
      const i = firstCommandIndex(values, { valued: valued[name] ?? [] }, name === "sg" ? 1 : 0);
      if (name === "systemd-run") env.tags.push("transient-unit");
      return wrap(name, rest.slice(i));
    }
    case "timeout": {
      const i = firstCommandIndex(values, { valued: ["-s", "--signal", "-k", "--kill-after"] }, 1);
      return wrap("timeout", rest.slice(i));
    }
    case "chrt":
    case "taskset": {
      const i = firstCommandIndex(values, { valued: ["-p"] }, 1);
      return wrap(name, rest.slice(i));
    }
    case "flock": {
      const p = parseArgs(values, {
        valued: ["-w", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"],
      });
      const c = p.options["-c"]?.[0] ?? p.options["--command"]?.[0];
      if (c !== undefined) {
        shellText(ex, c, env, "flock");
        return emit(ex, args, env);
      }
      const i = firstCommandIndex(
        values,
        { valued: ["-w", "--timeout", "-E", "--conflict-exit-code"] },
        1,
      );
      return wrap("flock", rest.slice(i));
    }
    case "chroot": {
      const i = firstCommandIndex(values, { valued: ["--userspec", "--groups"] }, 1);
      if (i >= rest.length) {
        env.tags.push("root-shell");
        return emit(ex, args, env);
      }
      return wrap("chroot", rest.slice(i), { privileged: true });
    }
    case "nsenter": {
      const i = firstCommandIndex(values, {
        valued: [
          "-t",
          "--target",
          "-S",
          "--setuid",
          "-G",
          "--setgid",
          "-r",
          "--root",
          "-w",
          "--wd",
        ],
      });
      env.tags.push("namespace-enter");
      if (i >= rest.length) {
        env.tags.push("root-shell");
        return emit(ex, args, env);
      }
      return wrap("nsenter", rest.slice(i), { privileged: true });
    }
    case "watch": {
      const i = firstCommandIndex(values, {
        valued: ["-n", "--interval", "-d", "-q", "--equexit"],
      });
      const words = rest.slice(i);
      if (values.includes("-x") || values.includes("--exec")) return wrap("watch", words);
      shellText(
        ex,
        {
          value: words.map((w) => w.value).join(" "),
          dynamic: words.some((w) => w.dynamic),
          glob: false,
        },
        env,
        "watch",
      );
      return emit(ex, args, env);
    }
    case "busybox":
    case "toybox":
      return wrap(name, rest);
    case "npx":
    case "bunx":
    case "pnpx": {
      // `npx rimraf ~` runs the package's binary with the same arguments.
      const k = rest.findIndex((a) => !a.value.startsWith("-"));
      return k < 0 ? emit(ex, args, env) : wrap(name, rest.slice(k));
    }
    case "eval": {
      shellText(
        ex,
        { value: values.join(" "), dynamic: rest.some((r) => r.dynamic), glob: false },
        env,
        "eval",
      );
      return emit(ex, args, env);
    }
    case "xargs":
      return xargs(ex, args, env);
    case "parallel":
      return parallel(ex, args, env);
  }
  return emit(ex, args, env);
}

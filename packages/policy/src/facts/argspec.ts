/**
 * Option syntax of the programs the gate looks inside: which options take a value, so that
 * `git checkout -bfeature` is not read as `-f`, and `git -C repo reset` finds `reset`.
 */
import { generatedValued } from "../knowledge/grammars.js";

export interface OptionSpec {
  /** Options whose value is the rest of the bundle or the next argument (`-C`, `--git-dir`). */
  valued?: readonly string[];
  /** Long options that consume the next word only when it is one of the listed values. */
  optional?: Readonly<Record<string, readonly string[]>>;
  /** Single-dash long options (`-name`, `-exec`) are whole words, not bundles. */
  longSingleDash?: boolean;
  /**
   * Options end at this operand: it and every word after it are operands (`ssh` = 2: OpenSSH's
   * ssh.c reads options again after the destination, with BSD getopt, which stops at the first
   * word that is not an option — the remote command's first word; `ssh h rm -rf y` runs `rm -rf y`).
   */
  optionsEndAt?: number;
  /** Number of leading positional words that form the subcommand (`git stash drop` = 2). */
  subcommands?: number;
  /** Specs of subcommands, keyed by the first positional word. */
  sub?: Readonly<Record<string, OptionSpec>>;
  /**
   * Generated from completion files, not written by hand: the values its options take are still
   * read as path operands when they look like paths (a wrong mark must not hide a path).
   */
  generated?: boolean;
}

/** The result of reading an argv with an {@link OptionSpec}. */
export interface ParsedArgs {
  flags: string[];
  options: Record<string, string[]>;
  /** Positional words, in order, including the subcommand words. */
  positionals: string[];
  /** Index in argv of each positional. */
  positionalIndex: number[];
  endOfOptions: boolean;
  /** How many leading positionals are subcommand words (per the spec). */
  subcommandLength: number;
}

const GIT_SUB: Record<string, OptionSpec> = {
  checkout: {
    valued: ["-b", "-B", "--orphan", "-U", "--unified", "--inter-hunk-context", "--conflict"],
    optional: {
      "--track": ["direct", "inherit"],
      "--recurse-submodules": ["checkout", "on-demand", "no"],
    },
  },
  switch: { valued: ["-c", "-C", "--create", "--force-create", "--orphan", "--conflict"] },
  branch: {
    valued: [
      "-u",
      "--set-upstream-to",
      "--contains",
      "--no-contains",
      "--sort",
      "--format",
      "--points-at",
      "--merged",
      "--no-merged",
    ],
  },
  commit: {
    valued: [
      "-m",
      "--message",
      "-F",
      "--file",
      "-C",
      "-c",
      "--author",
      "--date",
      "--fixup",
      "--squash",
      "-t",
      "--template",
      "--trailer",
    ],
  },
  tag: { valued: ["-m", "--message", "-F", "--file", "-u", "--local-user", "--sort", "--format"] },
  push: {
    valued: ["--repo", "--receive-pack", "--exec", "-o", "--push-option", "--recurse-submodules"],
  },
  reset: {},
  restore: { valued: ["-s", "--source", "--conflict", "-U", "--unified", "--pathspec-from-file"] },
  clean: { valued: ["-e", "--exclude"] },
  stash: { subcommands: 1, valued: ["-m", "--message"] },
  reflog: { subcommands: 1 },
  worktree: { subcommands: 1, valued: ["-b", "-B", "--reason"] },
  remote: { subcommands: 1 },
  config: { valued: ["--file", "-f", "--blob", "--type", "--default", "--comment"] },
  log: {
    valued: [
      "-n",
      "--max-count",
      "--since",
      "--until",
      "--author",
      "--grep",
      "--format",
      "--pretty",
      "--output",
      "-L",
    ],
  },
  diff: { valued: ["--output", "-U", "--unified", "--diff-filter", "-S", "-G"] },
  show: { valued: ["--format", "--pretty", "-U"] },
  gc: {},
  submodule: { subcommands: 1 },
  lfs: { subcommands: 1 },
  notes: { subcommands: 1 },
  bisect: { subcommands: 1 },
  "update-ref": {},
};

/** Specs by program (lower-case basename). Programs not listed use the generic reading. */
export const PROGRAM_SPECS: Readonly<Record<string, OptionSpec>> = {
  git: {
    valued: [
      "-C",
      "-c",
      "--git-dir",
      "--work-tree",
      "--namespace",
      "--super-prefix",
      "--config-env",
      "--exec-path",
      "--list-cmds",
      "--attr-source",
    ],
    subcommands: 1,
    sub: GIT_SUB,
  },
  rm: {},
  curl: {
    valued: [
      "-X",
      "--request",
      "-d",
      "--data",
      "--data-binary",
      "--data-raw",
      "--data-ascii",
      "--data-urlencode",
      "-F",
      "--form",
      "--form-string",
      "-T",
      "--upload-file",
      "-H",
      "--header",
      "-o",
      "--output",
      "-u",
      "--user",
      "-A",
      "--user-agent",
      "-e",
      "--referer",
      "-b",
      "--cookie",
      "-c",
      "--cookie-jar",
      "-x",
      "--proxy",
      "-m",
      "--max-time",
      "--connect-timeout",
      "-w",
      "--write-out",
      "-K",
      "--config",
      "--json",
      "--retry",
      "-r",
      "--range",
      "-E",
      "--cert",
      "--key",
      "--cacert",
      "--resolve",
      "-U",
      "--proxy-user",
      "-z",
      "--time-cond",
      "-y",
      "-Y",
      "--limit-rate",
      "--url",
    ],
  },
  wget: {
    valued: [
      "-O",
      "--output-document",
      "-o",
      "--output-file",
      "-P",
      "--directory-prefix",
      "--post-data",
      "--post-file",
      "--body-data",
      "--body-file",
      "--method",
      "--header",
      "-U",
      "--user-agent",
      "-t",
      "--tries",
      "-T",
      "--timeout",
      "-e",
      "--execute",
      "-i",
      "--input-file",
      "--user",
      "--password",
    ],
  },
  kubectl: {
    valued: [
      "-n",
      "--namespace",
      "--context",
      "--cluster",
      "--kubeconfig",
      "-l",
      "--selector",
      "-o",
      "--output",
      "-f",
      "--filename",
      "-c",
      "--container",
      "--user",
      "-s",
      "--server",
      "--token",
    ],
  },
  helm: {
    valued: [
      "-n",
      "--namespace",
      "--kube-context",
      "--kubeconfig",
      "-f",
      "--values",
      "--set",
      "--version",
    ],
  },
  docker: {
    valued: [
      "-H",
      "--host",
      "--context",
      "-c",
      "--config",
      "-l",
      "--log-level",
      "-v",
      "--volume",
      "--mount",
      "-e",
      "--env",
      "--name",
      "-p",
      "--publish",
      "-w",
      "--workdir",
      "-u",
      "--user",
      "--network",
      "--entrypoint",
      "--env-file",
      "--filter",
      "-f",
      "--format",
      "--label",
      "--cap-add",
      "--security-opt",
      "--pid",
      "--ipc",
      "--device",
      "-t",
      "--tag",
      "--platform",
      "--restart",
      "-m",
      "--memory",
      "--cpus",
      "--hostname",
      "--add-host",
      "--volumes-from",
      "--userns",
      "--cgroupns",
      "--uts",
    ],
  },
  aws: {
    valued: [
      "--profile",
      "--region",
      "--output",
      "--endpoint-url",
      "--query",
      "--cli-input-json",
      "--exclude",
      "--include",
    ],
  },
  gcloud: {
    valued: ["--project", "--zone", "--region", "--format", "--account", "--configuration"],
  },
  az: {
    valued: [
      "-g",
      "--resource-group",
      "-n",
      "--name",
      "--subscription",
      "-o",
      "--output",
      "--query",
    ],
  },
  terraform: { valued: ["-chdir", "-var", "-var-file", "-target"], longSingleDash: true },
  tofu: { valued: ["-chdir", "-var", "-var-file", "-target"], longSingleDash: true },
  psql: {
    valued: [
      "-c",
      "--command",
      "-d",
      "--dbname",
      "-h",
      "--host",
      "-p",
      "--port",
      "-U",
      "--username",
      "-f",
      "--file",
      "-v",
      "--set",
      "-o",
      "--output",
    ],
  },
  mysql: {
    valued: [
      "-e",
      "--execute",
      "-u",
      "--user",
      "-h",
      "--host",
      "-P",
      "--port",
      "-D",
      "--database",
      "-S",
      "--socket",
      "--default-character-set",
    ],
  },
  mariadb: {
    valued: ["-e", "--execute", "-u", "--user", "-h", "--host", "-P", "--port", "-D", "--database"],
  },
  mysqladmin: { valued: ["-u", "--user", "-h", "--host", "-P", "--port", "-p"] },
  java: { valued: ["-jar", "-cp", "-classpath", "--class-path", "-s"], longSingleDash: true },
  "kafka-topics": {
    valued: [
      "--bootstrap-server",
      "--topic",
      "--partitions",
      "--replication-factor",
      "--config",
      "--zookeeper",
    ],
  },
  "redis-cli": { valued: ["-h", "-p", "-a", "-n", "-u", "--user", "--pass"] },
  rsync: {
    valued: [
      "-e",
      "--rsh",
      "--exclude",
      "--include",
      "--filter",
      "-f",
      "--files-from",
      "--rsync-path",
      "--password-file",
      "--log-file",
      "--backup-dir",
      "--chmod",
      "--chown",
      "-T",
      "--temp-dir",
    ],
  },
  scp: { valued: ["-P", "-i", "-o", "-F", "-c", "-l", "-S", "-J", "-D", "-X"] },
  ssh: {
    optionsEndAt: 2,
    valued: [
      "-b",
      "-c",
      "-D",
      "-E",
      "-e",
      "-F",
      "-I",
      "-i",
      "-J",
      "-L",
      "-l",
      "-m",
      "-O",
      "-o",
      "-p",
      "-Q",
      "-R",
      "-S",
      "-W",
      "-w",
      "-B",
      "-P",
    ],
  },
  tar: {
    valued: [
      "-f",
      "--file",
      "-C",
      "--directory",
      "-I",
      "--use-compress-program",
      "--checkpoint-action",
      "--rsh-command",
      "--to-command",
      "--info-script",
      "--new-volume-script",
      "-F",
      "-T",
      "--files-from",
      "-X",
      "--exclude-from",
      "--exclude",
      "-b",
      "-H",
      "--format",
      "--owner",
      "--group",
      "--mode",
      "-K",
      "-N",
      "-L",
      "-V",
    ],
  },
  unzip: { valued: ["-d", "-x", "-P"] },
  zip: { valued: ["-TT", "--unzip-command", "-x", "-i", "-P", "-b", "-n"], longSingleDash: false },
  chmod: { valued: ["--reference"] },
  chown: { valued: ["--reference", "--from"] },
  cp: { valued: ["-t", "--target-directory", "-S", "--suffix", "--backup"] },
  mv: { valued: ["-t", "--target-directory", "-S", "--suffix"] },
  install: {
    valued: [
      "-t",
      "--target-directory",
      "-m",
      "--mode",
      "-o",
      "--owner",
      "-g",
      "--group",
      "-S",
      "--suffix",
    ],
  },
  ln: { valued: ["-t", "--target-directory", "-S", "--suffix"] },
  tee: {},
  sed: { valued: ["-e", "--expression", "-f", "--file", "-l", "--line-length"], optional: {} },
  grep: {
    valued: [
      "-e",
      "--regexp",
      "-f",
      "--file",
      "-m",
      "--max-count",
      "-A",
      "-B",
      "-C",
      "--include",
      "--exclude",
      "--exclude-dir",
      "--color",
      "--label",
    ],
  },
  rg: {
    valued: [
      "-e",
      "--regexp",
      "-f",
      "--file",
      "-g",
      "--glob",
      "-t",
      "--type",
      "-T",
      "--type-not",
      "-m",
      "--max-count",
      "-A",
      "-B",
      "-C",
      "--pre",
      "-r",
      "--replace",
      "-j",
      "--threads",
      "--sort",
      "--color",
    ],
  },
  shred: { valued: ["-n", "--iterations", "-s", "--size", "--random-source"] },
  truncate: { valued: ["-s", "--size", "-r", "--reference"] },
  fallocate: { valued: ["-l", "--length", "-o", "--offset"] },
  head: { valued: ["-n", "--lines", "-c", "--bytes"] },
  tail: { valued: ["-n", "--lines", "-c", "--bytes", "--pid", "-s", "--sleep-interval"] },
  chattr: {},
  systemctl: {
    valued: [
      "-H",
      "--host",
      "-M",
      "--machine",
      "-t",
      "--type",
      "--state",
      "-p",
      "--property",
      "-n",
      "--lines",
      "-o",
      "--output",
      "-s",
      "--signal",
      "--kill-whom",
    ],
  },
  journalctl: {
    valued: [
      "-u",
      "--unit",
      "-n",
      "--lines",
      "-p",
      "--priority",
      "-o",
      "--output",
      "-b",
      "--boot",
      "-S",
      "--since",
      "-U",
      "--until",
      "-t",
      "--identifier",
    ],
  },
  iptables: {
    valued: [
      "-t",
      "--table",
      "-A",
      "--append",
      "-D",
      "--delete",
      "-I",
      "--insert",
      "-R",
      "--replace",
      "-N",
      "--new-chain",
      "-X",
      "-E",
      "-j",
      "--jump",
      "-s",
      "--source",
      "-d",
      "--destination",
      "-p",
      "--protocol",
      "-i",
      "-o",
      "--dport",
      "--sport",
      "-m",
      "--match",
      "-w",
      "--wait",
    ],
  },
  kill: { valued: ["-s", "--signal", "-n"] },
  useradd: {
    valued: [
      "-u",
      "--uid",
      "-g",
      "--gid",
      "-G",
      "--groups",
      "-d",
      "--home-dir",
      "-s",
      "--shell",
      "-c",
      "--comment",
      "-e",
      "-f",
      "-k",
      "-K",
      "-p",
      "--password",
    ],
  },
  usermod: {
    valued: [
      "-u",
      "--uid",
      "-g",
      "--gid",
      "-G",
      "--groups",
      "-d",
      "--home",
      "-s",
      "--shell",
      "-c",
      "--comment",
      "-l",
      "--login",
      "-p",
      "--password",
    ],
  },
  crontab: { valued: ["-u"] },
  ip: { valued: ["-n", "-netns", "-f", "-family"], longSingleDash: true },
  openssl: {
    valued: [
      "-connect",
      "-in",
      "-out",
      "-pass",
      "-k",
      "-K",
      "-iv",
      "-md",
      "-passin",
      "-passout",
      "-inkey",
      "-key",
      "-cert",
    ],
    longSingleDash: true,
  },
  dd: {},
  find: {},
  chromium: {},
  npm: { valued: ["--prefix", "-w", "--workspace", "--registry", "--tag", "--otp"] },
  mvn: {
    valued: [
      "-f",
      "--file",
      "-P",
      "--activate-profiles",
      "-pl",
      "--projects",
      "-s",
      "--settings",
      "-D",
    ],
  },
  gradle: {
    valued: ["-p", "--project-dir", "-b", "--build-file", "-x", "--exclude-task", "-D", "-P"],
  },
  gradlew: {
    valued: ["-p", "--project-dir", "-b", "--build-file", "-x", "--exclude-task", "-D", "-P"],
  },
  vault: { valued: ["-address", "-namespace", "-format", "-mount"], longSingleDash: true },
  gh: { valued: ["-R", "--repo", "-b", "--body", "-t", "--title"] },
  nats: { valued: ["-s", "--server", "--creds", "--context"] },
  restic: {
    valued: [
      "-r",
      "--repo",
      "--password-file",
      "--keep-last",
      "--keep-daily",
      "--keep-weekly",
      "--keep-monthly",
      "--tag",
      "--host",
    ],
  },
  borg: { valued: ["-a", "--glob-archives", "--prefix"] },
  rclone: {
    valued: [
      "--config",
      "--exclude",
      "--include",
      "--filter",
      "--transfers",
      "--checkers",
      "--backup-dir",
    ],
  },
  velero: { valued: ["-n", "--namespace", "--selector", "-l"] },
  doppler: { valued: ["-p", "--project", "-c", "--config", "--token"] },
  op: { valued: ["--vault", "--account", "--format"] },
  circleci: { valued: ["--org-slug", "--token", "--host"] },
  "gitlab-runner": { valued: ["-n", "--name", "-c", "--config", "-t", "--token", "-u", "--url"] },
  sqlite3: { valued: ["-cmd", "-separator", "-newline", "-nullvalue"], longSingleDash: true },
  mongosh: {
    valued: ["--eval", "--host", "--port", "-u", "--username", "-p", "--password", "-f", "--file"],
  },
  mongo: { valued: ["--eval", "--host", "--port", "-u", "--username", "-p", "--password"] },
  nc: { valued: ["-e", "-c", "-p", "-s", "-w", "-i", "-q", "-x", "-X", "-O", "-I", "-T", "-V"] },
  ncat: {
    valued: [
      "-e",
      "--exec",
      "-c",
      "--sh-exec",
      "--lua-exec",
      "-p",
      "-s",
      "-w",
      "-i",
      "-o",
      "-x",
      "--proxy",
    ],
  },
  whois: { valued: ["-h", "-p"] },
  "7z": {},
  script: { valued: ["-c", "--command", "-E", "--echo", "-t", "--timing", "-I", "-O", "-B", "-T"] },
  su: { valued: ["-c", "--command", "-s", "--shell", "-g", "--group", "-G", "-w"] },
  runuser: {
    valued: ["-c", "--command", "-s", "--shell", "-g", "--group", "-G", "-u", "--user", "-w"],
  },
  compgen: { valued: ["-A", "-C", "-F", "-G", "-P", "-S", "-W", "-X", "-o"] },
  split: {
    valued: [
      "-b",
      "--bytes",
      "-l",
      "--lines",
      "-n",
      "--number",
      "-a",
      "--suffix-length",
      "--filter",
      "-C",
      "--line-bytes",
      "--additional-suffix",
    ],
  },
  make: {
    valued: [
      "-C",
      "--directory",
      "-f",
      "--file",
      "--makefile",
      "-j",
      "--jobs",
      "-I",
      "--include-dir",
      "-o",
      "-W",
      "--eval",
      "-l",
    ],
  },
  vim: { valued: ["-c", "--cmd", "-S", "-u", "-U", "-i", "-T", "-w", "-W", "-s"] },
  "apt-get": { valued: ["-o", "--option", "-c", "--config-file", "-t", "--target-release"] },
  apt: { valued: ["-o", "--option", "-c", "--config-file", "-t", "--target-release"] },
  qm: {},
  pct: {},
  zfs: {},
  zpool: {},
};
PROGRAM_SPECS satisfies Record<string, OptionSpec>;

const SPEC_MAP: ReadonlyMap<string, OptionSpec> = new Map(Object.entries(PROGRAM_SPECS));

const GENERATED = new Map<string, OptionSpec | null>();

/**
 * The spec of a program: the hand-written one, else the generated grammar's valued options
 * (`knowledge/option-grammars.generated.json`), else none (every option read as a flag). Looked
 * up in maps: no prototype keys (`constructor`), no keyed loads.
 */
export function specOf(program: string): OptionSpec | undefined {
  const hand = SPEC_MAP.get(program);
  if (hand !== undefined) return hand;
  let g = GENERATED.get(program);
  if (g === undefined) {
    const valued = generatedValued(program);
    g = valued === undefined ? null : { valued, generated: true };
    if (GENERATED.size >= 4096) GENERATED.clear();
    GENERATED.set(program, g);
  }
  return g ?? undefined;
}

const valuedSets = new WeakMap<OptionSpec, ReadonlySet<string>>();
const NO_VALUED: ReadonlySet<string> = new Set();
/** The spec of a program the gate has no option grammar for. */
const NO_SPEC: OptionSpec = {};

/** The valued-option set of a spec, built once per spec. */
function valuedOf(spec: OptionSpec): ReadonlySet<string> {
  // Most programs have no valued options: no set (and no weak-map entry) per call for them.
  if (spec.valued === undefined || spec.valued.length === 0) return NO_VALUED;
  let set = valuedSets.get(spec);
  if (set === undefined) {
    set = new Set(spec.valued ?? []);
    valuedSets.set(spec, set);
  }
  return set;
}

function addValue(options: Record<string, string[]>, name: string, value: string): void {
  (options[name] ??= []).push(value);
}

/**
 * Read argv with GNU conventions: options may follow operands, `--` ends them, short options
 * bundle (`-rf`) unless one takes a value (`-bfeature` is `-b feature`). Long option names are
 * lower-cased so `--HARD` matches `--hard`; short ones keep case (`-d` differs from `-D`).
 */
export function parseArgs(argv: readonly string[], spec: OptionSpec = NO_SPEC): ParsedArgs {
  const flags: string[] = [];
  const options: Record<string, string[]> = {};
  const positionals: string[] = [];
  const positionalIndex: number[] = [];
  let endOfOptions = false;
  let current = spec;
  let subLeft = spec.subcommands ?? 0;
  let valued = valuedOf(spec);
  let subcommandLength = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (endOfOptions || a === "-" || !a.startsWith("-") || /^-\d+$/.test(a)) {
      positionals.push(a);
      positionalIndex.push(i);
      if (subLeft > 0 && !endOfOptions) {
        subLeft--;
        subcommandLength++;
        const next = current.sub?.[a.toLowerCase()];
        if (next) {
          current = next;
          subLeft = next.subcommands ?? subLeft;
          valued = valuedOf(next);
        }
      }
      if (current.optionsEndAt !== undefined && positionals.length >= current.optionsEndAt)
        endOfOptions = true;
      continue;
    }
    if (a === "--") {
      // `git -- reset`: a `--` before the subcommand does not end the subcommand's options
      if (subLeft > 0 && positionals.length === 0) continue;
      endOfOptions = true;
      continue;
    }
    if (a.startsWith("--") || current.longSingleDash) {
      const eq = a.indexOf("=");
      const rawName = eq < 0 ? a : a.slice(0, eq);
      const name = rawName.startsWith("--") ? rawName.toLowerCase() : rawName;
      flags.push(name);
      if (eq >= 0) addValue(options, name, a.slice(eq + 1));
      else if (valued.has(name) || valued.has(rawName)) {
        if (i + 1 < argv.length) addValue(options, name, argv[++i]!);
      } else {
        const opt = current.optional?.[name];
        const next = argv[i + 1];
        if (opt && next !== undefined && opt.includes(next)) addValue(options, name, argv[++i]!);
      }
      continue;
    }
    // A bundle of short options; one that takes a value swallows the rest.
    for (let j = 1; j < a.length; j++) {
      const name = `-${a[j]!}`;
      flags.push(name);
      if (valued.has(name)) {
        const rest = a.slice(j + 1);
        if (rest !== "") addValue(options, name, rest);
        else if (i + 1 < argv.length) addValue(options, name, argv[++i]!);
        break;
      }
    }
  }
  return { flags, options, positionals, positionalIndex, endOfOptions, subcommandLength };
}

import type { Command } from "commander";

/**
 * Shell completion scripts generated from the command tree itself, so every command and flag the
 * CLI has is completed and nothing else. Pure: the program in, the script text out.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  /** Space-separated command path below `txbox` ("" for the root). */
  path: string;
  description: string;
  subcommands: string[];
  flags: { long?: string; short?: string; description: string }[];
}

function walk(cmd: Command, path: string, out: Node[]): void {
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  out.push({
    path,
    description: cmd.description(),
    subcommands: subs.map((c) => c.name()),
    flags: [
      ...cmd.options.map((o) => ({
        ...(o.long ? { long: o.long } : {}),
        ...(o.short ? { short: o.short } : {}),
        description: o.description,
      })),
      { long: "--help", short: "-h", description: "display help for command" },
    ],
  });
  for (const c of subs) walk(c, path === "" ? c.name() : `${path} ${c.name()}`, out);
}

function nodes(program: Command): Node[] {
  const out: Node[] = [];
  walk(program, "", out);
  return out;
}

/** Single-quote for bash/zsh/fish: the only character needing care inside '' is ' itself. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

function bashFunction(name: string, all: Node[]): string {
  // Keys are whole paths including the program's name: bash refuses an empty subscript.
  const key = (n: Node): string => q(n.path === "" ? name : `${name} ${n.path}`);
  const subs = all.map((n) => `    [${key(n)}]=${q(n.subcommands.join(" "))}`);
  const opts = all.map((n) => {
    const words = n.flags.flatMap((f) => [f.long, f.short]).filter((w): w is string => !!w);
    return `    [${key(n)}]=${q(words.join(" "))}`;
  });
  return [
    `_${name}_complete() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}" path=${name} w i`,
    `  local -A subs=(`,
    ...subs,
    `  )`,
    `  local -A opts=(`,
    ...opts,
    `  )`,
    `  # The command path is the run of words that name subcommands; flags and values are skipped.`,
    `  for ((i = 1; i < COMP_CWORD; i++)); do`,
    `    w="\${COMP_WORDS[i]}"`,
    `    if [[ " \${subs[$path]} " == *" $w "* ]]; then path="$path $w"; fi`,
    `  done`,
    `  local words c`,
    `  if [[ "$cur" == -* ]]; then words="\${opts[$path]}"; else words="\${subs[$path]}"; fi`,
    `  # Filtered here rather than by compgen: zsh's bashcompinit compgen does not filter -W.`,
    `  COMPREPLY=()`,
    `  for c in $(printf '%s\\n' $words); do [[ "$c" == "$cur"* ]] && COMPREPLY+=("$c"); done`,
    `  if [[ "$cur" != -* && \${#COMPREPLY[@]} -eq 0 ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi`,
    `}`,
  ].join("\n");
}

function bash(name: string, all: Node[]): string {
  return [
    `# bash completion for ${name}: eval "$(${name} completion bash)" in ~/.bashrc`,
    bashFunction(name, all),
    `complete -o default -F _${name}_complete ${name}`,
    "",
  ].join("\n");
}

function zsh(name: string, all: Node[]): string {
  // zsh runs bash completion functions through bashcompinit, which ships with zsh itself.
  return [
    `#compdef ${name}`,
    `# zsh completion for ${name}: eval "$(${name} completion zsh)" in ~/.zshrc`,
    `autoload -U +X bashcompinit && bashcompinit`,
    bashFunction(name, all),
    `complete -o default -F _${name}_complete ${name}`,
    "",
  ].join("\n");
}

function fish(name: string, all: Node[]): string {
  const lines = [
    `# fish completion for ${name}: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
  ];
  for (const n of all) {
    const words = n.path === "" ? [] : n.path.split(" ");
    // At this node: every word of its path seen, and none of its own subcommands yet.
    const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`);
    const notBelow =
      n.subcommands.length > 0
        ? [`not __fish_seen_subcommand_from ${n.subcommands.join(" ")}`]
        : [];
    const cond = n.path === "" ? ["__fish_use_subcommand"] : [...seen, ...notBelow];
    const at = `-n ${q(cond.join("; and "))}`;
    for (const s of n.subcommands) {
      const child = all.find((c) => c.path === (n.path === "" ? s : `${n.path} ${s}`));
      lines.push(`complete -c ${name} ${at} -a ${q(s)} -d ${q(oneLine(child?.description ?? ""))}`);
    }
    for (const f of n.flags) {
      const long = f.long ? ` -l ${f.long.replace(/^--/, "")}` : "";
      const short = f.short ? ` -s ${f.short.replace(/^-/, "")}` : "";
      lines.push(`complete -c ${name} ${at}${long}${short} -d ${q(oneLine(f.description))}`);
    }
  }
  lines.push("");
  return lines.join("\n");
}

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  const all = nodes(program);
  const name = program.name();
  return shell === "bash" ? bash(name, all) : shell === "zsh" ? zsh(name, all) : fish(name, all);
}

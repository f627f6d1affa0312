/**
 * Option grammars of git and gh: which of their options take a value, and git's subcommands
 * (`git -C repo reset` finds `reset`; `git checkout -bfeature` is not `-f`).
 * Part of the hand-written option grammars assembled in `../argspec.ts` (PROGRAM_SPECS).
 */
import type { OptionSpec } from "../argspec.js";

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
  // --pretty[=FORMAT] as for show: optional, only after `=`
  log: {
    valued: [
      "-n",
      "--max-count",
      "--since",
      "--until",
      "--author",
      "--grep",
      "--format",
      "--output",
      "-L",
    ],
  },
  diff: { valued: ["--output", "-U", "--unified", "--diff-filter", "-S", "-G"] },
  // --pretty[=FORMAT]: git's parse-options takes an optional value only after `=`
  show: { valued: ["--format", "-U"] },
  gc: {},
  submodule: { subcommands: 1 },
  lfs: { subcommands: 1 },
  notes: { subcommands: 1 },
  bisect: { subcommands: 1 },
  "update-ref": {},
};

export const GIT_SPECS: Readonly<Record<string, OptionSpec>> = {
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
  gh: { valued: ["-R", "--repo", "-b", "--body", "-t", "--title"] },
};

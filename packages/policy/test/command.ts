// Shared by the unit tests that judge hand-built facts (core.paths, kill.verbs, kill.matcher): one
// simple command's facts with nothing in them but what a test gives.
import type { CommandFacts } from "../src/types.js";

/** The facts of `program` run with no arguments, then `over`. */
export const command = (program: string, over: Partial<CommandFacts> = {}): CommandFacts => ({
  text: program,
  program,
  programPath: program,
  argv: [],
  words: [],
  subcommand: [],
  flags: [],
  options: {},
  endOfOptions: false,
  wrappers: [],
  depth: 0,
  via: [],
  remote: false,
  privileged: false,
  paths: [],
  redirects: [],
  assigns: [],
  inputs: [],
  stdinFrom: [],
  texts: [],
  sql: [],
  tags: [],
  ...over,
});

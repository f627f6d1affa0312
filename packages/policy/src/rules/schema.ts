import { z } from "zod";
import { EFFECT_KINDS } from "../effects/table.js";

const PATH_CLASSES = [
  "root",
  "system",
  "device",
  "devnull",
  "network",
  "proc",
  "home",
  "credential",
  "shell-rc",
  "ssh-config",
  "cron",
  "systemd",
  "ld-preload",
  "log",
  "temp",
  "temp-root",
  "project",
  "project-root",
  "vcs",
  "vcs-exec",
  "protected",
  "outside",
  "unknown",
] as const;
const PATH_ROLES = ["read", "write", "delete", "exec", "mount", "operand"] as const;

const strings = z.array(z.string().min(1)).min(1);
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, "not a valid regular expression");

const pathMatcher = z
  .object({
    class: z.array(z.enum(PATH_CLASSES)).min(1).describe("Any of these classes"),
    role: z.array(z.enum(PATH_ROLES)).min(1).optional().describe("Any of these roles"),
    not_class: z.array(z.enum(PATH_CLASSES)).optional().describe("None of these classes"),
    remote: z.boolean().optional(),
  })
  .strict();

/** A condition on the facts of one simple command. Every key present must hold. */
export interface Matcher {
  program?: string[];
  program_match?: string;
  subcommand?: string[];
  words?: string[];
  word_match?: string;
  flags?: string[];
  all_flags?: string[];
  not_flags?: string[];
  args?: string[];
  not_args?: string[];
  option?: { names: string[]; match?: string | undefined };
  operands?: { min?: number | undefined; max?: number | undefined };
  paths?: z.infer<typeof pathMatcher>;
  redirect?: z.infer<typeof pathMatcher>;
  inputs?: z.infer<typeof pathMatcher>;
  assigns?: string[];
  tags?: string[];
  not_tags?: string[];
  texts?: string;
  sql?: { match: string; unless?: string | undefined };
  via?: string[];
  remote?: boolean;
  privileged?: boolean;
  wrapped?: boolean;
  any?: Matcher[];
  not?: Matcher;
}

export const matcherSchema: z.ZodType<Matcher> = z.lazy(() =>
  z
    .object({
      program: z
        .array(z.string())
        .min(1)
        .optional()
        .describe('Effective program (lower-case basename; "" for bare assignments) is one of'),
      program_match: regex.optional().describe("Effective program matches this regex"),
      subcommand: strings
        .optional()
        .describe("Positional words start with one of these (space-separated, case-insensitive)"),
      words: strings.optional().describe("Any positional word equals one of these"),
      word_match: regex.optional().describe("Any positional word matches this regex"),
      flags: strings.optional().describe("Any of these options is present"),
      all_flags: strings.optional().describe("All of these options are present"),
      not_flags: strings.optional().describe("None of these options is present"),
      args: z.array(regex).min(1).optional().describe("Any argument matches one of these regexes"),
      not_args: z.array(regex).min(1).optional().describe("No argument matches these regexes"),
      option: z
        .object({ names: strings, match: regex.optional() })
        .strict()
        .optional()
        .describe("One of these options has a value matching the regex"),
      operands: z
        .object({ min: z.number().int().optional(), max: z.number().int().optional() })
        .strict()
        .optional()
        .describe("Number of positional words after the subcommand words"),
      paths: pathMatcher.optional().describe("A path target matches"),
      redirect: pathMatcher.optional().describe("A writing redirect target matches"),
      inputs: pathMatcher.optional().describe("Data flowing in comes from such a path"),
      assigns: strings.optional().describe("Assigns one of these variables"),
      tags: strings.optional().describe("Carries one of these derived tags"),
      not_tags: strings.optional(),
      texts: regex.optional().describe("An embedded payload (code, SQL) matches"),
      sql: z
        .object({ match: regex, unless: regex.optional() })
        .strict()
        .optional()
        .describe("A SQL statement matches `match` and not `unless` (case-insensitive)"),
      via: strings.optional().describe("Reached through one of these (ssh, substitution, …)"),
      remote: z.boolean().optional(),
      privileged: z.boolean().optional(),
      wrapped: z.boolean().optional(),
      any: z.array(matcherSchema).min(1).optional().describe("At least one of these holds"),
      not: matcherSchema.optional().describe("This does not hold"),
    })
    .strict(),
);

export const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case id: letters, digits, . _ -"),
    decision: z
      .enum(["allow", "transact", "deny"])
      .optional()
      .describe("A decision stated directly (operator packs); give either this or `effect`"),
    effect: z
      .enum(EFFECT_KINDS)
      .optional()
      .describe("What the matched command does; the decision table turns it into a decision"),
    justification: z.string().min(1),
    alternative: z.string().min(1).optional(),
    when: matcherSchema,
    match: z.array(z.string()).default([]),
    not_match: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.decision === undefined) === (r.effect === undefined))
      ctx.addIssue({
        code: "custom",
        message: "a rule gives exactly one of `decision` and `effect`",
        path: ["decision"],
      });
    if (r.decision === "deny" && r.alternative === undefined)
      ctx.addIssue({
        code: "custom",
        message: "a deny rule needs an alternative",
        path: ["alternative"],
      });
  });

export const packSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    rules: z.array(ruleSchema),
  })
  .strict();

export type RuleSpec = z.infer<typeof ruleSchema>;
export type PackSpec = z.infer<typeof packSchema>;

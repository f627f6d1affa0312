import { z } from "zod";
import { EFFECT_KINDS } from "../effects/table.js";

const names = z.array(z.string().min(1)).min(1);
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, "not a valid regular expression");

/** One family of service clients and how its target is named. */
export const serviceSchema = z
  .object({
    programs: names.describe("Program names (lower-case basenames)"),
    default: z.enum(["local", "remote"]).describe("Where the client acts when no target is named"),
    host_options: z.array(z.string()).default([]).describe("Options whose value names the target"),
    url_operand: z.boolean().default(false).describe("A URL operand names the target"),
    env: z.array(z.string()).default([]).describe("Variables (prefix assignments) that name it"),
    local_names: regex.optional().describe("Target names that are local despite not being hosts"),
    remote: z.array(z.string()).describe("Examples that act on a remote target"),
    local: z.array(z.string()).describe("Examples that act on the guest"),
  })
  .strict();

export const servicesFileSchema = z
  .object({ name: z.string(), services: z.array(serviceSchema) })
  .strict();

/** A program's abbreviated object and command words and how it resolves them. */
export const abbreviationSchema = z
  .object({
    valued: z.array(z.string()).default([]).describe("Global options that take a value"),
    objects: names.describe("Object words in the program's lookup order"),
    commands: z.record(z.string(), names).default({}).describe("Command words per object"),
    examples: z
      .array(z.object({ cmd: z.string(), words: z.string() }).strict())
      .min(1)
      .describe("Checked when the policy loads: the words the command resolves to"),
  })
  .strict();

/** Where a program that otherwise only reads writes or sets something: options, or an operand. */
const outputPlaceSchema = z
  .object({
    options: z.array(z.string().regex(/^-/)).min(1).optional(),
    operand: z.number().int().min(1).optional(),
    source: z.string().min(1).describe("The manual page's words for it"),
  })
  .strict()
  .refine((o) => o.options !== undefined || o.operand !== undefined, {
    message: "give options, operand or both",
  });

export const programsFileSchema = z
  .object({
    name: z.string(),
    metadata_only: names,
    extractors: names,
    abbreviations: z.record(z.string(), abbreviationSchema).default({}),
    remote_mounts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Programs that mount a remote filesystem (an operand host:path or a URL) on their last operand",
      ),
    output_files: z
      .record(z.string(), outputPlaceSchema)
      .default({})
      .describe("Read-only programs' output files: the option's value or the operand is written"),
    system_setters: z
      .record(z.string(), outputPlaceSchema)
      .default({})
      .describe("Read-only programs that change a system setting given these options or operand"),
  })
  .strict();

export type OutputPlace = z.infer<typeof outputPlaceSchema>;

export type AbbreviationSpec = z.infer<typeof abbreviationSchema>;

export type ServiceSpec = z.infer<typeof serviceSchema>;

const options = z.array(z.string().regex(/^[-+]/, "an option starts with - or +")).default([]);

/** Examples of what a command runs (runners, languages), checked when the policy loads. */
const runsExamples = (runs: string) =>
  z
    .array(z.object({ cmd: z.string().min(1), runs: z.string().min(1).describe(runs) }).strict())
    .min(1)
    .describe("Checked when the policy loads");

/**
 * A program that runs another command: from its operands (`nice -n 5 CMD`), from an option's
 * value (`flock -c 'CMD'`, `gdb -ex '!CMD'`), or an interactive shell when given none.
 */
export const runnerSchema = z
  .object({
    programs: names.describe("Program names (lower-case basenames)"),
    subcommand: z
      .array(z.string().min(1))
      .optional()
      .describe("Words after the program that select this entry (`netns exec`)"),
    source: z.string().min(1).describe("Where the knowledge comes from (manual page, --help)"),
    valued: options.describe("The program's own options that take a value"),
    long_single_dash: z.boolean().default(false).describe("`-ex` is one option, not `-e -x`"),
    skip: z.number().int().min(0).default(0).describe("Operands before the command (a priority)"),
    operands: z
      .enum(["command", "files", "none"])
      .default("command")
      .describe("The operands after `skip`: the command it runs, files, or its own subcommands"),
    join: z.boolean().default(false).describe("The operands are joined and run by a shell"),
    join_unless: options.describe("Flags under which the operands are an argv, not a shell line"),
    command_options: options.describe("Options whose value is a shell command line"),
    program_options: options.describe("Options whose value is a program (a path) it runs"),
    code_options: options.describe("Options whose value is code in the program's own language"),
    rest_options: options.describe("Options after which the remaining words are the command"),
    shell_rest_options: options.describe("Options after which the remaining words go to a shell"),
    escape_options: options.describe("Options whose value is the program's command language"),
    escapes: z
      .array(z.string().min(1))
      .default([])
      .describe("Prefixes of a command-language line that runs the rest in a shell (`!`)"),
    shell_commands: z
      .array(z.string().min(1))
      .default([])
      .describe("Command-language lines that open an interactive shell (`:shell`)"),
    upload_commands: z
      .array(z.string().min(1))
      .default([])
      .describe("Command-language lines that send a local file to the other host (`put FILE`)"),
    typed: z
      .boolean()
      .default(false)
      .describe(
        "Reads its command language from stdin when no command is given: later lines of a script read from stdin are typed into it",
      ),
    embedded: z
      .array(
        z
          .object({
            pattern: regex.describe("Group 1 is a shell command line the program runs"),
            from: z
              .array(z.string().min(1))
              .default([])
              .describe("Where to look: `operands`, `stdin` or option names"),
            requires: options.describe("Flags without which the construct runs nothing"),
            in_files: options.describe(
              "Options naming a configuration file or directory: the pattern is searched in the files there that the line wrote or the chain memory read back",
            ),
            later: z
              .boolean()
              .default(false)
              .describe("A daemon runs the command later, outside any transaction"),
          })
          .strict(),
      )
      .default([])
      .describe(
        "Shell commands embedded in the program's own language (TeX \\write18, m4 esyscmd)",
      ),
    when_empty: z
      .enum(["nothing", "shell"])
      .default("nothing")
      .describe("What runs when no command is given: nothing, or an interactive shell"),
    shell_flags: options.describe("Flags that start an interactive shell when no command is given"),
    own_flags: options.describe("Flags under which it runs no command (`sudo -l`)"),
    privileged: z.boolean().default(false).describe("The command runs with raised privilege"),
    tags: z.array(z.string().min(1)).default([]).describe("Tags every use carries"),
    examples: runsExamples("Program the command runs, `shell` (an interactive shell) or `nothing`"),
  })
  .strict();

/**
 * A command language that several programs read from the text they are handed, named by the
 * language and not by a program (`knowledge/languages.yaml`): the gate reads it in the stdin text
 * and the arguments of any program no runner entry names (m4's macros, file-transfer commands).
 */
export const languageSchema = z
  .object({
    language: z.string().min(1).describe("The language, as its manuals name it"),
    source: z.string().min(1).describe("Where the knowledge comes from (manual pages)"),
    embedded: z
      .array(regex)
      .default([])
      .describe("Group 1 is a shell command line run from stdin text or any argument"),
    config: z
      .array(regex)
      .default([])
      .describe(
        "Group 1 is a command a service runs on its events: in a file this line wrote and handed to a later program by name or directory",
      ),
    settings: z
      .array(regex)
      .default([])
      .describe(
        "Group 1 is a command the program sets on a running service, in its arguments joined by spaces",
      ),
    commands: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "The language's line commands: stdin text or typed lines made only of these (or escapes) are read as the language",
      ),
    escapes: z
      .array(z.string().min(1))
      .default([])
      .describe("Prefixes of a line that runs the rest in a shell (`!`)"),
    upload_commands: z
      .array(z.string().min(1))
      .default([])
      .describe("Line commands that send a local file to the other host (`put FILE`)"),
    examples: runsExamples(
      "Program the command runs, `upload` (sends a file), `later` (a service runs it on its events) or `nothing`",
    ),
  })
  .strict();

export const runnersFileSchema = z
  .object({ name: z.string(), runners: z.array(runnerSchema) })
  .strict();

export const languagesFileSchema = z
  .object({ name: z.string(), languages: z.array(languageSchema) })
  .strict();

export type LanguageSpec = z.infer<typeof languageSchema>;

export type RunnerSpec = z.infer<typeof runnerSchema>;

/** A package manager that runs commands written in a manifest (`npm run x` runs `scripts.x`). */
export const manifestSchema = z
  .object({
    programs: names,
    file: z.string().min(1).describe("The manifest's file name in the project directory"),
    source: z.string().min(1),
    dir_options: options.describe("Options whose value is the project directory"),
    valued: options.describe("Other options that take a value"),
    run: z.array(z.string().min(1)).default([]).describe("Subcommands that run a named script"),
    implicit_run: z.boolean().default(false).describe("`PROGRAM <script>` runs the script"),
    lifecycle: z
      .record(z.string(), z.array(z.string().min(1)))
      .default({})
      .describe("Scripts each subcommand runs (`install`: preinstall, install, …); `` = none"),
    pre_post: z.boolean().default(true).describe("A script runs its pre<name> and post<name>"),
    examples: z
      .array(z.object({ cmd: z.string().min(1), runs: z.string().min(1) }).strict())
      .min(1),
  })
  .strict();

export const manifestsFileSchema = z
  .object({ name: z.string(), manifests: z.array(manifestSchema) })
  .strict();

export type ManifestSpec = z.infer<typeof manifestSchema>;

/** Programs that copy between local paths and remote locations, and mailers (transfers.yaml). */
export const transfersFileSchema = z
  .object({
    name: z.string(),
    remote: z.array(regex).min(1).describe("Operands that name a remote location"),
    transfers: z.array(
      z
        .object({
          programs: names,
          subcommand: z.array(z.string().min(1)).optional(),
          not_subcommand: z
            .array(z.string().min(1))
            .default([])
            .describe("First words that make it another action (no copy)"),
          both_ways: z.boolean().default(false),
          source: z.string().min(1),
        })
        .strict(),
    ),
    mailers: z
      .object({
        programs: names,
        attach_options: options,
        source: z.string().min(1),
      })
      .strict(),
  })
  .strict();

export type TransfersFile = z.infer<typeof transfersFileSchema>;

/** A subcommand word or option whose effect is the same for any CLI (verbs.yaml). */
export const verbSchema = z
  .object({
    id: z.string().regex(/^verb\.[a-z0-9.-]+$/, "verb.<name>"),
    effect: z.enum(EFFECT_KINDS),
    words: names.optional().describe("A positional word equal to one of these"),
    word_match: regex.optional().describe("A positional word matching this regex"),
    flags: names.optional().describe("One of these options is present"),
    remote_destination: z
      .literal(true)
      .optional()
      .describe(
        "A remote location (remote_locations) is the last operand or an option's value, and a local path is an operand before it",
      ),
    capture_filter: z
      .literal(true)
      .optional()
      .describe(
        "The operands are a packet-capture filter (pcap-filter(7)), or -w names a capture file",
      ),
    object_commands: z
      .record(z.string().regex(/^[a-z][\w-]*$/), names)
      .optional()
      .describe(
        "`PROG OBJECT COMMAND` with these objects and their commands, written out or abbreviated to a prefix (ip(8)); the first listed that a word begins is the one it names",
      ),
    rule_position: z
      .literal(true)
      .optional()
      .describe(
        "A rule deleted by its position, not by its text: `-D CHAIN N`, `delete N`, `… handle N`",
      ),
    interface_address: z
      .literal(true)
      .optional()
      .describe(
        "`PROG IFACE ADDRESS` or `PROG IFACE down`: a network interface's name as an operand, an IP address or `down` right after it (ifconfig(8)'s and ip(8)'s `link set` syntax)",
      ),
    place: z
      .enum(["first", "nested", "any"])
      .describe("The subcommand (first word), a word after one or two others, or either"),
    option_values: names
      .optional()
      .describe("The word may also be the value of one of these options (`-m MODE`)"),
    follows: names.optional().describe("The word before it is one of these"),
    after: names
      .optional()
      .describe("One of the words before it (not only the one right before) is one of these"),
    before: names
      .optional()
      .describe("The word after it (its first comma-separated part) is one of these"),
    with_options: names.optional().describe("Counts only when one of these options is present"),
    with_path: z
      .literal(true)
      .optional()
      .describe("Counts only when a local path is an operand (what the command serves or sends)"),
    remote_host: z
      .literal(true)
      .optional()
      .describe(
        "Counts only when a host option (-h, --host) or a URL names a host other than the guest",
      ),
    value_match: regex
      .optional()
      .describe(
        "With `flags`: counts only when a value the command gives the option matches this regex",
      ),
    stdin_local: z
      .literal(true)
      .optional()
      .describe(
        "Counts only when local files flow into the command (a pipe from a command that read them, a `<` redirect)",
      ),
    program_too: z
      .literal(true)
      .optional()
      .describe("The program's own name is read as a word too (`dropdb`)"),
    operand_match: regex
      .optional()
      .describe(
        "Counts only when a positional word after it, a with_options option's value, or the `flags` option's own value matches this regex",
      ),
    program_match: regex
      .optional()
      .describe(
        "Counts only when the program's name matches this regex (a kind of program its name says it is: `*pass`, `*vault*`)",
      ),
    unless_options: names.optional().describe("Does not count when one of these is present"),
    reason: z.string().min(1),
    match: names.describe("Commands it reads so (checked by the tests)"),
    not_match: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine(
    (v) =>
      [
        v.words,
        v.word_match,
        v.flags,
        v.remote_destination,
        v.capture_filter,
        v.rule_position,
        v.object_commands,
        v.interface_address,
      ].filter((x) => x !== undefined).length === 1,
    "give exactly one of words, word_match, flags, remote_destination, capture_filter, rule_position, object_commands and interface_address",
  );

export const verbsFileSchema = z
  .object({
    name: z.string(),
    remote_locations: z.array(regex).min(1).describe("Operands that name a remote location"),
    verbs: z.array(verbSchema),
  })
  .strict();

export type VerbSpec = z.infer<typeof verbSchema>;

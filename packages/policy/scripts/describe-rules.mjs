/**
 * Lexical rules that read what a subcommand or option does from its one-line description in a
 * completion file ("Upload a package to the registry", "Print the auth token", "Shut down the
 * system"). Written once and applied to every program alike: never a rule per program. An effect
 * is named only when the description's leading verb and its object both say so; a negated or
 * hedged description ("Do not upload", "Show what would be deleted") names none.
 *
 * Each rule: id, the effect (a row of the gate's decision table, src/effects/table.ts) and the
 * pattern over the lower-cased description. The first rule that matches wins.
 */

/** Descriptions that describe not doing it, or only showing what would be done. */
const HEDGED =
  /\b(don'?t|do not|does not|not|never|no|without|skip|prevents?|avoid|dry[- ]?run|simulate|would|only print|list|lists|listing|status|help|usage|check|test|verify|validate|whether|if)\b/;

/** A leading filler word before the verb ("Also upload …", "Then push …"). */
const LEAD = "^(?:also |then |and |first |to |will |immediately |forcibly |force |forcefully )?";

/** Secrets a description can name; a bare "token" is a lexer's token too, so it needs a qualifier. */
const SECRET =
  "(?:passwords?|passphrases?|secrets?|(?:auth(?:entication)?|access|api|bearer|session|refresh|oauth|login|registry|personal access|secret) tokens?|private keys?|secret keys?|api[- ]keys?|access keys?|credentials?)";

const REMOTE_THING =
  "(?:clusters?|droplets?|(?:cloud |compute |virtual machine |vm )?instances?|servers?|vms?|virtual machines?|buckets?|stacks?|dns (?:zones?|records?)|domains?|load[- ]?balancers?|vpcs?|subnets?|node ?pools?|apps?|applications?|deployments?|environments?|organizations?|accounts?|releases?|registr(?:y|ies)|remote (?:branch(?:es)?|repositor(?:y|ies)|tags?))";

export const RULES = [
  {
    id: "cred.print",
    effect: "read-secret",
    re: new RegExp(
      `${LEAD}(?:print|prints|show|shows|display|displays|output|outputs|reveal|reveals|dump|dumps|export|exports|retrieve and (?:display|print|show))\\b(?: (?:an?|the|your|current|stored|saved|cracked|decrypted|plain(?:text)?|\\w+'s))* ${SECRET}(?! (?:names?|scopes?|info|information|expir\\w*|metadata|ids?|files?|paths?|locations?|hash(?:es)?|stores?|helpers?|managers?|from|with|using|via|hints?)\\b)`,
    ),
  },
  {
    id: "send.upload",
    effect: "send",
    re: new RegExp(
      `${LEAD}(?:upload|uploads|uploading)\\b(?! (?:chunk|speed|rate|size|limit|cutoff|concurrency|bandwidth|buffer|timeout)s?\\b)(?![^.;]*\\b(?:camera|device|cache|board|phone|flash)\\b)`,
    ),
  },
  {
    id: "send.mail",
    effect: "send",
    re: new RegExp(
      `${LEAD}(?:send|sends|post|posts)\\b (?:an? |the |given |all |local )?(?:files?|patch(?:es|set)?|(?:crash |bug )?reports?|log files?)\\b[^.;]* to (?:an? |the )?(?:url|server|remote|host|endpoint|web)`,
    ),
  },
  {
    id: "remote.publish",
    effect: "remote-change",
    re: new RegExp(
      `${LEAD}(?:publish|publishes|release to|deploy|deploys|push|pushes)\\b(?:[^.;]*\\b(?:packages?|images?|crates?|modules?|gems?|artifacts?|charts?|containers?|to (?:the |a )?(?:registry|index|hub|store|marketplace|cloud|production|heroku))\\b)`,
    ),
  },
  {
    id: "remote.publish-verb",
    effect: "remote-change",
    re: new RegExp(`${LEAD}(?:publish|publishes|unpublish|unpublishes|yank|yanks)\\b`),
  },
  {
    id: "remote.destroy",
    effect: "remote-change",
    re: new RegExp(
      `${LEAD}(?:delete|deletes|destroy|destroys|remove|removes|terminate|terminates|deprovision|deprovisions|tear down|tears down)\\b(?: (?:an?|the|one or more|all|given|specified|selected|existing))*(?: \\w+)? ${REMOTE_THING}(?:\\(s\\))?(?:$| (?:and|with|from (?:the )?(?:cloud|server|account|remote|registry|provider|platform))\\b)`,
    ),
  },
  {
    id: "availability.power",
    effect: "availability",
    re: new RegExp(
      `${LEAD}(?:shut ?down|shuts ?down|power ?off|powers ?off|halt|halts|reboot|reboots|restart|restarts|suspend|suspends|hibernate|hibernates)\\b(?:(?:,| and| or) (?:power-?off|reboot|halt|shut ?down|suspend|restart))*(?: (?:the|this))?(?: (?:local|remote|host|running|whole|entire|virtual))? (?:system|machine|computer|host|os|operating system)\\b`,
    ),
  },
  {
    id: "persist.boot",
    effect: "persist",
    re: /\b(?:enable|enables|start|starts)\b[^.;]*\b(?:at|on) (?:boot|system start(?:up)?)\b|\bautostart\b/,
  },
  {
    // service managers: units enabled, linked into the search path or reset to their preset
    // enablement start later by themselves
    id: "persist.unit",
    effect: "persist",
    anchored: true,
    re: /^(?:(?:enable|enables|reenable|reenables|link|links)|(?:reset|resets) the enable\/disable status of)(?: (?:one or more|the|a|an|specified|given|all))* (?:units?|unit files?|service units?|timers?)\b/,
  },
  {
    // a unit's file edited or overridden: what it runs starts later by itself
    id: "persist.unit-edit",
    effect: "persist",
    anchored: true,
    re: /^(?:edit|edits)\b[^.;]*\b(?:extend|override)\b[^.;]*\bunits?\b/,
  },
  {
    // a login shell changed: a wrong one locks the orchestrator's SSH login out
    id: "lockout.login-shell",
    effect: "lockout",
    anchored: true,
    re: /^(?:change|changes|set|sets)\b(?: (?:the|your|a|an|new|user'?s?))* login shell\b/,
  },
  {
    id: "escalate.unlock",
    effect: "escalate",
    anchored: true,
    re: /^(?:unlock|unlocks)\b(?: (?:the|a|an|user'?s?|account'?s?))* passwords?\b/,
  },
  {
    // a target isolated or a rescue mode entered stops every other unit (sshd among them)
    id: "availability.stop-all",
    effect: "availability",
    re: /\b(?:and|then) stops? (?:all|every) others?\b|^enter (?:default|rescue|emergency|single[- ]user) mode\b/,
  },
  {
    id: "persist.schedule",
    effect: "persist",
    re: new RegExp(
      `${LEAD}(?:schedule|schedules|install|installs|add|adds|create|creates|edit|edits|set|sets)\\b[^.;]*\\b(?:cron ?(?:jobs?|tabs?|entries|entry)|crontabs?|scheduled (?:jobs?|tasks?)|autostart)\\b`,
    ),
  },
  {
    id: "tamper.logs",
    effect: "tamper",
    re: new RegExp(
      `${LEAD}(?:clear|clears|erase|erases|wipe|wipes|delete|deletes|purge|purges|flush|flushes|vacuum|vacuums)\\b(?: (?:the|all|old|archived))* (?:logs?|log files|journals?|journal files|(?:shell|command|bash|zsh) history|audit (?:logs?|trail|rules))\\b`,
    ),
  },
  {
    id: "tamper.controls",
    effect: "tamper",
    re: new RegExp(
      `${LEAD}(?:disable|disables|stop|stops|turn off|turns off|unload|unloads|deactivate|deactivates)\\b(?: (?:the|all))* (?:firewall|selinux|apparmor|audit(?:ing|d)?|security|antivirus)\\b(?! (?:context|contexts|labels?|support|xattrs?)\\b)`,
    ),
  },
  {
    id: "lockout.flush",
    effect: "lockout",
    re: new RegExp(
      `${LEAD}(?:flush|flushes|delete|deletes|remove|removes|clear|clears)\\b (?:all|every|the) (?:\\w+ )?(?:rules|chains|routes|addresses)\\b`,
    ),
  },
  {
    id: "lockout.down",
    effect: "lockout",
    re: new RegExp(
      // ifconfig(8) `down`: "This flag causes the driver for this interface to be shut down"
      `^(?:this \\w+ )?causes? [^.;]*\\b(?:interfaces?|links?|network devices?)\\b[^.;]* to be shut ?down\\b|${LEAD}(?:(?:bring|brings|take|takes|set|sets)\\b[^.;]*\\b(?:interfaces?|links?|devices?|connections?|network)\\b[^.;]*\\bdown\\b|(?:deactivate|deactivates|disconnect|disconnects|disable|disables)\\b(?: (?:the|a|an|all))* (?:network(?:ing)?|interfaces?|network interfaces?|wi-?fi|wireless|links?)(?=$| (?:on|of|named|given|specified|by|interfaces?|connections?|devices?)\\b))`,
    ),
  },
  {
    id: "escalate.password",
    effect: "escalate",
    re: new RegExp(
      `${LEAD}(?:change|changes|reset|resets)\\b(?: (?:the|a|an|user'?s?|users'|account|login|root|your))* passwords?(?:$| (?:of|for) (?:an? |the )?(?:user|account|login|home)\\b)`,
    ),
  },
  {
    id: "exec.shell",
    effect: "exec-untrusted",
    re: new RegExp(
      `${LEAD}(?:start|starts|open|opens|launch|launches|spawn|spawns|run|runs|enter|enters|drop into|drops into|get|gets)\\b(?: (?:an?|the))?(?: (?:interactive|new|login|root|python|ruby|node|lua|perl|debug|system|remote))* (?:shell|repl|console|interpreter)\\b(?! (?:completions?|scripts?|commands?|variables?|history|type|integration|escapes?|in|at|with)\\b)`,
    ),
  },
  {
    id: "disk.format",
    effect: "disk",
    re: new RegExp(
      `${LEAD}(?:format|formats|wipe|wipes|erase|erases|zap|zaps|partition|partitions|zero|zeroes)\\b(?: (?:the|a|an|whole|entire|all|available))* (?:disks?|devices?|drives?|partitions?|block devices?|cards?|partition tables?|(?:(?:filesystem|partition-table|raid|superblock) )?signatures)\\b`,
    ),
  },
];

/**
 * An option that modifies several actions names none of them: "Upload/download/delete recursively"
 * is how the action the subcommand chose is done, not an upload of its own.
 */
const ALTERNATIVES = /^(?:\w+\/)+\w+\b/;

/**
 * A description of preparing the artefacts locally: "Publish a project for deployment", "… to a
 * directory". The program's own word for it is then read as documented (`plain`), not by the
 * program-independent vocabulary.
 */
const LOCAL =
  /\bfor (?:deployment|distribution|publishing|release)\b|\b(?:to|into) (?:an? |the )?(?:local |output |specified |given )?(?:folder|directory)\b/;

/** Whether a description says the action prepares or writes its result locally. */
export function isLocal(description) {
  return LOCAL.test(description.toLowerCase().replace(/\s+/g, " "));
}

/** The first rule a description matches, or undefined. */
export function classify(description) {
  const d = description.toLowerCase().replace(/\s+/g, " ").trim();
  if (d === "" || ALTERNATIVES.test(d) || LOCAL.test(d)) return undefined;
  const hedged = HEDGED.test(d);
  // A rule `anchored` on the leading verb is not undone by a hedge word later in the sentence
  // ("Link a unit file that is not in the search path", "… if --full is specified"), only by
  // one that says nothing is done.
  const firm = hedged && FIRM_HEDGE.test(d);
  for (const r of RULES) if ((!hedged || (r.anchored && !firm)) && r.re.test(d)) return r;
  return undefined;
}

/** Hedge words that say nothing is done, wherever they stand. */
const FIRM_HEDGE =
  /\b(?:don'?t|do not|does not|never|dry[- ]?run|simulate|would|whether|only print|help|usage)\b/;

/**
 * Subcommands whose own name says the effect, whatever their description: `upload`, `publish`, `print-token` (the name is the program's documented word for it). Not `halt` or `console`: what they
 * stop or open depends on the program (`vagrant halt` stops a VM the agent made).
 */
export const NAME_RULES = [
  { id: "name.upload", effect: "send", re: /^upload$/ },
  { id: "name.publish", effect: "remote-change", re: /^(?:publish|unpublish|yank|deploy)$/ },
  {
    id: "name.token",
    effect: "read-secret",
    re: /^(?:print|show|get|display|reveal)[-_]?(?:(?:access|auth|api|id|identity)[-_]?)?(?:token|password|secret|credentials)$/,
  },
];

/** The first name rule a subcommand word matches, or undefined. */
export function classifyName(word) {
  const w = word.toLowerCase();
  for (const r of NAME_RULES) if (r.re.test(w)) return r;
  return undefined;
}

/** An option described as a rehearsal: with it, the program does not do what it describes. */
const DRY_RUN =
  /\b(?:dry[- ]?run|(?:do not|don't|without) actually|do everything except actually|(?:causes?|does) everything to be done except|simulate|show what would|without (?:uploading|publishing|sending|pushing|deploying))\b/;

/** Whether an option's description makes it a dry run. */
export function isDryRun(description) {
  return DRY_RUN.test(description.toLowerCase());
}

/**
 * What a program is for, read from its manual page's NAME line ("useradd - create a new user",
 * "halt - Halt, power-off or reboot the machine"): the effect every run of it has, unless an
 * option described as only showing or cancelling is given ({@link isInert}). Only purposes whose
 * effect does not depend on the operands: the machine's power, accounts and login shells, kernel
 * modules, access granted on another machine, packet capture, jobs scheduled for later, VPN
 * tunnels; and, only for a run with no operand, shells, interpreters and terminal multiplexers.
 */
export const PURPOSE_RULES = [
  {
    id: "purpose.power",
    effect: "availability",
    re: /^(?:halt|shut ?down|power[- ]?off|reboot)\b(?:(?:,| and| or),? (?:halt|shut ?down|power[- ]?off|reboot))* (?:the )?(?:machine|system|computer)\b/,
  },
  {
    id: "purpose.account-create",
    effect: "persist",
    re: /^(?:create|creates|add|adds)\b(?: or \w+)?(?: (?:a|an|new|one or more|system))* (?:users?|user accounts?|login accounts?)\b(?! (?:ids?|names?|info\w*|groups?)\b)/,
  },
  {
    id: "purpose.login-shell",
    effect: "lockout",
    re: /^(?:change|changes|set|sets)\b(?: (?:the|your|a|an|user'?s?))* login shell\b/,
  },
  {
    id: "purpose.kernel-load",
    effect: "escape",
    re: /\b(?:insert|inserts|load|loads|add|adds)\b[^.;]*\bmodules?\b[^.;]* (?:into|to|from|in) the (?:linux )?kernel\b/,
  },
  {
    id: "purpose.kernel-unload",
    effect: "availability",
    re: /\b(?:remove|removes|unload|unloads)\b[^.;]*\bmodules?\b[^.;]* from the (?:linux )?kernel\b/,
  },
  {
    id: "purpose.remote-access",
    effect: "remote-change",
    re: /\b(?:authori[sz]e|authori[sz]es|grant|grants|install|installs|add|adds)\b[^.;]*\b(?:logins?|access|keys?)\b[^.;]* on (?:an? |the )?remote (?:machines?|hosts?|servers?)\b/,
  },
  {
    id: "purpose.capture",
    effect: "read-secret",
    re: /^(?:\w+ )?(?:dump|dumps|capture|captures|sniff|sniffs)\b[^.;]*\b(?:network traffic|traffic on a network|packets)\b/,
  },
  {
    id: "purpose.schedule",
    effect: "persist",
    re: /\bjobs? for later execution\b|^(?:schedule|schedules)\b[^.;]*\b(?:commands?|jobs?|tasks?)\b|\bmaintain crontab files?\b/,
  },
  {
    // a program that runs a command or a shell as another user, group or root directory runs the
    // shell when given no command (only such a run: `runner`)
    id: "purpose.shell-runner",
    effect: "exec-untrusted",
    runner: true,
    re: /\b(?:command or (?:an )?(?:interactive )?shell|with substitute user and group|as (?:a )?different group id|as another user)\b/,
  },
  {
    // a shell, interpreter or terminal multiplexer run with nothing to run reads its commands from
    // the terminal: what it runs never passes the gate (only a bare run: `bare`)
    id: "purpose.shell",
    effect: "exec-untrusted",
    bare: true,
    re: /\b(?:command interpreter|terminal multiplexer|screen manager|interactive shell|interpreter)\b|^(?:the |gnu )?[\w-]+ shell$/,
  },
  {
    id: "purpose.vpn",
    effect: "lockout",
    re: /\bvpn\b|\b(?:ip )?tunnel (?:daemon|client)\b/,
  },
];

/**
 * Options whose description gives away what the program does by default: an option to keep the
 * interface out of promiscuous mode ("Don't put the interface into promiscuous mode") belongs to
 * a program that captures the traffic of an interface when run; one that runs a command "rather
 * than an interactive shell" to a program that runs a shell without it. Read only when the
 * program's NAME line says nothing the purpose rules read.
 */
const PURPOSE_BY_OPTION = [
  {
    id: "purpose.capture",
    effect: "read-secret",
    re: /^(?:don'?t|do not|never)\b[^.;]*\bpromiscuous mode\b/,
  },
  {
    // "Run the command rather than an interactive shell": without it the program runs a shell
    // (only a run given no command: `runner`)
    id: "purpose.shell-runner",
    effect: "exec-untrusted",
    runner: true,
    re: /\b(?:rather than|instead of) (?:an? |the )?(?:interactive |login )?shell\b/,
  },
];

/**
 * A command interpreter told by its options: a top-level `-c` that runs the commands it is given
 * ("Commands to execute", "Command to run and exit", "Specify commands") and a `-i` that makes it
 * interactive ("Use interactive mode", "Use interactive shell"): a shell, interactive when run
 * with nothing to run (rc, xonsh, nu, oksh, expect). Both are needed: a calculator's "Force
 * interactive mode" alone (bc) is no shell.
 */
const RUNS_COMMANDS =
  /^(?:specify |run |execute )?(?:the )?commands?(?: to (?:run|execute))?\b|^execute (?:the )?(?:argument as )?commands?\b/;
const INTERACTIVE = /^(?:use|force|run in|enter)?\s*interactive (?:mode|shell)$/;
export function shellByOptions(described) {
  const top = described.filter((d) => d.flags && Array.isArray(d.after) && d.after.length === 0);
  const says = (flag, re) =>
    top.some((d) => d.flags.includes(flag) && re.test(d.description.toLowerCase().trim()));
  return says("-c", RUNS_COMMANDS) && says("-i", INTERACTIVE)
    ? PURPOSE_RULES.find((r) => r.id === "purpose.shell")
    : undefined;
}

/** The purpose an option's description gives away, or undefined. */
export function purposeByOption(description) {
  const d = description.toLowerCase().replace(/\s+/g, " ").trim();
  return PURPOSE_BY_OPTION.find((r) => r.re.test(d));
}

/** The purpose rule a manual page's NAME description matches, or undefined. */
export function classifyPurpose(description) {
  const d = description.toLowerCase().replace(/\s+/g, " ").trim();
  if (d === "" || /\b(?:not|never|without|print|show|display|list)\b/.test(d)) return undefined;
  for (const r of PURPOSE_RULES) if (r.re.test(d)) return r;
  return undefined;
}

/**
 * An option described as only showing something and exiting, or cancelling ("Print the list of
 * shells and exit", "Display help", "Displays the current crontab on standard output", "Cancel a
 * pending shutdown"): with it, the program does not do what its purpose says. Not "Print each
 * packet in ASCII": an option that formats the output while the program works.
 */
const INERT = new RegExp(
  [
    "^(?:list|lists|query|queries|cancel|cancels|is an alias for)\\b",
    // an option documented as a separate operation ("(Standalone) Generate a key")
    "^\\(standalone\\)",
    "^(?:show|shows|print|prints|display|displays|output|outputs|report|reports)\\b[^.;]*\\b(?:and|then) exits?\\b",
    "^(?:show|shows|print|prints|display|displays|output|outputs|report|reports)(?: (?:the|a|this|its|\\w+'s))?(?: \\w+)? (?:help|usage|version|list)\\b",
    "^(?:show|shows|print|prints|display|displays|output|outputs|cat|cats|write|writes)\\b[^.;]*\\b(?:on|to) (?:the )?standard output\\b",
    "^(?:show|shows|print|prints|display|displays|output|outputs|dump|dumps)(?: out)?(?: (?:the|a|its|current|effective))* (?:configuration|config|settings)\\b",
    // a capture tool reading a saved capture instead of the network
    "^(?:read|reads) (?:saved )?packet(?:s| data| stream) from\\b",
  ].join("|"),
);

/** Whether an option's description makes the program's run inert. */
export function isInert(description) {
  return INERT.test(description.toLowerCase().replace(/\s+/g, " ").trim());
}

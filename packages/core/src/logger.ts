import winston from "winston";

/**
 * Keys whose values never reach a log line or `--json`: the key, without separators, ends with a
 * secret's name (`dbPassword`, `apiToken`, `x-api-key`, `PGPASSWORD`, `CSRFPreventionToken`), its
 * last word is `pass` or `pwd` (`sshPass`, `MYSQL_PWD`), or a word of it names a secret
 * (`passwordHash`, `csrfToken`). Not every key that contains one of these letters: `passed`,
 * `passTotal`, `bypass`, `tokens`, `tokenCount` and `tokenId` (an API token's id, not its secret)
 * are results and names.
 */
const SECRET_SUFFIX =
  /(password|passwd|passphrase|secret|token|ticket|authorization|cookie|apikey|privatekey)$/;
const SECRET_LAST_WORD = new Set(["pass", "pwd"]);
const SECRET_WORD = new Set(["password", "passwd", "passphrase", "secret", "csrf"]);

/** A key's words: split at separators and at camelCase boundaries (`CSRFPrevention` → csrf, prevention). */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

function secretKey(key: string): boolean {
  const words = keyWords(key);
  return (
    SECRET_SUFFIX.test(words.join("")) ||
    SECRET_LAST_WORD.has(words[words.length - 1] ?? "") ||
    words.some((w) => SECRET_WORD.has(w))
  );
}
/** Keys {@link secretKey} names that say where a secret is, not the secret (`apiKeyEnv`). */
const SECRET_REFERENCE = /(env|file|path)$/i;
/** Secret-looking values inside free text: PVE token headers, bearer tokens, tickets. */
const SECRET_TEXT: RegExp[] = [
  /(PVEAPIToken=[^=\s]+=)[^\s"']+/g,
  /(Bearer\s+)[A-Za-z0-9._~+/-]+=*/g,
  /(PVEAuthCookie=)[^;\s"']+/g,
  /(PVE:[^:\s]+:[0-9A-F]{8}::)[A-Za-z0-9+/=]+/g,
  // `password=…`, `token: …`, `"secret":"…"` in messages (e.g. an error quoting a request)
  /((?<![A-Za-z0-9])(?:pass(?:word|wd)?|secret|token|ticket|api[-_]?key)"?\s*[=:]\s*"?)[^\s"',;&]+/gi,
];

export const REDACTED = "[redacted]";

/** Redact secrets in a string. */
export function redactText(text: string): string {
  let out = text;
  for (const re of SECRET_TEXT) out = out.replace(re, `$1${REDACTED}`);
  return out;
}

/** A deep copy of `value` with secret keys and secret-looking text redacted. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[deep]";
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === "object") {
    if (value instanceof Error) return redactError(value, depth);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactEntry(k, v, depth);
    return out;
  }
  return value;
}

/** The redacted value of one property: a secret key's value, or the value with secrets inside. */
function redactEntry(key: string, value: unknown, depth: number): unknown {
  const secret = secretKey(key) && !SECRET_REFERENCE.test(key);
  return secret && value !== undefined && value !== null && value !== ""
    ? REDACTED
    : redact(value, depth + 1);
}

/**
 * An Error as a plain object: name, message, its own fields (a typed error's `code`, `details`,
 * `httpStatus`…) and its `cause` chain, each redacted like any other value. The stack is left
 * out: it repeats the message, and a log line is not a debugger.
 */
function redactError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  for (const [k, v] of Object.entries(error)) if (k !== "stack") out[k] = redactEntry(k, v, depth);
  if (error.cause !== undefined) out.cause = redact(error.cause, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  // `log.error(err)` hands winston the Error itself: its message is not an enumerable key, so
  // without this it would be neither redacted nor written.
  if (info instanceof Error) {
    const plain = Object.assign({}, info, redactError(info, -1));
    delete plain.stack;
    return plain;
  }
  for (const key of Object.keys(info)) {
    const v = info[key];
    if (key === "level") continue;
    info[key] = redactEntry(key, v, -1);
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  format?: "json" | "pretty";
  file?: string;
  /** Write to stderr (default) so that stdout stays clean for `--json` output. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export type Logger = winston.Logger;

/** A winston logger with redaction; JSON lines or a short human format, to stderr by default. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = winston.format.printf(({ level, message, timestamp, ...rest }) => {
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    return `${String(timestamp)} ${level} ${String(message)}${extra}`;
  });
  const transports: winston.transport[] = [
    new winston.transports.Stream({
      stream: options.stream ?? process.stderr,
      format:
        options.format === "json"
          ? winston.format.json()
          : winston.format.combine(winston.format.timestamp({ format: "HH:mm:ss.SSS" }), pretty),
    }),
  ];
  if (options.file) {
    transports.push(
      new winston.transports.File({ filename: options.file, format: winston.format.json() }),
    );
  }
  return winston.createLogger({
    level: options.level ?? "info",
    silent: options.silent ?? false,
    format: winston.format.combine(redactFormat(), winston.format.timestamp()),
    transports,
  });
}

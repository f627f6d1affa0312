import winston from "winston";

/** Keys whose values never reach a log line. */
const SECRET_KEY =
  /pass(word)?|secret|token|ticket|authorization|cookie|api[-_]?key|private[-_]?key|csrf/i;
/** Keys that match {@link SECRET_KEY} but name where a secret is, not the secret (`apiKeyEnv`). */
const SECRET_REFERENCE = /(env|file|path)$/i;
/** Secret-looking values inside free text: PVE token headers, bearer tokens, tickets. */
const SECRET_TEXT: RegExp[] = [
  /(PVEAPIToken=[^=\s]+=)[^\s"']+/g,
  /(Bearer\s+)[A-Za-z0-9._~+/-]+=*/g,
  /(PVEAuthCookie=)[^;\s"']+/g,
  /(PVE:[^:\s]+:[0-9A-F]{8}::)[A-Za-z0-9+/=]+/g,
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
    if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_KEY.test(k) && !SECRET_REFERENCE.test(k) && v !== undefined && v !== null && v !== ""
          ? REDACTED
          : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const v = info[key];
    if (key === "level") continue;
    info[key] = SECRET_KEY.test(key) && v ? REDACTED : redact(v);
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

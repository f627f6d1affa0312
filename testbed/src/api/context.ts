import type { Params } from "../schema/validate.js";

/** Who is calling: the PVE user and, for API tokens, the token id. */
export interface Caller {
  user: string;
  tokenid?: string;
}

/** The id PVE checks permissions of: `user@realm`, or `user@realm!token` for an API token. */
export const authidOf = (c: Caller): string =>
  c.tokenid === undefined ? c.user : `${c.user}!${c.tokenid}`;

/** One validated request as handlers see it. */
export interface Request {
  method: string;
  /** Path template from the schema (`/nodes/{node}/qemu/{vmid}/config`). */
  template: string;
  /** Validated parameters: path variables, query and body merged. */
  params: Params;
  caller: Caller;
}

/** A handler's answer that carries extra top-level fields beside `data` (e.g. `total`). */
export class Reply {
  constructor(
    readonly data: unknown,
    readonly extra: Record<string, unknown>,
  ) {}
}

export type Handler = (req: Request) => Promise<unknown> | unknown;

/** A route table: `"<METHOD> <template>"` → handler. */
export type Routes = Record<string, Handler>;

export const str = (p: Params, k: string): string | undefined =>
  typeof p[k] === "string" ? (p[k] as string) : undefined;
export const num = (p: Params, k: string): number | undefined =>
  typeof p[k] === "number" ? (p[k] as number) : undefined;
export const flag = (p: Params, k: string): boolean => p[k] === 1;

/**
 * Parameter sweep generated from apidata.json: for every route the testbed implements, send each
 * parameter with a wrong type, a value outside its pattern/length/enum/range, leave out the
 * required ones, add an unknown key, and check PVE's 400 answer for exactly that parameter.
 * Every request fails verification, so none reaches a handler.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { SchemaProp } from "../../src/schema/apidata.js";
import { perlRegex } from "../../src/schema/validate.js";
import { schema, startBed, type Bed } from "./helpers.js";

const PATH_VALUES: Record<string, string> = {
  node: "pve1",
  vmid: "101",
  snapname: "s1",
  upid: "UPID:pve1:00001000:00100000:6B08C53E:qmstart:101:root@pam:",
  vnet: "vnet1",
  zone: "zone1",
  controller: "ctl1",
  subnet: "zone1-10.0.0.0-24",
  pos: "0",
  group: "grp1",
  name: "set1",
  cidr: "10.0.0.0/24",
};

interface Case {
  label: string;
  params: Record<string, string>;
  /** Parameter → the exact message, or a RegExp for it. */
  expect: Record<string, string | RegExp>;
  pathOverride?: Record<string, string>;
}

const isOptional = (p: SchemaProp): boolean => p.optional === 1 || p.optional === true;

/** The mutations of one method's parameters. */
function casesFor(parameters: SchemaProp | undefined, pathVars: string[]): Case[] {
  const props = parameters?.properties ?? {};
  const cases: Case[] = [
    {
      label: "unknown key",
      params: { zz_unknown: "1" },
      expect: {
        zz_unknown:
          "property is not defined in schema and the schema does not allow additional properties",
      },
    },
  ];
  const required = Object.entries(props).filter(
    ([k, p]) => !isOptional(p) && !pathVars.includes(k) && !k.endsWith("[n]"),
  );
  if (required.length > 0)
    cases.push({
      label: "missing required",
      params: {},
      expect: Object.fromEntries(
        required.map(([k]) => [k, "property is missing and it is not optional"]),
      ),
    });
  for (const [rawKey, p] of Object.entries(props)) {
    const key = rawKey.endsWith("[n]") ? `${rawKey.slice(0, -3)}0` : rawKey;
    const target = pathVars.includes(key) ? "path" : "param";
    const add = (label: string, value: string, message: string | RegExp): void => {
      if (target === "path")
        cases.push({
          label: `${key} ${label}`,
          params: {},
          pathOverride: { [key]: value },
          expect: { [key]: message },
        });
      else
        cases.push({
          label: `${key} ${label}`,
          params: { [key]: value },
          expect: { [key]: message },
        });
    };
    if (p.type === "integer")
      add("not an integer", "1x", "type check ('integer') failed - got '1x'");
    if (p.type === "number") add("not a number", "x1", "type check ('number') failed - got 'x1'");
    if (p.type === "boolean")
      add("boolean true", "true", "type check ('boolean') failed - got 'true'");
    if (p.type === "integer" && typeof p.minimum === "number")
      add(
        "below minimum",
        String(p.minimum - 1),
        `value must have a minimum value of ${p.minimum}`,
      );
    if (p.type === "integer" && typeof p.maximum === "number")
      add(
        "above maximum",
        String(p.maximum + 1),
        `value must have a maximum value of ${p.maximum}`,
      );
    if ((p.type ?? "string") === "string" && target === "param") {
      if (p.pattern !== undefined && !perlRegex(p.pattern).test("%% bad / value %%"))
        add("pattern", "%% bad / value %%", "value does not match the regex pattern");
      else if (p.maxLength !== undefined && p.pattern === undefined)
        add(
          "too long",
          "a".repeat(p.maxLength + 1),
          new RegExp(
            `^(value may only be ${p.maxLength} characters long|invalid format - .*)$`,
            "s",
          ),
        );
      if (p.enum !== undefined)
        add(
          "enum",
          "zz-not-listed",
          `value 'zz-not-listed' does not have a value in the enumeration '${p.enum.join(", ")}'`,
        );
      // enum is checked before format, as in PVE
      if (p.enum !== undefined) continue;
      if (p.format === "pve-vmid")
        add("format", "99", /^invalid format - value does not look like a valid VM ID\n$/);
      if (p.format === "pve-node")
        add("format", "-bad-", /^invalid format - value does not look like a valid node name\n$/);
      if (p.format === "pve-configid")
        add("format", "9abc", /^invalid format - invalid configuration ID '9abc'\n$/);
      if (p.format === "pve-storage-id")
        add("format", "9/x", /^invalid format - storage ID '9\/x' contains illegal characters\n$/);
    }
  }
  return cases;
}

let bed: Bed;
/** root@pam's ticket: a route without permissions in the schema is root@pam's alone (not a token's). */
let rootAuth: Record<string, string>;
beforeAll(async () => {
  bed = await startBed();
  const login = await bed.raw("POST", "/api2/json/access/ticket", {
    auth: false,
    body: "username=root@pam&password=secret-pw",
  });
  const t = login.body.data as { ticket: string; CSRFPreventionToken: string };
  rootAuth = {
    cookie: `PVEAuthCookie=${encodeURIComponent(t.ticket)}`,
    csrfpreventiontoken: t.CSRFPreventionToken,
  };
});
afterAll(async () => {
  await bed.close();
});

describe("parameter verification sweep", () => {
  test("every implemented route answers PVE's 400 for every bad parameter", async () => {
    const routes = Object.keys(bed.tb.cluster().routes).sort();
    expect(routes.length).toBeGreaterThan(80);
    const failures: string[] = [];
    let requests = 0;
    for (const route of routes) {
      const [method, template] = route.split(" ") as [string, string];
      const info = schema.method(template, method);
      if (info === undefined) {
        failures.push(`${route}: not in the schema`);
        continue;
      }
      const pathVars = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const c of casesFor(info.parameters, pathVars)) {
        const vals = { ...PATH_VALUES, ...c.pathOverride };
        const path = template.replace(/\{([^}]+)\}/g, (_m, v: string) =>
          encodeURIComponent(vals[v] ?? "x"),
        );
        const qs = new URLSearchParams(c.params).toString();
        const withBody = method === "POST" || method === "PUT";
        const url = `/api2/json${path}${!withBody && qs !== "" ? `?${qs}` : ""}`;
        const auth = info.permissions === undefined ? { auth: false, headers: rootAuth } : {};
        const r = await bed.raw(method, url, withBody ? { body: qs, ...auth } : auth);
        requests++;
        const where = `${route} [${c.label}]`;
        if (r.status !== 400 || r.statusText !== "Parameter verification failed.") {
          failures.push(`${where}: ${r.status} ${r.statusText} ${JSON.stringify(r.body)}`);
          continue;
        }
        if (
          r.body.data !== null ||
          r.body.message !== "Parameter verification failed.\n" ||
          r.contentType !== "application/json;charset=UTF-8"
        )
          failures.push(`${where}: body/headers ${JSON.stringify(r.body)} ${r.contentType}`);
        for (const [param, want] of Object.entries(c.expect)) {
          const got = r.body.errors?.[param];
          const ok = typeof want === "string" ? got === want : got !== undefined && want.test(got);
          if (!ok)
            failures.push(
              `${where}: errors.${param} = ${JSON.stringify(got)}, want ${String(want)}`,
            );
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(500);
  });
});

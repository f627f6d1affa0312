/** The testbed's state files: a write replaces a file without a torn or lost version at any point. */
import { afterEach, beforeEach, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Store } from "../../src/api/store.js";

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-store-"));
  store = new Store(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a write replaces the file and leaves nothing beside it", () => {
  store.write("guests/101.json", { v: 1 });
  store.write("guests/101.json", { v: 2 });
  expect(store.read("guests/101.json")).toEqual({ v: 2 });
  expect(readdirSync(join(dir, "guests"))).toEqual(["101.json"]);
  expect(store.list("guests")).toEqual(["101.json"]);
});

test("a write cut short after moving the old version aside: readers get the old version", () => {
  store.write("guests/101.json", { v: 1 });
  // the state between the write's two renames: the old version aside, the new one not yet in
  renameSync(join(dir, "guests/101.json"), join(dir, "guests/101.json.aside"));
  writeFileSync(join(dir, "guests/101.json.tmp-123-abc"), '{"v": 2');
  expect(store.read("guests/101.json")).toEqual({ v: 1 });
  expect(store.list("guests")).toEqual(["101.json"]);
  store.write("guests/101.json", { v: 3 });
  expect(store.read("guests/101.json")).toEqual({ v: 3 });
  store.remove("guests/101.json");
  expect(store.read("guests/101.json")).toBeUndefined();
  expect(existsSync(join(dir, "guests/101.json.aside"))).toBe(false);
  expect(store.list("guests")).toEqual([]);
});

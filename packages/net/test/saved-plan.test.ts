import { checkSavedPlan, parseSavedPlan, plan, planDigest, savePlan } from "../src/index.js";
import { PlanStaleError, SpecError } from "../src/errors.js";
import { empty, matching, spec } from "./support/plan-fixture.js";

const meta = {
  target: "https://pve:8006",
  specFile: "/s.yaml",
  specText: "a: 1\n",
  now: new Date(0),
};

test("a saved plan round-trips through its file and passes when nothing changed", () => {
  const p = plan(spec, empty);
  const text = JSON.stringify(savePlan(p, meta));
  const saved = parseSavedPlan(text, "p.json");
  expect(saved.planSha256).toBe(planDigest(p));
  expect(() =>
    checkSavedPlan(saved, {
      target: meta.target,
      specText: meta.specText,
      fresh: plan(spec, empty),
    }),
  ).not.toThrow();
});

test("another target, another spec text, another plan: each refused with its reason", () => {
  const saved = savePlan(plan(spec, empty), meta);
  const fresh = plan(spec, empty);
  const reason = (f: () => void): unknown => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(PlanStaleError);
      return (err as PlanStaleError).details;
    }
    throw new Error("not refused");
  };
  expect(
    reason(() =>
      checkSavedPlan(saved, { target: "https://other:8006", specText: meta.specText, fresh }),
    ),
  ).toMatchObject({ planned: meta.target, target: "https://other:8006" });
  expect(
    reason(() => checkSavedPlan(saved, { target: meta.target, specText: "a: 2\n", fresh })),
  ).toMatchObject({ specFile: "/s.yaml" });
  // the cluster now matches the spec: every saved step is no longer planned
  const details = reason(() =>
    checkSavedPlan(saved, {
      target: meta.target,
      specText: meta.specText,
      fresh: plan(spec, matching()),
    }),
  ) as { noLongerPlanned: string[]; nowPlanned: string[] };
  expect(details.noLongerPlanned).toEqual([
    ...new Set(saved.plan.actions.map((a) => `${a.op} ${a.id}`)),
  ]);
  expect(details.nowPlanned).toEqual([]);
});

test("a damaged, foreign or hand-edited plan file is refused", () => {
  const saved = savePlan(plan(spec, empty), meta);
  expect(() => parseSavedPlan("{", "p.json")).toThrow(SpecError);
  expect(() => parseSavedPlan(JSON.stringify({ ...saved, format: "x/1" }), "p.json")).toThrow(
    /not a saved plan of this txbox/,
  );
  const edited = { ...saved, plan: { ...saved.plan, actions: saved.plan.actions.slice(1) } };
  expect(() => parseSavedPlan(JSON.stringify(edited), "p.json")).toThrow(
    /edited after it was made/,
  );
});

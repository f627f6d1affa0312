import {
  initialStubbornness,
  normaliseCommand,
  observeCommand,
  shellWords,
} from "../src/stubbornness.js";

describe("normaliseCommand", () => {
  const equivalent: [string, string][] = [
    ["rm -rf /", "rm  -rf   /"],
    ["rm -rf /", "rm -fr /"],
    ["rm -rf /", "rm -f -r /"],
    ["rm -rf /", "rm --recursive --force /"],
    ["rm -rf /", "sudo rm -rf /"],
    ["rm -rf /", "sudo -n -u root rm -rf /"],
    ["rm -rf /", "/bin/rm -R -f /"],
    ["rm -rf /", "'rm' \"-rf\" '/'"],
    ["rm -rf /etc", "rm -rf /etc/"],
    ["rm -rf ~", "rm -rf $HOME"],
    ["rm -rf ~/x", "rm -rf ${HOME}/x"],
    ["cat ./notes.txt", "cat notes.txt"],
    ["git push --force origin main", "git push origin main --force"],
    ["git push --force origin main", "git push -f origin main"],
    ["git reset --hard && ls", "git reset --hard&&ls"],
    ["chmod -R 777 /", "FOO=1 sudo chmod -R 777 /"],
  ];
  test.each(equivalent)("%s equals %s", (a, b) => {
    expect(normaliseCommand(b)).toBe(normaliseCommand(a));
  });

  const different: [string, string][] = [
    ["rm -rf /", "rm -rf /tmp"],
    ["rm -rf src", "rm -rf lib"],
    ["git push origin main", "git push origin main --force"],
    ["cp a b", "cp b a"],
    ["ls; rm x", "ls && rm x"],
  ];
  test.each(different)("%s differs from %s", (a, b) => {
    expect(normaliseCommand(b)).not.toBe(normaliseCommand(a));
  });

  test("gives a readable canonical form", () => {
    expect(normaliseCommand("sudo  rm --force -r ./build/ ; echo 'done  now'")).toBe(
      "rm -f -r build ; echo done  now",
    );
  });

  test("splits words and operators, keeping quoted text whole", () => {
    expect(shellWords(`echo "a b" 'c;d'|wc -l;x&&y||z &`)).toEqual([
      "echo",
      "a b",
      "c;d",
      "|",
      "wc",
      "-l",
      ";",
      "x",
      "&&",
      "y",
      "||",
      "z",
      "&",
    ]);
  });
});

describe("observeCommand", () => {
  test("counts denied attempts per equivalence class and flags the K-th", () => {
    let state = initialStubbornness();
    const verdicts = [
      ["rm -rf /", true],
      ["ls", false],
      ["sudo rm -fr /", true],
      ["rm -rf /tmp/x", true],
      ["rm --force --recursive /", true],
    ].map(([command, denied]) => {
      const r = observeCommand(state, command as string, denied as boolean, { threshold: 3 });
      state = r.state;
      return r.verdict;
    });
    expect(verdicts).toEqual([
      { key: "rm -f -r /", attempts: 1, remaining: 2, stubborn: false },
      { key: "ls", attempts: 0, remaining: 3, stubborn: false },
      { key: "rm -f -r /", attempts: 2, remaining: 1, stubborn: false },
      { key: "rm -f -r /tmp/x", attempts: 1, remaining: 2, stubborn: false },
      { key: "rm -f -r /", attempts: 3, remaining: 0, stubborn: true },
    ]);
  });

  test("is pure: the input state is not changed", () => {
    const state = initialStubbornness();
    observeCommand(state, "rm -rf /", true);
    expect(state).toEqual({ denials: {} });
  });

  test("threshold 1 stops at the first refusal", () => {
    expect(
      observeCommand(initialStubbornness(), "x", true, { threshold: 1 }).verdict.stubborn,
    ).toBe(true);
  });

  test("rejects a threshold below 1", () => {
    expect(() => observeCommand(initialStubbornness(), "x", true, { threshold: 0 })).toThrow(
      RangeError,
    );
  });
});

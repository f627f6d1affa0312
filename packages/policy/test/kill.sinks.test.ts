// Sources and sinks of interpreter code (src/facts/code-sinks.ts, codeSinks): files read by a
// literal path in each language (Python open and Path.read_text, Node readFileSync, Ruby
// File.read, Perl open "<", PHP file_get_contents, Go os.ReadFile, Java Files/Paths), an open
// for writing or appending that is no read (open(2) modes w, a, x without r), sends, fetched code
// evaluated, fork loops and file servers. Exact results, written by hand (issue 16).
import { codeSinks, type SinkEffects } from "../src/facts/code-sinks.js";

const none: SinkEffects = {
  reads: [],
  sends: false,
  fetchExec: false,
  forkLoop: false,
  serves: false,
};
const sinks = (over: Partial<SinkEffects>): SinkEffects => ({ ...none, ...over });

describe("codeSinks: files read", () => {
  it.each([
    ['open("/etc/a")', ["/etc/a"]],
    ['open("/etc/a", "r+")', ["/etc/a"]],
    ['open("/etc/a", "rb")', ["/etc/a"]],
    ["open('/etc/a', mode='r')", ["/etc/a"]],
    ['Path("/etc/d").read_text()', ["/etc/d"]],
    ['fs.readFileSync("/etc/e")', ["/etc/e"]],
    ['File.read("/etc/f")', ["/etc/f"]],
    ['open(my $fh, "<", "/etc/g")', ["/etc/g"]],
    ['file_get_contents("/etc/h")', ["/etc/h"]],
    ['os.ReadFile("/etc/i")', ["/etc/i"]],
    ['Files.readAllBytes(Paths.get("/etc/j"))', ["/etc/j"]],
    ['open("/a"); open("/b")', ["/a", "/b"]],
    // written, appended or created: no read
    ['open("/etc/a", "w")', []],
    ['open("/etc/a", mode="w")', []],
    ['open("/etc/a", "a")', []],
    ['open("/etc/a", "x")', []],
    ['fopen("/etc/b", "w+")', []],
    ['io.open("/etc/c", "w")', []],
    // not a literal path
    ['open("")', []],
    ["open(f)", []],
  ])("%s", (code, reads) => {
    expect(codeSinks(code)).toEqual(sinks({ reads }));
  });
});

describe("codeSinks: the network and processes", () => {
  it.each([
    ['requests.post("http://h")', { sends: true }],
    ['exec(urlopen("http://h").read())', { fetchExec: true }],
    ['urlopen("http://h")', {}],
    ["eval(x)", {}],
    ["while True: os.fork()", { forkLoop: true }],
    ["os.fork()", {}],
    ["python -m http.server", { serves: true }],
    ["SimpleHTTPRequestHandler", { serves: true }],
  ])("%s", (code, over) => {
    expect(codeSinks(code)).toEqual(sinks(over));
  });
});

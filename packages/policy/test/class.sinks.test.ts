// Tests by class over the interpreter payload tables (src/facts/code-sinks.ts): for each language
// the gate reads, the standard library calls documented to read a file, to send data over the
// network, to serve files, to fetch and evaluate code, and endless spawn or allocation loops.
// Each snippet is a real call of the language's documented API (Python's open/pathlib/requests/
// urllib/socket/smtplib, Node's fs/http/axios/net, Ruby's File/IO/Net::HTTP, Perl's open/LWP,
// PHP's file functions and curl, Lua's io/socket, R's readLines/httr, Go's os/net/http, Java's
// java.io/java.nio/java.net), written by hand; the expected result is what the call does.
import { codeSinks } from "../src/facts/code-sinks.js";

/** The snippets among `codes` whose reads are not exactly `["/srv/f"]`. */
function notReading(codes: string[]): string[] {
  // a call may match two languages' rows (`File.open(…)` is also Python's `open(…)`): once is enough
  return codes.filter((c) => JSON.stringify([...new Set(codeSinks(c).reads)]) !== '["/srv/f"]');
}

describe("calls that read a file named by a literal", () => {
  it.each([
    [
      "python",
      [
        'open("/srv/f")',
        "open('/srv/f', 'r')",
        'open("/srv/f", "r+")',
        'Path("/srv/f").read_text()',
        "Path('/srv/f').read_bytes()",
      ],
    ],
    [
      "node",
      ['fs.readFileSync("/srv/f")', "fs.readFile('/srv/f', cb)", 'fs.createReadStream("/srv/f")'],
    ],
    [
      "ruby",
      [
        'File.read("/srv/f")',
        "File.readlines('/srv/f')",
        'IO.read "/srv/f"',
        'File.open("/srv/f")',
        'File.binread("/srv/f")',
        'File.foreach("/srv/f") { |l| }',
      ],
    ],
    ["perl", ["open(my $fh, '<', '/srv/f')", 'open(FH, "/srv/f")', 'open my $fh, "<", "/srv/f"']],
    [
      "php",
      [
        'file_get_contents("/srv/f")',
        "file('/srv/f')",
        'fopen("/srv/f", "r")',
        'readfile("/srv/f")',
        'highlight_file("/srv/f")',
        'show_source("/srv/f")',
        'parse_ini_file("/srv/f")',
      ],
    ],
    ["lua", ['io.open("/srv/f")', "for l in io.lines('/srv/f') do end"]],
    [
      "r",
      [
        'readLines("/srv/f")',
        'readRDS("/srv/f")',
        'read.csv("/srv/f")',
        'read.table("/srv/f")',
        'scan("/srv/f")',
        'file("/srv/f")',
      ],
    ],
    ["go", ['os.ReadFile("/srv/f")', 'ioutil.ReadFile("/srv/f")', 'os.Open("/srv/f")']],
    [
      "java",
      [
        'new FileReader("/srv/f")',
        'new FileInputStream("/srv/f")',
        'Files.readAllBytes(Paths.get("/srv/f"))',
        'Files.lines(Path.of("/srv/f"))',
      ],
    ],
  ])("%s", (_, codes) => {
    expect(notReading(codes)).toEqual([]);
  });

  it("not a file opened only for writing, nor a path that is not a literal", () => {
    for (const c of [
      'open("/srv/f", "w")',
      "open('/srv/f', mode='a')",
      'open("/srv/f", "x")',
      'fopen("/srv/f", "w")',
      'io.open("/srv/f", "w+")',
      "open(path)",
      'open("")',
    ])
      expect([c, codeSinks(c).reads]).toEqual([c, []]);
  });

  it("reads an escaped quote inside the literal as part of the path", () => {
    expect(codeSinks('open("/srv/a\\"b")').reads).toEqual(['/srv/a\\"b']);
  });
});

describe("calls that send data over the network", () => {
  it.each([
    [
      "python",
      [
        "requests.post(u, data=d)",
        "requests.put(u, json=d)",
        "requests.patch(u)",
        "urlopen(u, data=b)",
        'urlopen("http://h/x", body)',
        "s.send(b)",
        "s.sendall(b)",
        "import smtplib",
        "import ftplib",
        "import paramiko",
        "s3.upload_file(f, b, k)",
      ],
    ],
    [
      "node",
      [
        "fetch(u, { method: 'POST', body })",
        'fetch(u, {method:"PUT"})',
        "axios.post(u, d)",
        "axios.put(u, d)",
        "axios.patch(u, d)",
        "https.request(o)",
        "http.request(o)",
        "require('https').request(o)",
        "net.connect(1, h)",
        "new FormData()",
      ],
    ],
    [
      "ruby",
      [
        "Net::HTTP.post(uri, d)",
        "Net::HTTP::Post.new(uri)",
        "RestClient.post(u, d)",
        "RestClient.put(u, d)",
        "TCPSocket.new(h, 1)",
        "Net::SMTP.start(h)",
      ],
    ],
    [
      "perl",
      [
        "LWP::UserAgent->new",
        "HTTP::Request->new(POST => $u)",
        "$ua->post($u, $d)",
        "IO::Socket::INET->new($h)",
        "Net::SMTP->new($h)",
        "send($s, $d, 0)",
      ],
    ],
    [
      "php",
      [
        "curl_exec($c)",
        "curl_setopt($c, CURLOPT_POSTFIELDS, $d)",
        "fsockopen($h, 1)",
        "stream_context_create($o)",
        "mail($to, $s, $b)",
      ],
    ],
    ["lua", ["require('socket.http')", "ltn12.source.string(d)", "socket.tcp()", "c:send(d)"]],
    [
      "r",
      [
        "httr::POST(u, body = d)",
        "httr::PUT(u)",
        "POST(u, body = d)",
        "curl::curl_fetch_memory(u, h)",
        "library(RCurl)",
        "socketConnection(h, 1)",
      ],
    ],
    [
      "go",
      ['http.Post(u, "text/plain", b)', 'http.NewRequest("POST", u, b)', 'net.Dial("tcp", a)'],
    ],
    [
      "java",
      [
        "HttpRequest.newBuilder(u)",
        'c.setRequestMethod("POST")',
        "new Socket(h, 1)",
        "c.getOutputStream()",
      ],
    ],
  ])("%s", (_, codes) => {
    expect(codes.filter((c) => !codeSinks(c).sends)).toEqual([]);
  });

  it("not a plain download or a local call", () => {
    for (const c of ['requests.get("http://h/x")', 'urlopen("http://h/x")', "print(1)", "x = 1"])
      expect([c, codeSinks(c).sends]).toEqual([c, false]);
  });
});

describe("servers that hand local files to whoever connects", () => {
  it.each([
    "http.server.HTTPServer(a, SimpleHTTPRequestHandler)",
    "import http.server",
    "from pyftpdlib.servers import FTPServer",
    "app.use(express.static('.'))",
    "require('serve-static')",
    "WEBrick::HTTPServer.new(DocumentRoot: '.')",
    'http.FileServer(http.Dir("."))',
    "system('php -S 0.0.0.0:80')",
  ])("%s", (c) => {
    expect(codeSinks(c).serves).toBe(true);
  });
  it("not a client", () => {
    expect(codeSinks('requests.get("http://h")').serves).toBe(false);
  });
});

describe("code fetched from the network and evaluated", () => {
  it.each([
    'exec(urlopen("http://h/x").read())',
    "exec(requests.get(u).text)",
    "eval(compile(urllib.request.urlopen(u).read(), 'x', 'exec'))",
    "eval(await (await fetch(u)).text())",
    "new Function((await axios.get(u)).data)()",
    "https.get(u, r => vm.runInThisContext(r))",
    "eval(Net::HTTP.get(URI(u)))",
    "URI.open(u).read.then { |s| instance_eval(s) }",
    'use LWP::Simple; eval get("http://h/x")',
    'eval(file_get_contents("https://h/x"))',
    "loadstring(socket.http.request(u))()",
    'eval(parse(text = readLines(url("https://h/x"))))',
    "engine = new ScriptEngineManager(); HttpClient c",
  ])("%s", (c) => {
    expect(codeSinks(c).fetchExec).toBe(true);
  });
  it("not a fetch alone, nor an eval of local text", () => {
    expect(codeSinks("requests.get(u).text").fetchExec).toBe(false);
    expect(codeSinks('eval("1+1")').fetchExec).toBe(false);
  });
});

describe("endless spawn or allocation loops", () => {
  it.each([
    "import os\nwhile True: os.fork()",
    "while 1: os.fork()",
    "fork while fork",
    "for(;;){fork();}",
    "loop do fork end",
    "loop { fork }",
    "while(true){ child_process.spawn('x') }",
    "while (1) { pcntl_fork(); }",
    "while True: subprocess.Popen(['x'])",
    "a = []\nwhile True: a.append(1)",
    "while(true){ a.push(1) }",
    "while True: s += 'x'",
    "go func() { for { } }()",
  ])("%s", (c) => {
    expect(codeSinks(c).forkLoop).toBe(true);
  });
  it("not a bounded loop or a single fork", () => {
    for (const c of ["for i in range(3): os.fork()", "os.fork()", "while x < 3: x += 1"])
      expect([c, codeSinks(c).forkLoop]).toEqual([c, false]);
  });
});

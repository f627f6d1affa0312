/**
 * Sources and sinks of interpreter code beyond process calls and deletes (see interpreters.ts):
 * which calls read files, send over the network, evaluate fetched code or spawn in a loop, in
 * Python, Node, Ruby, Perl, PHP, Lua, R, Go and Java. A table per concern; each row names the
 * languages it is for, for the reader (the patterns are matched on any payload).
 */

interface Row {
  langs: string;
  re: RegExp;
}

const STR = String.raw`(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)')`;

/** File reads whose first argument is a literal path. */
const READ_CALLS: Row[] = [
  { langs: "python", re: new RegExp(String.raw`\bopen\(\s*${STR}`, "g") },
  { langs: "python", re: new RegExp(String.raw`Path\(\s*${STR}\s*\)\.read_(?:text|bytes)`, "g") },
  { langs: "node", re: new RegExp(String.raw`\breadFile(?:Sync)?\(\s*${STR}`, "g") },
  { langs: "node", re: new RegExp(String.raw`\bcreateReadStream\(\s*${STR}`, "g") },
  {
    langs: "ruby",
    re: new RegExp(
      String.raw`\b(?:File|IO)\.(?:read|readlines|open|binread|foreach)\(?\s*${STR}`,
      "g",
    ),
  },
  {
    langs: "perl",
    re: new RegExp(
      String.raw`\bopen\s*\(?\s*(?:my\s+)?\$?\w+\s*,\s*(?:['"]<['"]\s*,\s*)?${STR}`,
      "g",
    ),
  },
  {
    langs: "php",
    re: new RegExp(
      String.raw`\b(?:file_get_contents|file|fopen|readfile|highlight_file|show_source|parse_ini_file)\(\s*${STR}`,
      "g",
    ),
  },
  { langs: "lua", re: new RegExp(String.raw`\bio\.(?:open|lines)\(\s*${STR}`, "g") },
  {
    langs: "r",
    re: new RegExp(
      String.raw`\b(?:readLines|readRDS|read\.csv|read\.table|scan|file)\(\s*${STR}`,
      "g",
    ),
  },
  {
    langs: "go",
    re: new RegExp(String.raw`\b(?:os\.ReadFile|ioutil\.ReadFile|os\.Open)\(\s*${STR}`, "g"),
  },
  {
    langs: "java",
    re: new RegExp(
      String.raw`\b(?:Files\.read\w*|Files\.lines|new\s+FileReader|new\s+FileInputStream|Paths\.get|Path\.of)\(\s*${STR}`,
      "g",
    ),
  },
];

/** Calls that send data over the network (a request with a body, a socket write, a mail). */
const SEND: Row[] = [
  {
    langs: "python",
    // urlopen(url, data) sends data given as the second argument or as data=
    re: /\brequests\.(post|put|patch)\(|urlopen\([^)]*data\s*=|urlopen\(\s*(?:"[^"]*"|'[^']*'|\w+)\s*,\s*[^)\s]|\.sendall?\(|smtplib|ftplib|paramiko|\.upload_file\(/,
  },
  {
    langs: "node",
    re: /method\s*:\s*['"](POST|PUT|PATCH)['"]|axios\.(post|put|patch)\(|https?(?:['"]\))?\.request\(|\bnet\.connect|FormData\(/,
  },
  {
    langs: "ruby",
    re: /Net::HTTP\.post|Net::HTTP::Post|RestClient\.(post|put)|\.puts\b.*TCPSocket|TCPSocket\.new|Net::SMTP/,
  },
  { langs: "perl", re: /LWP::UserAgent|HTTP::Request|->post\(|IO::Socket::INET|Net::SMTP|send\(/ },
  { langs: "php", re: /curl_exec|CURLOPT_POSTFIELDS|fsockopen|stream_context_create|mail\(/ },
  { langs: "lua", re: /socket\.http|ltn12\.source|socket\.tcp|:send\(/ },
  { langs: "r", re: /httr::(POST|PUT)|\bPOST\(|curl::curl_fetch|RCurl|socketConnection/ },
  { langs: "go", re: /http\.Post|http\.NewRequest\(\s*"(POST|PUT)"|net\.Dial/ },
  {
    langs: "java",
    re: /HttpRequest\.newBuilder|setRequestMethod\(\s*"(POST|PUT)"|new\s+Socket\(|getOutputStream\(/,
  },
];

/** Servers that hand local files to whoever connects (a directory served over HTTP or FTP). */
const SERVE: RegExp =
  /SimpleHTTPRequestHandler|http\.server|pyftpdlib|express\.static|serve-static|WEBrick::HTTPServer|http\.FileServer|php\s+-S\b/;

/** Evaluation of code fetched from the network in the same payload. */
// R's source() of a URL fetches as well as evaluates; so do PowerShell's WebClient and web cmdlets.
const FETCH: RegExp =
  /urlopen|requests\.get|urllib|fetch\(|https?\.get\(|axios|Net::HTTP|open-uri|URI\.open|LWP::Simple|get\(\s*['"]https?:|file_get_contents\(\s*['"]https?:|socket\.http|httr::GET|url\(\s*['"]https?:|download\.file|http\.Get|HttpClient|URL\(|\bsource\(\s*['"]https?:|DownloadString|DownloadData|Invoke-WebRequest|Invoke-RestMethod|\biwr\b|\birm\b/;
const EVAL: RegExp =
  /\bexec\(|\beval\(|\bcompile\(|new\s+Function\(|vm\.runIn\w*\(|\binstance_eval\b|\bload(?:string)?\(|\bdofile\(|eval\s*\(?\s*\$|\beval\s+\w|\bsource\(\s*url|\bsource\(\s*['"]https?:|parse\(\s*text\s*=|ScriptEngine|Invoke-Expression|\biex\b/;

/** Unbounded process creation or allocation: a fork in an endless loop or a self-respawn. */
const FORK_LOOP: RegExp =
  /\bfork\s+while\s+fork\b|while\s*\(?\s*(?:1|true|True)\s*\)?\s*:?\s*\{?[^}]{0,80}?\b(?:os\.fork|fork|Process\.fork|child_process|spawn|Popen|subprocess|pcntl_fork|exec\.Command)\b|for\s*\(\s*;\s*;\s*\)\s*\{?[^}]{0,80}?\b(?:fork|spawn|pcntl_fork)\b|\bloop\s*(?:do|\{)[^}]{0,80}?\bfork\b|(?:while|for)\s*(?:\(\s*(?:1|true|True)\s*\)|True\s*:|\s*\{)[^}]{0,80}?(?:\.append\(|\.push\(|\+=\s*['"]x)|\bgo\s+func\b[^}]{0,80}\bfor\s*\{/;

/** What the sinks table finds in one payload. */
export interface SinkEffects {
  /** Literal paths read. */
  reads: string[];
  /** Sends over the network. */
  sends: boolean;
  /** Fetches and evaluates code from the network. */
  fetchExec: boolean;
  /** Spawns or allocates without bound. */
  forkLoop: boolean;
  /** Serves local files to the network. */
  serves: boolean;
}

/** Read the sources and sinks of one interpreter payload. */
export function codeSinks(code: string): SinkEffects {
  const reads: string[] = [];
  for (const row of READ_CALLS)
    for (const m of code.matchAll(row.re)) {
      const p = m[1] ?? m[2];
      // open(f, "w"), fopen(f, "a"), io.open(f, "w+"): a write, not a read
      const mode = /^\s*,\s*(?:mode\s*=\s*)?['"]([^'"]*)['"]/.exec(
        code.slice(m.index + m[0].length),
      );
      if (mode && /[wax]/.test(mode[1]!) && !mode[1]!.includes("r")) continue;
      if (p !== undefined && p !== "") reads.push(p);
    }
  return {
    reads,
    sends: SEND.some((r) => r.re.test(code)),
    fetchExec: FETCH.test(code) && EVAL.test(code),
    forkLoop: FORK_LOOP.test(code),
    serves: SERVE.test(code),
  };
}

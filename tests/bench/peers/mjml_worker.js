// A warm node process compiling MJML with the official `mjml` package (the render peer).
// argv[2]: the folder holding node_modules/mjml. Reads one JSON request per line on stdin,
// {"mjml": "<mjml>...", "n": 300}, compiles the document n times and answers one JSON line:
// {"seconds": 1.23, "html_bytes": 45678, "errors": 0, "version": "5.x"}.
const path = require("path");
const readline = require("readline");

const root = path.join(process.argv[2], "node_modules", "mjml");
const loaded = require(root);
const mjml2html = loaded.default || loaded;
const version = require(path.join(root, "package.json")).version;

async function compile(source) {
  // mjml 5 returns a promise; mjml 4 returned the result: await works for both.
  return await mjml2html(source, { validationLevel: "soft" });
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const request = JSON.parse(line);
  let result = null;
  const started = process.hrtime.bigint();
  for (let i = 0; i < request.n; i++) {
    result = await compile(request.mjml);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({
    seconds, html_bytes: Buffer.byteLength(result.html), errors: result.errors.length, version,
  }) + "\n");
});

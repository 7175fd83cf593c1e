#!/usr/bin/env node
// Run axe-core against one local HTML file in headless Chromium; print the results as JSON.
//
//   node run-axe.mjs PAGE.html [--chromium /usr/bin/chromium] [--tags wcag2a,wcag2aa,...]
//                    [--viewport 1280x900] [--viewport 320x640] [--timeout 60000]
//
// No browser download and no npm dependency besides axe-core: Chromium (Debian's, or any
// given with --chromium) is started here with a fresh profile and driven over the DevTools
// protocol on a pipe (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4),
// so nothing listens on a port and nothing reaches the network.
//
// Output (stdout): {"axe": VERSION, "browser": PRODUCT, "url": URL,
//                   "runs": [{"viewport": "WxH", "violations": [...], "incomplete": [...],
//                             "passes": N}]}
// Exit 0 when axe ran (whatever it found), 2 on a usage error, 1 when the browser failed.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const DEFAULT_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
  "--remote-debugging-pipe",
];

function parseArgs(argv) {
  const opts = { page: null, chromium: "/usr/bin/chromium", tags: DEFAULT_TAGS,
                 viewports: [], timeout: 60000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--chromium") opts.chromium = value();
    else if (a === "--tags") opts.tags = value().split(",").map((t) => t.trim()).filter(Boolean);
    else if (a === "--viewport") opts.viewports.push(value());
    else if (a === "--timeout") opts.timeout = Number(value());
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else if (opts.page === null) opts.page = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!opts.page) usage("no page given");
  if (opts.viewports.length === 0) opts.viewports.push("1280x900");
  opts.viewports = opts.viewports.map((v) => {
    const m = /^(\d+)x(\d+)$/.exec(v);
    if (!m) usage(`bad viewport ${v} (want WIDTHxHEIGHT)`);
    return { width: Number(m[1]), height: Number(m[2]) };
  });
  return opts;
}

function usage(message) {
  process.stderr.write(`run-axe: ${message}\n`);
  process.exit(2);
}

/** A DevTools-protocol connection over Chromium's pipe (fd 3 = to browser, fd 4 = from it). */
class PipeConnection {
  constructor(child) {
    this.writer = child.stdio[3];
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    let buffer = Buffer.alloc(0);
    child.stdio[4].on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0)) !== -1) {
        const message = JSON.parse(buffer.subarray(0, end).toString("utf8"));
        buffer = buffer.subarray(end + 1);
        this.dispatch(message);
      }
    });
  }

  dispatch(message) {
    if (message.id !== undefined && this.pending.has(message.id)) {
      const { resolve: ok, reject, method } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) reject(new Error(`${method}: ${message.error.message}`));
      else ok(message.result);
      return;
    }
    for (const listener of [...this.listeners]) listener(message);
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((ok, reject) => {
      this.pending.set(id, { resolve: ok, reject, method });
      this.writer.write(JSON.stringify(message) + "\0");
    });
  }

  waitFor(method, sessionId) {
    return new Promise((ok) => {
      const listener = (message) => {
        if (message.method === method && message.sessionId === sessionId) {
          this.listeners.splice(this.listeners.indexOf(listener), 1);
          ok(message.params);
        }
      };
      this.listeners.push(listener);
    });
  }

  failAll(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

async function evaluate(cdp, sessionId, expression, awaitPromise = false) {
  const reply = await cdp.send("Runtime.evaluate",
    { expression, awaitPromise, returnByValue: true }, sessionId);
  if (reply.exceptionDetails) {
    const d = reply.exceptionDetails;
    throw new Error(`page script failed: ${d.exception?.description ?? d.text}`);
  }
  return reply.result.value;
}

function simplify(results) {
  // Keep what a developer needs to fix a rule: id, impact, help, nodes (target + summary).
  return results.map((r) => ({
    id: r.id, impact: r.impact, help: r.help, helpUrl: r.helpUrl, tags: r.tags,
    nodes: r.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300),
                                 summary: n.failureSummary })),
  }));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const require = createRequire(import.meta.url);
  const axePath = require.resolve("axe-core/axe.min.js");
  const axeSource = readFileSync(axePath, "utf8");
  const axeVersion = JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version;
  const url = pathToFileURL(resolve(opts.page)).href;

  const profile = mkdtempSync(join(tmpdir(), "audit-axe-profile-"));
  const child = spawn(opts.chromium, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "about:blank"],
                      { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const cdp = new PipeConnection(child);
  const exited = new Promise((ok) => child.on("exit", (code, signal) => ok({ code, signal })));
  child.on("error", (error) => cdp.failAll(error));
  exited.then(({ code, signal }) =>
    cdp.failAll(new Error(`chromium exited early (code ${code}, signal ${signal}):\n${stderr}`)));
  const timer = setTimeout(() => {
    cdp.failAll(new Error(`timed out after ${opts.timeout} ms\n${stderr}`));
    child.kill("SIGKILL");
  }, opts.timeout);

  try {
    const { product } = await cdp.send("Browser.getVersion");
    const runs = [];
    for (const viewport of opts.viewports) {
      const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
      await cdp.send("Page.enable", {}, sessionId);
      await cdp.send("Emulation.setDeviceMetricsOverride",
        { width: viewport.width, height: viewport.height, deviceScaleFactor: 1,
          mobile: viewport.width < 600 }, sessionId);
      const loaded = cdp.waitFor("Page.loadEventFired", sessionId);
      const nav = await cdp.send("Page.navigate", { url }, sessionId);
      if (nav.errorText) throw new Error(`cannot open ${url}: ${nav.errorText}`);
      await loaded;
      await evaluate(cdp, sessionId, axeSource);
      const options = { runOnly: { type: "tag", values: opts.tags },
                        resultTypes: ["violations", "incomplete"] };
      const raw = await evaluate(cdp, sessionId,
        `axe.run(document, ${JSON.stringify(options)}).then(r => JSON.stringify(
           {violations: r.violations, incomplete: r.incomplete, passes: r.passes.length}))`,
        true);
      const result = JSON.parse(raw);
      runs.push({ viewport: `${viewport.width}x${viewport.height}`,
                  violations: simplify(result.violations),
                  incomplete: simplify(result.incomplete), passes: result.passes });
      await cdp.send("Target.closeTarget", { targetId });
    }
    process.stdout.write(JSON.stringify({ axe: axeVersion, browser: product, url,
                                          tags: opts.tags, runs }, null, 1) + "\n");
    await cdp.send("Browser.close").catch(() => {});
  } finally {
    clearTimeout(timer);
    const deadline = setTimeout(() => child.kill("SIGKILL"), 5000);
    if (child.exitCode === null && child.signalCode === null) await exited;
    clearTimeout(deadline);
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`run-axe: ${error.stack || error}\n`);
  process.exit(1);
});

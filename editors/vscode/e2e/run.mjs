// The browser half of the e2e test (run.sh starts code-server first and sets the
// environment): Debian's chromium, driven by playwright-core, opens the workspace in
// code-server and checks what a person would see:
//   1. the Problems panel shows the unknown-beat error of the broken task, from "fabula";
//   2. the code lens on the scored task's id line shows each sim model's score and the
//      judge count (`▶ Run · sim-writer-a 82.5 · sim-writer-b 73.7 (3 judges)`);
//   3. hovering the task id shows the per-model breakdown.
// Then it saves a screenshot, and:
//   4. "Fabula: Rank Outputs" opens the blind ranking view; dragging the second output
//      above the first and saving writes a ranking record whose order is the dragged one,
//      and the tau-b the view reports is the one `fabula agreement` prints;
//   5. the hover's "Open in report" link opens the report webview at the task's
//      drill-down (both models side by side); its overview has the leaderboard and the
//      charts; the hostile task's texts show as text and nothing in them runs; the
//      webview logs no console error (a Content-Security-Policy violation would be one);
//   6. "Fabula: Compare Two Models on This Task" asks for two models and shows the
//      paired comparison, with the numbers `fabula compare --format json` prints.
// Every request that is not to loopback is aborted.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { HOSTILE } from "../../../runner/cli/e2e/hostile.mjs";

const url = must("FABULA_E2E_URL");
const screenshot = must("FABULA_E2E_SCREENSHOT");
const failshot = process.env.FABULA_E2E_FAILSHOT;
const workspace = must("FABULA_E2E_WORKSPACE");
const fabula = must("FABULA_E2E_FABULA_BIN");
const rankingShot = process.env.FABULA_E2E_RANKING_SCREENSHOT;
const reportShot = process.env.FABULA_E2E_REPORT_SCREENSHOT;
const HOSTILE_TASK = must("FABULA_E2E_HOSTILE_TASK");
const SCORED = "chasqui-road-back";
const BROKEN = "edo-fire-falling";
const STEP_MS = 90_000;

function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through run.sh`);
  return v;
}
function log(msg) {
  process.stdout.write(`== e2e browser: ${msg}\n`);
}
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const blocked = [];
const failures = [];
const CHECKS = 6;
// Console errors logged by a webview's frames (the report's), with their frame's URL.
const webviewErrors = [];
let passed = 0;

async function check(name, fn) {
  try {
    const r = await fn();
    passed++;
    log(`ok: ${name}`);
    return r;
  } catch (e) {
    const msg = `${name}: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`e2e browser CHECK FAILED: ${msg}\n`);
    failures.push(msg);
    return undefined;
  }
}

const browser = await chromium.launch({
  executablePath: process.env.FABULA_E2E_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
  ],
});
let page;
let ok = false;
try {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    // VS Code's webviews (the ranking view) do not load without their service worker.
    // What it fetches bypasses the route below: it serves the webview's own frame from
    // code-server (loopback), and this extension's pages load nothing (CSP
    // default-src 'none').
    serviceWorkers: "allow",
  });
  await context.route("**", (route) => {
    const u = new URL(route.request().url());
    if (["http:", "https:", "ws:", "wss:"].includes(u.protocol) && !LOOPBACK.has(u.hostname)) {
      blocked.push(u.href);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  page = await context.newPage();
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("console", (m) => {
    const where = m.location()?.url ?? "";
    if (m.type() === "error" && where.includes("/webview/")) webviewErrors.push(`${m.text()} (${where})`);
  });

  log(`open ${url}`);
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.locator(".monaco-workbench").waitFor({ timeout: STEP_MS });
  // The explorer shows the workspace once the remote connection is up.
  await page.locator(".explorer-folders-view").first().waitFor({ timeout: STEP_MS });
  await dismissNotifications(page);

  // ---- open the scored task through Quick Open
  await openFile(page, `${SCORED}.yaml`);
  const editor = page.locator(".editor-instance .monaco-editor").first();
  await editor.locator(".view-lines").getByText(`id: ${SCORED}`, { exact: false }).waitFor({ timeout: STEP_MS });
  log(`opened ${SCORED}.yaml`);

  // The three checks run one after the other, each on its own: one failing does not
  // hide what the others would say.
  await check("problems", () => checkProblems(page));
  const scores = await check("code lens", () => checkLens(page, editor));
  await check("hover", () => checkHover(page, editor, scores));

  if (failures.length === 0) {
    await page.screenshot({ path: screenshot });
    log(`screenshot ${screenshot}`);
  }
  await check("ranking", () => checkRanking(page));
  await check("report", () => checkReport(page, editor));
  await check("compare", () => checkCompare(page));

  if (failures.length) throw new Error(`${failures.length} check(s) failed: ${failures.join("; ")}`);
  ok = true;
} catch (e) {
  process.stderr.write(`e2e browser FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  if (page && failshot) {
    await page.screenshot({ path: failshot }).catch(() => {});
    process.stderr.write(`failure screenshot: ${failshot}\n`);
  }
} finally {
  if (blocked.length) log(`blocked ${blocked.length} non-loopback request(s), e.g. ${blocked.slice(0, 3).join(", ")}`);
  await browser.close().catch(() => {});
}
log(ok ? "passed" : "failed");
// A check that never ran (the workbench did not come up) counts as failed. run.sh prints
// the closing `e2e: N passed, N failed` line when all of these pass (it adds one check).
if (passed < CHECKS) process.stdout.write(`e2e: ${passed} passed, ${CHECKS - passed} failed\n`);
process.exit(ok && passed === CHECKS ? 0 : 1);

// Problems panel: the broken task's unknown-beat error, from "fabula".
async function checkProblems(p) {
  await runCommand(p, "View: Focus Problems (Errors, Warnings, Infos)");
  const problems = p.locator(".markers-panel");
  await problems.waitFor({ timeout: STEP_MS });
  const row = problems.locator(".monaco-list-row").filter({ hasText: "falling_acton" }).first();
  await row.waitFor({ timeout: STEP_MS }).catch(() => {
    throw new Error("the Problems panel shows no diagnostic about `falling_acton`");
  });
  const rowText = normalise(await row.innerText());
  for (const want of ["fabula", "unknown-beat", "falling_acton"]) {
    if (!rowText.includes(want)) throw new Error(`Problems row "${rowText}" lacks "${want}"`);
  }
  const fileRow = problems.locator(".monaco-list-row").filter({ hasText: `${BROKEN}.yaml` }).first();
  await fileRow.waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error(`the Problems panel does not list ${BROKEN}.yaml`);
  });
  log(`problems: ${rowText}`);
}

// Code lens on the id line: `▶ Run · sim-writer-a 82.5 · sim-writer-b 73.7 (3 judges)`.
async function checkLens(p, editor) {
  // Scores are on the one 0-100 scale, with one decimal.
  const pattern = /▶ Run · sim-writer-a (\d+\.\d)\*? · sim-writer-b (\d+\.\d)\*? \((\d+) judges?\)/;
  const lens = editor.locator(".codelens-decoration").filter({ hasText: "▶ Run" }).first();
  await lens.waitFor({ timeout: STEP_MS }).catch(() => {
    throw new Error("no code lens `▶ Run …` appeared above the task's id line within 90 s");
  });
  let text = "";
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    text = normalise(await lens.innerText());
    if (pattern.test(text)) break;
    await p.waitForTimeout(500);
  }
  const m = pattern.exec(text);
  if (!m) throw new Error(`code lens is "${text}", expected to match ${pattern}`);
  for (const s of [m[1], m[2]]) {
    if (!(Number(s) >= 0 && Number(s) <= 100)) throw new Error(`code lens score ${s} is not in [0, 100]`);
  }
  if (m[3] !== "3") throw new Error(`code lens says ${m[3]} judges, expected 3 (fabula.yaml has three sim judges)`);
  log(`code lens: ${text}`);
  return { a: m[1], b: m[2] };
}

// Hover on the task id value: the latest score of each model, with the judges' verdicts.
async function checkHover(p, editor, scores) {
  const idToken = editor.locator(".view-line span span").filter({ hasText: new RegExp(`^${SCORED}$`) }).first();
  const hover = p.locator(".monaco-hover:not(.hidden)").filter({ hasText: "sim-writer-b" }).first();
  let text = "";
  for (let attempt = 1; attempt <= 3 && !text; attempt++) {
    await p.mouse.move(700, 5);
    await idToken.hover();
    try {
      await hover.waitFor({ timeout: 15_000 });
      text = normalise(await hover.innerText());
    } catch {
      log(`no hover yet (attempt ${attempt})`);
    }
  }
  if (!text) throw new Error(`hovering \`${SCORED}\` showed no hover with the scores of sim-writer-a and sim-writer-b`);
  const wants = ["sim-writer-a", "sim-writer-b", "sim-judge-1", "sim-judge-2", "sim-judge-3"];
  if (scores) wants.push(`final ${scores.a}`, `final ${scores.b}`);
  for (const want of wants) {
    if (!text.includes(want)) throw new Error(`hover lacks "${want}": ${text.slice(0, 400)}`);
  }
  log(`hover: ${text.slice(0, 160)}…`);
}

// The ranking view: blind outputs, a drag, a save, the record on disk, the agreement.
async function checkRanking(p) {
  await dismissNotifications(p);
  await runCommand(p, "Fabula: Rank Outputs");
  const frame = p.frameLocator("iframe.webview.ready").first().frameLocator("iframe#active-frame");
  const items = frame.locator("li.item");
  await items.first().waitFor({ timeout: STEP_MS });
  const count = await items.count();
  if (count !== 2) throw new Error(`the ranking view shows ${count} outputs, expected 2 (sim-writer-a and sim-writer-b)`);
  const page = normalise(await frame.locator("body").innerText());
  for (const leak of ["sim-writer", "sim/writer", "sim-judge"]) {
    if (page.includes(leak)) throw new Error(`the ranking view shows "${leak}": it must be blind`);
  }
  const ids = async () => Promise.all([0, 1].map((i) => items.nth(i).getAttribute("data-id")));
  const before = await ids();
  // HTML5 drag and drop inside the webview's nested cross-origin frames: the page's own
  // handlers get the events a drag makes (dragstart, dragover on the top edge of the
  // first output, drop, dragend), with one DataTransfer as a browser passes them.
  const inner = await (await items.first().elementHandle()).ownerFrame();
  const dataTransfer = await inner.evaluateHandle(() => new DataTransfer());
  const top = await items.nth(0).evaluate((el) => el.getBoundingClientRect().top);
  await items.nth(1).dispatchEvent("dragstart", { dataTransfer });
  await items.nth(0).dispatchEvent("dragover", { dataTransfer, clientX: 40, clientY: top + 2 });
  await items.nth(0).dispatchEvent("drop", { dataTransfer, clientX: 40, clientY: top + 2 });
  await items.nth(0).dispatchEvent("dragend", { dataTransfer });
  const after = await ids();
  if (after[0] !== before[1]) throw new Error(`dragging the second output above the first left the order ${after.join(", ")}`);
  await frame.locator("#note").fill("e2e: the second one first");
  await frame.locator("#save").click();
  const status = frame.locator("#status");
  let said = "";
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline && !said.startsWith("Ranking saved")) {
    said = normalise(await status.innerText());
    if (said.startsWith("Not saved")) throw new Error(said);
    await p.waitForTimeout(250);
  }
  const m = /tau-b against the judges' median order: ([+-]\d\.\d\d)/.exec(said);
  if (!m) throw new Error(`after saving the view says "${said}", expected the tau-b against the judges`);
  if (rankingShot) await p.screenshot({ path: rankingShot });
  // The record on disk: the dragged order, by the ids the view showed.
  const dir = path.join(workspace, "results", "rankings", SCORED);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith("rank-s0-") && f.endsWith(".json"));
  if (files.length !== 1) throw new Error(`${dir} holds ${files.length} ranking records, expected 1`);
  const record = JSON.parse(fs.readFileSync(path.join(dir, files[0]), "utf8"));
  const idOf = (g) =>
    createHash("sha256")
      .update(`${record.seed}\n${SCORED}\n0\n${g.record}`)
      .digest("hex")
      .slice(0, 8)
      .replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 16)));
  const stored = record.ranks.map((group) => group.map(idOf).join("="));
  if (stored.join(">") !== after.join(">")) throw new Error(`the record ranks ${stored.join(" > ")}, the view showed ${after.join(" > ")}`);
  if (record.rater !== "e2e@example.org" || record.note !== "e2e: the second one first") {
    throw new Error(`the record's rater or note is wrong: ${record.rater}, ${record.note}`);
  }
  // The agreement that follows: the CLI reads the record and agrees with the view.
  const agreement = JSON.parse(execFileSync(fabula, ["agreement", "--format", "json"], { cwd: workspace, encoding: "utf8" }));
  const median = agreement.rows.find((r) => r.median);
  if (median?.tau === undefined || median.tau === null || median.tau.toFixed(2).replace(/^(?!-)/, "+") !== m[1]) {
    throw new Error(`fabula agreement says tau ${median?.tau}, the view said ${m[1]}`);
  }
  log(`ranking: ${said}`);
}

// A webview's document whose content has `selector` (the webviews are nested frames of
// their own origin; several may be open).
async function webviewFrame(p, selector, timeout = STEP_MS) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of p.frames()) {
      if (await f.locator(selector).count().catch(() => 0)) return f;
    }
    await p.waitForTimeout(250);
  }
  throw new Error(`no webview shows ${selector} within ${timeout / 1000} s`);
}

// The report webview: opened from the task hover's link at the task's drill-down; its
// overview; hostile model text as text; no console error in the webview.
async function checkReport(p, editor) {
  await dismissNotifications(p);
  await runCommand(p, "View: Close All Editors");
  await openFile(p, `${SCORED}.yaml`);
  await editor.locator(".view-lines").getByText(`id: ${SCORED}`, { exact: false }).waitFor({ timeout: STEP_MS });
  const idToken = editor.locator(".view-line span span").filter({ hasText: new RegExp(`^${SCORED}$`) }).first();
  const link = p.locator(".monaco-hover:not(.hidden) a").filter({ hasText: "Open in report" }).first();
  let clicked = false;
  for (let attempt = 1; attempt <= 3 && !clicked; attempt++) {
    await p.mouse.move(700, 5);
    await idToken.hover();
    try {
      await link.waitFor({ timeout: 15_000 });
      await link.click();
      clicked = true;
    } catch {
      log(`no "Open in report" link to click yet (attempt ${attempt})`);
    }
  }
  if (!clicked) throw new Error("the task hover has no clickable \"Open in report\" link");
  const frame = await webviewFrame(p, "#task-detail .entry");
  const entries = frame.locator("#task-detail .sample:not([hidden]) .entry");
  await entries.first().waitFor({ timeout: STEP_MS });
  const models = await entries.evaluateAll((es) => es.map((e) => e.dataset.model).sort());
  if (models.join(",") !== "sim-writer-a,sim-writer-b") throw new Error(`the drill-down shows ${models.join(", ")}`);
  const heading = normalise(await frame.locator("#task-detail").innerText());
  if (!heading.includes(SCORED)) throw new Error(`the report did not open at ${SCORED}: ${heading.slice(0, 200)}`);
  // The overview above it.
  const rows = await frame.locator("#leaderboard + .wide tbody tr").count();
  if (rows !== 2) throw new Error(`the report's leaderboard has ${rows} rows, expected 2`);
  const cells = await frame.locator('figure[data-chart="heatmap"] svg rect').count();
  const radars = await frame.locator('figure[data-chart="radar"] svg polygon').count();
  if (cells < 3 || radars !== 2) throw new Error(`charts: ${cells} heatmap cells, ${radars} radar polygons`);
  if (reportShot) {
    // Away from the hover, so that the screenshot shows the report.
    await p.mouse.move(1300, 850);
    await p.locator(".monaco-hover:not(.hidden)").first().waitFor({ state: "hidden", timeout: 10_000 }).catch(() => {});
    await p.screenshot({ path: reportShot });
  }
  // The hostile task: its texts as text, nothing run, no element out of them.
  await frame.evaluate((t) => {
    location.hash = new URLSearchParams({ task: t, model: "sim-writer-a" }).toString();
  }, HOSTILE_TASK);
  const entry = frame.locator('#task-detail .sample:not([hidden]) .entry[data-model="sim-writer-a"]');
  await frame.locator("#task-detail").getByText(HOSTILE_TASK, { exact: true }).first().waitFor({ timeout: STEP_MS });
  const text = await entry.locator(".text").innerText();
  for (const line of HOSTILE.split("\n")) {
    if (!text.includes(line)) throw new Error(`the report lacks, as text: ${line}`);
  }
  const pwned = await frame.evaluate(() => window.__pwned);
  if (pwned !== undefined) throw new Error(`injected code ran in the webview (window.__pwned = ${pwned})`);
  for (const sel of ["#task-detail script", "#task-detail img", "#task-detail textarea", 'a[href^="javascript:"]']) {
    if (await frame.locator(sel).count()) throw new Error(`an element came out of model text: ${sel}`);
  }
  if (webviewErrors.length) throw new Error(`console errors in the webview: ${webviewErrors.join(" | ")}`);
  log(`report: drill-down of ${SCORED} (${models.join(", ")}), ${rows} leaderboard rows, hostile text inert`);
}

// Compare: two quick picks, then the paired comparison, as `fabula compare` computes it.
async function checkCompare(p) {
  await dismissNotifications(p);
  await runCommand(p, "View: Close All Editors");
  await openFile(p, `${SCORED}.yaml`);
  await runCommand(p, "Fabula: Compare Two Models on This Task");
  for (const model of ["sim-writer-a", "sim-writer-b"]) {
    const item = p.locator(".quick-input-list .monaco-list-row").filter({ hasText: model }).first();
    await item.waitFor({ timeout: STEP_MS });
    await item.click();
  }
  const frame = await webviewFrame(p, "table#overall");
  const body = normalise(await frame.locator("body").innerText());
  const cli = JSON.parse(
    execFileSync(fabula, ["compare", "sim-writer-a", "sim-writer-b", "--task", SCORED, "--format", "json"], {
      cwd: workspace,
      encoding: "utf8",
    }),
  );
  const overall = (cli.comparisons ?? [cli])[0].overall;
  if (!overall) throw new Error(`fabula compare found no pair: ${JSON.stringify(cli).slice(0, 300)}`);
  const want = (overall.diff > 0 && overall.diff.toFixed(1) !== "0.0" ? "+" : "") + overall.diff.toFixed(1);
  const cell = normalise(await frame.locator("table#overall tbody td strong").first().innerText());
  if (cell !== want.replace("-0.0", "0.0")) throw new Error(`the view says B − A = ${cell}, fabula compare ${want}`);
  const counts = `${overall.wins} / ${overall.ties} / ${overall.losses}`;
  if (!body.includes(counts)) throw new Error(`the view lacks wins / ties / losses ${counts}: ${body.slice(0, 300)}`);
  if (!body.includes("sim-writer-b (B) against sim-writer-a (A)")) throw new Error(`the view's title: ${body.slice(0, 120)}`);
  log(`compare: B − A = ${cell}, ${counts}`);
}

function normalise(s) {
  return s.replace(/\u00a0/g, " ").replace(/\s+/g, " ").trim();
}

async function dismissNotifications(p) {
  // Toasts (e.g. about the dead gallery) would cover the Problems panel and the hover.
  await p.keyboard.press("Escape").catch(() => {});
}

async function runCommand(p, label) {
  await p.keyboard.press("F1");
  const input = p.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${label}`);
  const item = p.locator(".quick-input-list .monaco-list-row").filter({ hasText: label }).first();
  await item.waitFor({ timeout: 10_000 });
  await p.keyboard.press("Enter");
}

async function openFile(p, name) {
  await p.keyboard.press("Control+P");
  const input = p.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 10_000 });
  await input.fill(name);
  const item = p.locator(".quick-input-list .monaco-list-row").filter({ hasText: name }).first();
  await item.waitFor({ timeout: STEP_MS });
  await p.keyboard.press("Enter");
}

// The browser half of the report's e2e test (run.sh writes the report first): Debian's
// chromium, driven by playwright-core, opens the page from file:// and checks what a
// reader would see. Every request that is not the file itself is aborted and counted.
//
//   FABULA_REPORT=<report.html> FABULA_REPORT_SCREENSHOT=<png> node run.mjs
//
// Environment: FABULA_REPORT_HOSTILE (task id whose sim-writer-a texts are hostile),
// FABULA_REPORT_BIG (task id with a 1 MiB generation), FABULA_REPORT_AGENTIC (a task
// whose generations are conversations), FABULA_REPORT_MODELS (models expected, comma-
// separated), FABULA_E2E_CHROMIUM (the browser, default /usr/bin/chromium).
import { launch } from "./browser.mjs";
import { pathToFileURL } from "node:url";
import { BIG_END, EVIDENCE, HOSTILE, REASON } from "./hostile.mjs";

const report = must("FABULA_REPORT");
const screenshot = must("FABULA_REPORT_SCREENSHOT");
const hostileTask = must("FABULA_REPORT_HOSTILE");
const bigTask = must("FABULA_REPORT_BIG");
const agenticTask = must("FABULA_REPORT_AGENTIC");
const models = must("FABULA_REPORT_MODELS").split(",");
const failshot = process.env.FABULA_REPORT_FAILSHOT;
const url = pathToFileURL(report).href;

function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through run.sh`);
  return v;
}
function log(msg) {
  process.stdout.write(`== report e2e browser: ${msg}\n`);
}

const failures = [];
let passed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    log(`ok: ${name}`);
  } catch (e) {
    const msg = `${name}: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`report e2e CHECK FAILED: ${msg}\n`);
    failures.push(msg);
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}
function normalise(s) {
  return s.replace(/\u00a0/g, " ").replace(/[ \t]+/g, " ").trim();
}

const browser = await launch();
const consoleErrors = [];
const requests = [];
let page;
const CHECKS = 8;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1800 }, deviceScaleFactor: 1 });
  await context.route("**", (route) => {
    const u = route.request().url();
    if (u.split("#")[0] === url) return route.continue();
    requests.push(u);
    return route.abort("blockedbyclient");
  });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    consoleErrors.push(`a dialog opened: ${d.message()}`);
    d.dismiss().catch(() => {});
  });

  const started = Date.now();
  await page.goto(url, { waitUntil: "load" });
  log(`loaded ${url} in ${Date.now() - started} ms`);

  await check("overview: leaderboard, recommendation and every chart as SVG", async () => {
    const rows = await page.locator("#leaderboard + .wide tbody tr").count();
    expect(rows === models.length, `leaderboard has ${rows} rows, expected ${models.length}`);
    const rec = normalise(await page.locator(".recommend").innerText());
    expect(models.some((m) => rec.includes(m)) && rec.includes("The rule:"), `recommendation reads "${rec}"`);
    const count = (chart, el) => page.locator(`figure[data-chart="${chart}"] svg ${el}`).count();
    const types = await page.locator("#f-type option").count() - 1;
    expect((await count("heatmap", "rect")) >= models.length * types + 1, "the heatmap lacks a cell per model and type");
    const radars = await page.locator('figure[data-chart="radar"] svg').count();
    expect(radars === models.length, `${radars} radar charts, expected ${models.length}`);
    expect((await count("radar", "polygon")) === models.length, "a radar lacks its polygon");
    for (const chart of ["cost", "latency"]) {
      expect((await count(chart, "circle")) >= models.length, `the ${chart} chart lacks a dot per model`);
    }
    expect((await count("agreement", "rect")) >= 9, "the agreement matrix lacks its 3 × 3 cells");
    expect((await count("improvement", "polyline")) >= models.length, "the improvement chart lacks a line per model");
    await page.screenshot({ path: screenshot });
    log(`screenshot ${screenshot}`);
  });

  await check("the item table filters and sorts", async () => {
    const total = await page.locator("#items-table tbody tr").count();
    await page.selectOption("#f-model", models[0]);
    const shown = await page.locator("#items-table tbody tr:not([hidden])").count();
    expect(shown > 0 && shown < total, `filtering on ${models[0]} shows ${shown} of ${total}`);
    expect((await page.locator("#items-count").innerText()).startsWith(`${shown} of ${total}`), "the count is not updated");
    await page.selectOption("#f-model", "");
    await page.click('#items-table th[data-sort="score"]');
    await page.click('#items-table th[data-sort="score"]');
    const first = await page.locator("#items-table tbody tr").first().getAttribute("data-score");
    const all = await page.$$eval("#items-table tbody tr", (rs) => rs.map((r) => r.dataset.score).filter((s) => s !== ""));
    expect(Number(first) === Math.max(...all.map(Number)), `sorted descending, the first score is ${first}`);
  });

  await check("the drill-down shows each model side by side with verdicts and evidence", async () => {
    await page.locator("#items-table tbody tr", { hasText: hostileTask }).first().click();
    const entries = page.locator("#task-detail .sample:not([hidden]) .entry");
    await entries.first().waitFor({ timeout: 15_000 });
    expect((await entries.count()) === models.length, `${await entries.count()} entries side by side`);
    for (const m of models) {
      expect((await page.locator(`#task-detail .sample:not([hidden]) .entry[data-model="${m}"]`).count()) === 1, `no column for ${m}`);
    }
    expect((await page.locator("#task-detail .sample:not([hidden]) table.verdicts tr").count()) > 4, "no verdict rows");
    // The simulated judges quote the text's first words: marked in the other model's text.
    const other = page.locator(`#task-detail .sample:not([hidden]) .entry[data-model="${models[1]}"]`);
    expect((await other.locator(".text mark").count()) > 0, "no quoted evidence is marked in the text");
    await other.locator("button.q").first().click();
    expect((await other.locator("mark.lit").count()) > 0, "choosing a quote does not light it in the text");
    expect((await other.locator(".text").innerText()).length > 100, "the text is not shown");
  });

  await check("hostile text is shown as text and nothing in it runs", async () => {
    const entry = page.locator(`#task-detail .sample:not([hidden]) .entry[data-model="${models[0]}"]`);
    const text = await entry.locator(".text").innerText();
    for (const line of HOSTILE.split("\n")) {
      expect(text.includes(line), `the text lacks, as text: ${line}`);
    }
    const all = await entry.innerText();
    expect(all.includes(EVIDENCE), "the hostile evidence is not shown as text");
    expect(all.includes(REASON), "the hostile reason is not shown as text");
    const pwned = await page.evaluate(() => window.__pwned);
    expect(pwned === undefined, `injected code ran (window.__pwned = ${pwned})`);
    for (const sel of ["#task-detail script", "#task-detail img", "#task-detail textarea", "#task-detail iframe"]) {
      expect((await page.locator(sel).count()) === 0, `an element came out of model text: ${sel}`);
    }
    expect((await page.locator('a[href^="javascript:"]').count()) === 0, "a javascript: link exists");
    expect((await page.locator("script").count()) === 2 + (await page.locator('script[type="application/octet-stream"]').count()), "a script element was added");
  });

  await check("a conversation reads as turns", async () => {
    await page.evaluate((t) => {
      location.hash = new URLSearchParams({ task: t }).toString();
    }, agenticTask);
    const turns = page.locator("#task-detail .sample:not([hidden]) .entry").first().locator(".turn");
    await turns.first().waitFor({ timeout: 15_000 });
    expect((await turns.count()) > 2, `only ${await turns.count()} turns`);
    const who = (await turns.locator(".who").allInnerTexts()).map((s) => s.toLowerCase());
    expect(who.some((w) => w.startsWith("writer")) && who.some((w) => w.startsWith("harness")), `turns by ${who.join(", ")}`);
    await page.locator("#drill").scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-task.png") });
  });

  await check("a 1 MB generation opens, cut, and the page stays responsive", async () => {
    const started = Date.now();
    await page.evaluate((t) => {
      location.hash = new URLSearchParams({ task: t }).toString();
    }, bigTask);
    // The previous task's entries stay until the new detail is unpacked: wait for this
    // task's, by its id in the detail's heading, before reading.
    await page.locator("#task-detail").getByText(bigTask, { exact: true }).first().waitFor({ timeout: 15_000 });
    const entry = page.locator(`#task-detail .sample:not([hidden]) .entry[data-model="${models[0]}"]`);
    await entry.locator(".text").waitFor({ timeout: 15_000 });
    await entry.getByText(/more bytes are not shown/).waitFor({ timeout: 15_000 }).catch(() => {});
    const note = await entry.innerText();
    expect(/more bytes are not shown/.test(note), "the 1 MB text is not cut with a note");
    expect(!note.includes(BIG_END), "the whole 1 MB text was put in the page");
    const t = await entry.locator(".text").innerText();
    expect(t.length > 150_000, `only ${t.length} characters of the big text are shown`);
    log(`opened the 1 MB generation in ${Date.now() - started} ms`);
  });

  await check("compare: two models picked, their paired comparison by task type", async () => {
    await page.locator("#compare").scrollIntoViewIfNeeded();
    const [a, b] = models;
    await page.selectOption("#c-a", a);
    await page.selectOption("#c-b", b);
    const shown = page.locator(".pair:not([hidden])");
    expect((await shown.count()) === 1, `${await shown.count()} comparisons shown, expected 1`);
    expect((await shown.getAttribute("data-a")) === a && (await shown.getAttribute("data-b")) === b, "the wrong pair is shown");
    const verdict = normalise(await shown.locator(".verdict").innerText());
    expect(verdict.includes(`${b} against ${a}: B − A =`), `the verdict reads "${verdict}"`);
    const types = await page.locator("#f-type option").count() - 1;
    const rows = await shown.locator("table.pair-table tbody tr[data-type]").count();
    expect(rows === types, `${rows} task-type rows, expected ${types}`);
    const ab = normalise(await shown.locator("tr.overall").innerText());
    // The other order: the difference negated, wins and losses swapped.
    await page.selectOption("#c-a", b);
    await page.selectOption("#c-b", a);
    const other = page.locator(".pair:not([hidden])");
    expect((await other.getAttribute("data-a")) === b, "choosing the other order shows no other pair");
    const ba = normalise(await other.locator("tr.overall").innerText());
    const diff = (row) => Number(row.split(" ")[5]);
    expect(Math.abs(diff(ab) + diff(ba)) < 1e-9, `B − A is ${diff(ab)} one way, ${diff(ba)} the other`);
    // The same model twice: nothing shown, and the page says why.
    await page.selectOption("#c-b", b);
    expect((await page.locator(".pair:not([hidden])").count()) === 0, "a pair is shown for one model against itself");
    expect((await page.locator("#compare-note").innerText()).includes("two different"), "no note about picking two models");
    await page.selectOption("#c-a", a);
  });

  await check("no console errors, no request besides the file", async () => {
    expect(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
    expect(requests.length === 0, `requests: ${requests.join(", ")}`);
  });
} catch (e) {
  failures.push(`${e instanceof Error ? e.message : String(e)}`);
  process.stderr.write(`report e2e FAILED: ${e instanceof Error ? e.stack : String(e)}\n`);
} finally {
  if (failures.length && page && failshot) {
    await page.screenshot({ path: failshot, fullPage: false }).catch(() => {});
    process.stderr.write(`failure screenshot: ${failshot}\n`);
  }
  await browser.close().catch(() => {});
}
process.stdout.write(`report e2e: ${passed} passed, ${CHECKS - passed} failed\n`);
process.exit(passed === CHECKS ? 0 : 1);

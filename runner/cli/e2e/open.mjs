// How long a report takes to open in chromium, for the results benchmark
// (runner/cli/benches/results.rs runs it when chromium and this folder's node_modules are
// there). Usage: node open.mjs <report.html> [runs]. Prints one JSON line:
//   {"open_ms": [...], "task_ms": [...]}
// open_ms: navigation start to the page's script having filled the item count (parsed,
// laid out, interactive); task_ms: choosing the first item until its drill-down shows.
import { launch } from "./browser.mjs";
import { pathToFileURL } from "node:url";

const [report, runs = "5"] = process.argv.slice(2);
if (!report) throw new Error("usage: node open.mjs <report.html> [runs]");
const url = pathToFileURL(report).href;
const browser = await launch();
const open = [];
const task = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector("#items-count")?.textContent !== "", null, {
      timeout: 60_000,
    });
    open.push(Date.now() - t0);
    const t1 = Date.now();
    await page.locator("#items-table tbody tr").first().click();
    await page.locator("#task-detail .entry").first().waitFor({ timeout: 60_000 });
    task.push(Date.now() - t1);
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify({ open_ms: open, task_ms: task })}\n`);

// Puts untrusted text into a results store the way a hostile model or judge would:
// markup that would run script if it were ever inserted as HTML, a textarea breakout,
// `javascript:` links, template syntax, and a 1 MB generation. Usage:
//
//   node hostile.mjs <results-dir> <model> <task> <big-task>
//
// It rewrites the stored generation of <model> on <task> (output and transcript) and
// that generation's evaluations (evidence, reasons), and makes <model>'s generation of
// <big-task> 1 MiB long (<big-task> `-`: none; the VS Code e2e plants only the hostile
// texts). The records stay valid: judges' hashes (view_sha) are kept, so
// the report counts them as it would any record.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const HOSTILE = [
  "<script>window.__pwned = 1</script>",
  "</textarea><textarea>",
  '<img src=x onerror="window.__pwned = 2">',
  '<a href="javascript:window.__pwned = 3">click me</a> [md link](javascript:alert(4))',
  "</script><script>window.__pwned = 5</script><!-- {{ 7*7 }} {% raw %}",
].join("\n");
export const EVIDENCE = '<img src=x onerror="window.__pwned = 6">';
export const REASON = "</textarea><script>window.__pwned = 7</script>";
export const BIG_END = "END-OF-THE-BIG-GENERATION";

function records(dir) {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .map((n) => join(dir, n));
}

function edit(path, change) {
  const r = JSON.parse(readFileSync(path, "utf8"));
  change(r);
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}

// Run as a program (imported, it only lends run.mjs the texts to look for).
if (import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

function main([results, model, task, bigTask]) {
  if (!bigTask) throw new Error("usage: node hostile.mjs <results-dir> <model> <task> <big-task>");

  let n = 0;
  for (const path of records(join(results, model, task))) {
    const name = path.split("/").pop();
    if (name.startsWith("gen-")) {
      edit(path, (r) => {
        r.output = `Opening line.\n${HOSTILE}\nClosing line.`;
        const last = r.transcript.findLast((t) => t.actor === "writer");
        if (last) last.content = r.output;
      });
      n++;
    } else if (name.startsWith("eval-")) {
      edit(path, (r) => {
        for (const c of r.criteria) {
          c.evidence = EVIDENCE;
          c.reason = REASON;
          for (const i of c.items ?? []) {
            i.evidence = "Opening line.";
            i.reason = REASON;
          }
        }
      });
      n++;
    }
  }
  const big = bigTask === "-" ? [] : records(join(results, model, bigTask));
  for (const path of big.filter((p) => p.split("/").pop().startsWith("gen-"))) {
    edit(path, (r) => {
      const line = "The lamp burned all night and the keeper counted ships. ";
      r.output = `${line.repeat(Math.ceil((1 << 20) / line.length))}${BIG_END}`;
    });
    n++;
  }
  if (n < (bigTask === "-" ? 2 : 3)) throw new Error(`found only ${n} record(s) to rewrite under ${results}/${model}`);
  process.stdout.write(`== report e2e: rewrote ${n} record(s) with hostile text\n`);
}

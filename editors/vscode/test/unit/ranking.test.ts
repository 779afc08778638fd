// The ranking view's page and messages: blind (outputs by letter, no model name), inert
// (model text escaped, one script with a nonce, no inline handlers), and the ranks a save
// sends.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RankingItemsResult } from "../../src/protocol";
import { isSaveMessage, outputLabel, rankGroups, rankingHtml, savedMessage } from "../../src/ranking";

const HOSTILE = `</pre><script>alert("x")</script><img src=x onerror="alert(1)"> & 'quotes'`;

function view(): RankingItemsResult {
  return {
    task: "chasqui-road-back",
    sample: 0,
    samples: [0, 1],
    seed: "00fab01a5eed0001",
    rater: "ann@example.org",
    brief: "Beats: <b>setup</b>",
    items: [
      { id: "1a2b3c4d", text: HOSTILE, transcript: [] },
      { id: "5e6f7a8b", text: "Plain.", transcript: [{ actor: "writer", content: HOSTILE }] },
    ],
  };
}

describe("the ranking page", () => {
  test("escapes every model text and runs only its own script", () => {
    const html = rankingHtml(view(), "N0NCE", "vscode-resource:");
    assert.ok(!html.includes("<script>alert"), "no planted script");
    assert.ok(!html.includes("<img"), "no planted element");
    assert.ok(!/\son[a-z]+="/i.test(html), "no inline event handler");
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(html.includes(`<script nonce="N0NCE">`));
    assert.ok(html.includes("script-src 'nonce-N0NCE'"));
    assert.ok(html.includes("default-src 'none'"));
    assert.ok(html.includes("&#60;/pre&#62;&#60;script&#62;"), "the text is shown, escaped");
    assert.ok(html.includes("Beats: &#60;b&#62;setup&#60;/b&#62;"));
  });

  test("is blind: outputs by letter and id, the transcript behind a disclosure", () => {
    const html = rankingHtml(view(), "N0NCE", "vscode-resource:");
    assert.ok(html.includes(`data-id="1a2b3c4d" aria-label="Output A"`));
    assert.ok(html.includes(`data-id="5e6f7a8b" aria-label="Output B"`));
    assert.ok(html.includes("<details><summary>Transcript (1 turns)</summary>"));
    assert.ok(!/sim-|writer-a|model/i.test(html.replace(/<script[\s\S]*<\/script>/, "")), "no model name");
    assert.equal(outputLabel(0), "A");
    assert.equal(outputLabel(27), "B2");
  });
});

describe("saving", () => {
  test("ties join the group above", () => {
    assert.deepEqual(rankGroups(["a", "b", "c"], [false, true, false]), [["a", "b"], ["c"]]);
    assert.deepEqual(rankGroups(["a", "b", "c"], [true, false, true]), [["a"], ["b", "c"]]);
    assert.deepEqual(rankGroups([], []), []);
  });

  test("only a well-formed save message is acted on", () => {
    assert.ok(isSaveMessage({ type: "save", ranks: [["a"], ["b", "c"]], note: "" }));
    for (const bad of [null, "save", { type: "save", ranks: [["a"], [1]], note: "" }, { type: "save", ranks: "a", note: "" }, { type: "other", ranks: [], note: "" }]) {
      assert.ok(!isSaveMessage(bad), JSON.stringify(bad));
    }
  });

  test("says the tau against the judges when there is one", () => {
    assert.equal(savedMessage({ file: "/r.json", median_tau: 1 }), "Ranking saved. Kendall's tau-b against the judges' median order: +1.00.");
    assert.equal(savedMessage({ file: "/r.json", median_tau: -0.5 }), "Ranking saved. Kendall's tau-b against the judges' median order: -0.50.");
    assert.equal(savedMessage({ file: "/r.json" }), "Ranking saved.");
  });
});

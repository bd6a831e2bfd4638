// ui_browser.js - drives heapwatch's UI in headless Chromium as a user would.
//
// usage: node ui_browser.js BASE_URL TARGET
//
// BASE_URL is a running `heapwatch serve` (test_web.sh starts one) and TARGET a
// target with several stored heap scrapes. On the targets page it clicks TARGET; on
// the target page it checks that the flame graph appears (its SVG script ran), then
// changes the sample type and the base through the selectors and checks that the
// flame graph is redrawn for them, follows every link on the page (each must answer
// 200) and goes back to the list. Any console error, uncaught exception or failed
// load fails the step it happened in. Prints "ok NAME" / "FAIL NAME: why" lines and a
// summary; test_web.sh counts the lines.
"use strict";

const { waitFor, run, ok, fail, check, checkErrors } = require("./cdp");

const base = process.argv[2];
const target = process.argv[3];
const timeoutMs = +(process.env.UI_BROWSER_TIMEOUT || 120) * 1000;

// The flame graph object of the target page, once its SVG has loaded and its script
// has parsed the frames: {data, title, subtitle, frames}, or null.
const FLAME = `(function () {
    var o = document.getElementById("flame");
    var d = o && o.contentDocument, w = o && o.contentWindow;
    if (!d || !w || !w.hwFlame || !d.getElementById("subtitle")) return null;
    return {data: o.getAttribute("data"), title: d.getElementById("title").textContent,
            subtitle: d.getElementById("subtitle").textContent, frames: w.hwFlame.frames.length};
})()`;

async function flameWhere(page, cond, what) {
    await waitFor(page, `(function () { var f = ${FLAME}; return !!(f && (${cond})); })()`, what);
    return page.eval(FLAME);
}

async function clickSelector(page, sel) {
    const box = await page.eval(`(function () {
        var r = document.querySelector(${JSON.stringify(sel)}).getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2};
    })()`);
    await page.click(box.x, box.y);
}

// Picks option value v of the select named name, as a user's choice does (the
// change event is what the UI listens to).
async function choose(page, name, v) {
    await page.eval(`(function () {
        var s = document.querySelector('select[name="${name}"]');
        s.value = ${JSON.stringify(v)};
        s.dispatchEvent(new Event("change", {bubbles: true}));
    })()`);
}

async function listPage(page) {
    await page.goto(base + "/");
    await waitFor(page, `document.querySelectorAll("a.tname").length > 0`, "the targets table");
    const names = await page.eval(`Array.from(document.querySelectorAll("a.tname")).map(a => a.textContent)`);
    check("list: targets shown", names.includes(target), "targets " + names.join(", "));
    // Each sparkline fills in when its own /api/profiles answer arrives.
    try {
        await waitFor(page, `document.querySelectorAll("svg.spark polyline").length > 0`, "a sparkline", 10000);
        ok("list: sparklines drawn");
    } catch (e) {
        fail("list: sparklines drawn", e.message);
    }
    checkErrors(page, "list");
}

async function targetPage(page) {
    const idx = await page.eval(`Array.from(document.querySelectorAll("a.tname"))
        .findIndex(a => a.textContent === ${JSON.stringify(target)})`);
    await page.eval(`document.querySelectorAll("a.tname")[${idx}].id = "hw-click-me"`);
    await clickSelector(page, "#hw-click-me");
    await waitFor(page, `location.hash.indexOf("target=") >= 0`, "the click to open the target page");
    let f = await flameWhere(page, "f.frames > 1", "the flame graph");
    check("target: flame graph appears", f.frames > 1 && /inuse_space/.test(f.subtitle),
        JSON.stringify(f));
    await waitFor(page, `document.querySelectorAll("#toptable tr").length > 1`, "the top table");
    ok("target: top table filled");
    checkErrors(page, "target");

    const types = await page.eval(`Array.from(document.querySelectorAll('select[name="sample_index"] option')).map(o => o.value)`);
    const want = types.includes("inuse_objects") ? "inuse_objects" : types[types.length - 1];
    await choose(page, "sample_index", want);
    f = await flameWhere(page, `f.data.indexOf("sample_index=${want}") >= 0 && f.subtitle.indexOf("${want}") >= 0`,
        "the flame graph of " + want);
    check("sample type: flame graph redrawn for " + want, f.frames > 1, JSON.stringify(f));
    const sel = await page.eval(`document.querySelector('select[name="sample_index"]').value`);
    check("sample type: the choice survives the redraw", sel === want, "select shows " + sel);
    checkErrors(page, "sample type");

    const ids = await page.eval(`Array.from(document.querySelectorAll('select[name="base"] option')).map(o => o.value)
        .filter(v => /^[0-9]+$/.test(v))`);
    if (ids.length < 2) {
        fail("base", "fewer than two stored scrapes to choose from: " + ids.join(","));
        return;
    }
    const oldest = ids[ids.length - 1];
    await choose(page, "base", oldest);
    f = await flameWhere(page, `f.data.indexOf("base=${oldest}") >= 0 && /Differential/.test(f.title)`,
        "the diff flame graph against " + oldest);
    check("base: diff flame graph against the oldest scrape", /vs/.test(f.subtitle) && f.frames > 1,
        JSON.stringify(f));
    checkErrors(page, "base");
}

// Every link on the page answers 200 (hash links must name a target page).
async function links(page) {
    const hrefs = await page.eval(`Array.from(document.querySelectorAll("a[href]")).map(a => a.getAttribute("href"))`);
    const http = [...new Set(hrefs.filter((h) => !h.startsWith("#")))];
    const hashes = hrefs.filter((h) => h.startsWith("#"));
    check("links: the page has its export links", http.length >= 5, "links " + http.join(" "));
    const bad = await page.eval(`Promise.all(${JSON.stringify(http)}.map(h =>
        fetch(h).then(r => r.status === 200 ? null : h + " -> " + r.status, e => h + " -> " + e))).then(v => v.filter(x => x))`);
    check("links: all " + http.length + " resolve (200)", bad.length === 0, bad.join("; "));
    const badHash = hashes.filter((h) => h !== "#" && !/^#target=/.test(h));
    check("links: in-page links name a target", badHash.length === 0, badHash.join(" "));
    await clickSelector(page, "header a");
    await waitFor(page, `document.querySelectorAll("a.tname").length > 0`, "the list after going back");
    ok("links: the header leads back to the targets");
    checkErrors(page, "back");
}

run([listPage, targetPage, links], timeoutMs, true);

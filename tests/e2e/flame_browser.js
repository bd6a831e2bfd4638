// flame_browser.js - checks the flame graph SVG's script in headless Chromium.
//
// usage: node flame_browser.js DIR
//
// DIR holds SVGs made by test_flame.sh (simple.svg, deep.svg, hostile.svg, diff.svg,
// inverted.svg). Chromium is driven over the DevTools protocol (cdp.js), so nothing
// needs installing. Clicks and keys are real input events; prompt() dialogs are
// answered through the protocol. Every console error, uncaught exception or failed
// request fails the page it happened on. Prints "ok NAME" or "FAIL NAME: why" per
// check; test_flame.sh counts them.
"use strict";

const fs = require("fs");
const path = require("path");
const { run, ok, fail, check, checkErrors } = require("./cdp");

const dir = process.argv[2];
const timeoutMs = +(process.env.FLAME_BROWSER_TIMEOUT || 180) * 1000;

// The state of the graph as the script left it: per frame its name, whether it is
// shown, its fill, rect geometry and label.
const STATE = `(function () {
    return {
        matched: document.getElementById("matched").textContent,
        unzoomHidden: document.getElementById("unzoom").classList.contains("hide"),
        search: document.getElementById("search").textContent,
        searchHidden: document.getElementById("search").classList.contains("hide"),
        url: location.search,
        frames: hwFlame.frames.map(function (f) {
            var t = f.g.getElementsByTagName("text")[0];
            return {name: f.name, path: null, depth: f.depth, parent: f.parent,
                    hidden: f.g.classList.contains("hide"),
                    fill: f.rect.getAttribute("fill"), fill0: f.fill0,
                    x: parseFloat(f.rect.getAttribute("x")), w: parseFloat(f.rect.getAttribute("width")),
                    label: t ? t.textContent : ""};
        })
    };
})()`;

async function state(page) {
    const s = await page.eval(STATE);
    for (const f of s.frames) {
        const names = [];
        for (let g = f; g.parent >= 0; g = s.frames[g.parent]) names.unshift(g.name);
        f.path = names.join(";");
    }
    return s;
}

function byPath(s, p) {
    return s.frames.find((f) => f.path === p);
}

function near(a, b) {
    return Math.abs(a - b) < 0.02;
}

function fileUrl(name, query) {
    return "file://" + path.resolve(dir, name) + (query || "");
}


// simple.svg: a;b;c 1, a;b;c 1, a;b;d 4, a;b;c 3, a;b 5 (total 14; c 5, d 4).
async function testSimple(page) {
    await page.goto(fileUrl("simple.svg"));
    let s = await state(page);
    check("simple: frames parsed", s.frames.map((f) => f.path).join(",") === ",a,a;b,a;b;c,a;b;d",
        "frames " + s.frames.map((f) => f.path).join(","));
    check("simple: search control shown by the script", !s.searchHidden, "still hidden");

    await page.eval(`hwFlame.search("^c$")`);
    s = await state(page);
    check("simple: search ^c$ reports 35.7%", s.matched === "Matched: 35.7%", s.matched);
    const lit = s.frames.filter((f) => f.fill === "#e600e6").map((f) => f.path);
    check("simple: search highlights only c", lit.join(",") === "a;b;c", "highlighted " + lit.join(","));
    check("simple: search is kept in the URL", s.url === "?s=%5Ec%24", "url " + s.url);

    await page.eval(`hwFlame.search("c|d")`);
    s = await state(page);
    check("simple: search c|d reports 64.3%", s.matched === "Matched: 64.3%", s.matched);
    await page.eval(`hwFlame.search("b")`);
    s = await state(page);
    check("simple: nested matches count once (b = 100%)", s.matched === "Matched: 100%", s.matched);

    // Search through the UI: Ctrl-F opens a prompt, answered through the protocol.
    await page.eval(`hwFlame.resetSearch()`);
    page.promptAnswer = "d";
    await page.key("f", "KeyF", 70, 2 /* Ctrl */);
    s = await state(page);
    check("simple: Ctrl-F searches (d = 28.6%)", s.matched === "Matched: 28.6%", s.matched);
    check("simple: Search button turns into Reset Search", s.search === "Reset Search", s.search);

    // Zoom by clicking frame c: c fills the width, its ancestors span it, d hides.
    await page.clickFrame("a;b;c");
    s = await state(page);
    const c = byPath(s, "a;b;c"), d = byPath(s, "a;b;d"), b = byPath(s, "a;b");
    check("simple: click zooms c to the full width", near(c.x, 10) && near(c.w, 1180), `c at ${c.x} w ${c.w}`);
    check("simple: zoom hides c's sibling d", d.hidden, "d shown");
    check("simple: zoom keeps ancestor b, full width", !b.hidden && near(b.w, 1180), `b hidden=${b.hidden} w=${b.w}`);
    check("simple: Reset Zoom appears", !s.unzoomHidden, "still hidden");
    check("simple: matched is of the zoomed view (d in c: 0%)", s.matched === "Matched: 0.0%", s.matched);
    check("simple: zoom is kept in the URL", /(^|[?&])x=a%3Bb%3Bc(&|$)/.test(s.url.slice(1)) || s.url.includes("x=a%3Bb%3Bc"), "url " + s.url);

    // Clicking an ancestor zooms out to it.
    await page.clickFrame("a;b");
    s = await state(page);
    check("simple: clicking an ancestor zooms to it", !byPath(s, "a;b;d").hidden && near(byPath(s, "a;b").w, 1180),
        "d hidden=" + byPath(s, "a;b;d").hidden);

    // Reset Zoom restores the original geometry and labels exactly.
    const box = await page.eval(`(function () { var r = document.getElementById("unzoom").getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`);
    await page.click(box.x, box.y);
    s = await state(page);
    check("simple: Reset Zoom restores the layout",
        s.frames.every((f) => !f.hidden) && near(byPath(s, "a;b;c").w, 421.43) && near(byPath(s, "a;b;d").x, 431.43),
        JSON.stringify(s.frames.map((f) => [f.path, f.x, f.w, f.hidden])));
    check("simple: Reset Zoom hides itself", s.unzoomHidden, "still shown");
    check("simple: matched back to the whole graph (d = 28.6%)", s.matched === "Matched: 28.6%", s.matched);

    // Escape clears the search and restores the colours.
    await page.key("Escape", "Escape", 27);
    s = await state(page);
    check("simple: Escape resets the search", s.matched === "" && s.frames.every((f) => f.fill === f.fill0),
        "matched " + s.matched);
    await checkErrors(page, "simple");

    // The view in the URL is restored on load.
    await page.goto(fileUrl("simple.svg", "?s=d&x=a%3Bb%3Bd"));
    s = await state(page);
    check("simple: ?x= zooms on load", near(byPath(s, "a;b;d").w, 1180) && byPath(s, "a;b;c").hidden,
        JSON.stringify(byPath(s, "a;b;d")));
    check("simple: ?s= searches on load (100% of the zoomed d)", s.matched === "Matched: 100%", s.matched);
    await page.goto(fileUrl("simple.svg", "?s=%E0%A4%A&x=nope"));
    s = await state(page);
    check("simple: malformed URL state is ignored", s.matched === "" && s.unzoomHidden, s.matched);
    await page.eval(`hwFlame.search("(")`);
    s = await state(page);
    check("simple: a bad regexp is reported, not thrown", /^Bad regexp/.test(s.matched), s.matched);
    await checkErrors(page, "simple (URL state)");
}

// deep.svg: labels refitted by the script agree with the ones fitted in C.
async function testLabels(page) {
    await page.goto(fileUrl("deep.svg"));
    const r = await page.eval(`(function () {
        var bad = [];
        hwFlame.frames.forEach(function (f) {
            var t = f.g.getElementsByTagName("text")[0], want = hwFlame.fit(f.name, f.ow + 0);
            if ((t ? t.textContent : "") !== want && Math.abs(f.ow - parseFloat(f.w0)) < 1e-9)
                bad.push(f.name + ": svg '" + (t ? t.textContent : "") + "' script '" + want + "'");
        });
        return {n: hwFlame.frames.length, bad: bad.slice(0, 5), nbad: bad.length};
    })()`);
    // Widths in the SVG are rounded to 1/100 px, so a label on the edge may differ.
    check("labels: the script fits labels as C does", r.nbad <= Math.max(1, r.n / 100), r.nbad + " differ: " + r.bad.join("; "));
    const over = await page.eval(`(function () {
        var bad = [];
        hwFlame.frames.forEach(function (f) {
            var t = f.g.getElementsByTagName("text")[0];
            if (t && t.getComputedTextLength() > f.ow - 2 * 3 + 1.5) bad.push(f.name + " " + t.getComputedTextLength() + " > " + f.ow);
        });
        return bad;
    })()`);
    check("labels: rendered labels fit their frames (browser metrics)", over.length === 0, over.slice(0, 5).join("; "));
    const big = await page.eval(`(function () {
        var i, f; for (i = 0; i < hwFlame.frames.length; i++) { f = hwFlame.frames[i];
            if (f.depth > 3 && f.ow < 200 && f.ow > 20) return hwFlame.frames.indexOf(f); } return -1; })()`);
    if (big >= 0) {
        await page.eval(`hwFlame.zoom(${big})`);
        const z = await page.eval(`(function () { var f = hwFlame.frames[${big}], t = f.g.getElementsByTagName("text")[0];
            return {label: t ? t.textContent : "", name: f.name}; })()`);
        check("labels: a zoomed frame shows its whole name", z.label === z.name || z.label.startsWith("\u2026/"),
            JSON.stringify(z));
    }
    await checkErrors(page, "labels");
}

// hostile.svg: names that are markup must stay text, and nothing may run.
async function testHostile(page) {
    await page.goto(fileUrl("hostile.svg"));
    const r = await page.eval(`(function () {
        return {alert: typeof window.hwPwned, scripts: document.getElementsByTagName("script").length,
                names: hwFlame.frames.map(function (f) { return f.name; })};
    })()`);
    check("hostile: injected markup did not run", r.alert === "undefined", "window.hwPwned is " + r.alert);
    check("hostile: only our own script element", r.scripts === 1, r.scripts + " script elements");
    check("hostile: the markup name is literal text",
        r.names.some((n) => n.indexOf("</text><script>window.hwPwned=1</script>") >= 0), r.names.join(" | "));
    await page.eval(`hwFlame.search("script")`);
    const s = await state(page);
    check("hostile: search finds the literal name", /^Matched: [1-9]/.test(s.matched), s.matched);
    await checkErrors(page, "hostile");
}

// diff.svg and inverted.svg: the script copes with both orientations and diff markup.
async function testOthers(page) {
    await page.goto(fileUrl("inverted.svg"));
    let s = await state(page);
    check("inverted: tree rebuilt from an icicle", byPath(s, "a;b;c") && byPath(s, "a;b;c").depth === 3,
        s.frames.map((f) => f.path + "@" + f.depth).join(","));
    await page.clickFrame("a;b;d");
    s = await state(page);
    check("inverted: click zooms", near(byPath(s, "a;b;d").w, 1180) && byPath(s, "a;b;c").hidden, "no zoom");
    await checkErrors(page, "inverted");

    await page.goto(fileUrl("diff.svg"));
    s = await state(page);
    await page.eval(`hwFlame.search("^e$")`);
    s = await state(page);
    check("diff: search works on a diff (e = 20.0%)", s.matched === "Matched: 20.0%", s.matched);
    await checkErrors(page, "diff");

    // <img> and <object> embedding: the picture loads without the script's help.
    const html = path.resolve(dir, "embed.html");
    fs.writeFileSync(html, '<!doctype html><html><body><img id="i" src="simple.svg">' +
        '<object id="o" type="image/svg+xml" data="simple.svg"></object></body></html>');
    await page.goto("file://" + html);
    const img = await page.eval(`new Promise(function (res) {
        var i = document.getElementById("i");
        function done() { res({w: i.naturalWidth, h: i.naturalHeight, complete: i.complete}); }
        if (i.complete) done(); else i.onload = i.onerror = done; })`);
    check("embed: <img> renders the SVG", img.w === 1200 && img.h > 100, JSON.stringify(img));
    const obj = await page.eval(`new Promise(function (res) {
        var o = document.getElementById("o"), n = 0;
        (function poll() {
            var d = null;
            try { d = o.contentDocument; } catch (e) {}
            if (d && d.defaultView && d.defaultView.hwFlame) {
                d.defaultView.hwFlame.search("^d$");
                res(d.getElementById("matched").textContent);
            } else if (++n > 100) res("no script in <object>");
            else setTimeout(poll, 50);
        })(); })`);
    check("embed: the script runs inside <object>", obj === "Matched: 28.6%", obj);
    await checkErrors(page, "embed");
}

run([testSimple, testLabels, testHostile, testOthers], timeoutMs, false);

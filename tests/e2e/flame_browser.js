// flame_browser.js - checks the flame graph SVG's script in headless Chromium.
//
// usage: node flame_browser.js DIR
//
// DIR holds SVGs made by test_flame.sh (simple.svg, deep.svg, hostile.svg, diff.svg,
// inverted.svg). Chromium is driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4), so nothing
// needs installing. Clicks and keys are real input events; prompt() dialogs are
// answered through the protocol. Every console error, uncaught exception or failed
// request fails the page it happened on. Prints "ok NAME" or "FAIL NAME: why" per
// check; test_flame.sh counts them.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const dir = process.argv[2];
const chromium = process.env.CHROMIUM || "chromium";
const timeoutMs = +(process.env.FLAME_BROWSER_TIMEOUT || 180) * 1000;
let passed = 0, failed = 0;

function ok(name) {
    passed++;
    console.log("ok   " + name);
}
function fail(name, why) {
    failed++;
    console.log("FAIL " + name + ": " + why);
}
function check(name, cond, why) {
    if (cond) ok(name);
    else fail(name, why);
}

class Browser {
    constructor() {
        this.profile = fs.mkdtempSync(path.join(os.tmpdir(), "hw-chromium-"));
        this.proc = spawn(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-extensions", "--allow-file-access-from-files",
            "--user-data-dir=" + this.profile, "--remote-debugging-pipe", "about:blank",
        ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
        this.stderr = "";
        this.proc.stderr.on("data", (d) => { this.stderr = (this.stderr + d).slice(-4000); });
        this.out = this.proc.stdio[3];
        this.in = this.proc.stdio[4];
        this.id = 0;
        this.pending = new Map();
        this.listeners = [];
        let buf = "";
        this.in.on("data", (d) => {
            buf += d.toString("utf8");
            let nul;
            while ((nul = buf.indexOf("\0")) >= 0) {
                const msg = JSON.parse(buf.slice(0, nul));
                buf = buf.slice(nul + 1);
                this.dispatch(msg);
            }
        });
        this.exited = new Promise((resolve) => this.proc.on("exit", resolve));
    }
    dispatch(msg) {
        if (msg.id !== undefined && this.pending.has(msg.id)) {
            const { resolve, reject, method } = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            if (msg.error) reject(new Error(method + ": " + msg.error.message));
            else resolve(msg.result);
            return;
        }
        for (const l of this.listeners) l(msg);
    }
    send(method, params, sessionId) {
        const id = ++this.id;
        const msg = { id, method, params: params || {} };
        if (sessionId) msg.sessionId = sessionId;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject, method });
            this.out.write(JSON.stringify(msg) + "\0");
        });
    }
    async close() {
        try {
            await Promise.race([this.send("Browser.close"), new Promise((r) => setTimeout(r, 3000))]);
        } catch (e) {
            /* already gone */
        }
        if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
        await this.exited;
        /* Chromium's helper processes may still be writing into the profile for a
         * moment after the browser exits (ENOTEMPTY): retry, and never fail a test
         * over the clean-up itself. */
        try {
            fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
        } catch (e) {
            process.stderr.write(`note: could not remove ${this.profile}: ${e.code}\n`);
        }
    }
}

// One tab with its own session, collecting errors and answering prompts.
class Page {
    constructor(browser, sessionId) {
        this.b = browser;
        this.s = sessionId;
        this.errors = [];
        this.promptAnswer = null;
        this.loaded = null;
        browser.listeners.push((msg) => {
            if (msg.sessionId !== this.s) return;
            const p = msg.params;
            if (msg.method === "Runtime.exceptionThrown")
                this.errors.push("exception: " + (p.exceptionDetails.exception
                    ? p.exceptionDetails.exception.description : p.exceptionDetails.text));
            else if (msg.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert"))
                this.errors.push("console." + p.type + ": " + p.args.map((a) => a.value || a.description).join(" "));
            else if (msg.method === "Log.entryAdded" && p.entry.level === "error")
                this.errors.push("log: " + p.entry.text + (p.entry.url ? " (" + p.entry.url + ")" : ""));
            else if (msg.method === "Page.javascriptDialogOpening")
                this.send("Page.handleJavaScriptDialog", {
                    accept: this.promptAnswer !== null, promptText: this.promptAnswer || "",
                }).catch(() => {});
            else if (msg.method === "Page.loadEventFired" && this.loaded) this.loaded();
        });
    }
    static async open(browser) {
        const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" });
        const { sessionId } = await browser.send("Target.attachToTarget", { targetId, flatten: true });
        const page = new Page(browser, sessionId);
        for (const d of ["Page", "Runtime", "Log", "Network"]) await page.send(d + ".enable");
        await page.send("Emulation.setDeviceMetricsOverride", {
            width: 1300, height: 1000, deviceScaleFactor: 1, mobile: false,
        });
        return page;
    }
    send(method, params) {
        return this.b.send(method, params, this.s);
    }
    async goto(url) {
        const done = new Promise((r) => { this.loaded = r; });
        await this.send("Page.navigate", { url });
        await done;
        this.loaded = null;
    }
    async eval(expr) {
        const r = await this.send("Runtime.evaluate", { expression: expr, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails)
            throw new Error("evaluate " + expr + ": " + (r.exceptionDetails.exception
                ? r.exceptionDetails.exception.description : r.exceptionDetails.text));
        return r.result.value;
    }
    async click(x, y) {
        for (const type of ["mouseMoved", "mousePressed", "mouseReleased"])
            await this.send("Input.dispatchMouseEvent", { type, x, y, button: "left", clickCount: 1 });
    }
    // Clicks the middle of the frame whose path (names root first, ";") is p.
    async clickFrame(p) {
        const box = await this.eval(`(function () {
            var i = hwFlame.findPath(${JSON.stringify(p)});
            var r = hwFlame.frames[i].rect.getBoundingClientRect();
            return {i: i, x: r.left + r.width / 2, y: r.top + r.height / 2};
        })()`);
        await this.click(box.x, box.y);
        return box.i;
    }
    async key(key, code, keyCode, modifiers) {
        const base = { key, code, windowsVirtualKeyCode: keyCode, modifiers: modifiers || 0 };
        await this.send("Input.dispatchKeyEvent", Object.assign({ type: "rawKeyDown" }, base));
        await this.send("Input.dispatchKeyEvent", Object.assign({ type: "keyUp" }, base));
    }
}

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

async function checkErrors(page, name) {
    check(name + ": no console errors", page.errors.length === 0, page.errors.join("; "));
    page.errors = [];
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

async function main() {
    const b = new Browser();
    const timer = setTimeout(() => {
        fail("browser", "timed out after " + timeoutMs / 1000 + "s; chromium said: " + b.stderr.slice(-500));
        b.proc.kill("SIGKILL");
        console.log(`${passed} passed, ${failed} failed`);
        process.exit(1);
    }, timeoutMs);
    try {
        const page = await Page.open(b);
        for (const t of [testSimple, testLabels, testHostile, testOthers]) {
            try {
                await t(page);
            } catch (e) {
                fail(t.name, e.message);
            }
        }
    } catch (e) {
        fail("browser", e.message + "; chromium said: " + b.stderr.slice(-500));
    }
    clearTimeout(timer);
    await b.close();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main();

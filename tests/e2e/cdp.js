// cdp.js - a small driver for headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4), so that the
// browser tests need nothing installed beyond node and Debian's chromium. A Page
// collects every console error, uncaught exception and failed load in .errors.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const chromium = process.env.CHROMIUM || "chromium";

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

// Resolves once cond() (an expression evaluated in the page) is truthy; rejects with
// what after ms.
async function waitFor(page, cond, what, ms) {
    const end = Date.now() + (ms || 15000);
    for (;;) {
        if (await page.eval(cond)) return;
        if (Date.now() > end) throw new Error("timed out waiting for " + what);
        await new Promise((r) => setTimeout(r, 100));
    }
}

// The checks' tally: each prints "ok NAME" or "FAIL NAME: why"; the test scripts
// count those lines, and run() ends with the summary line.
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
// Fails NAME for whatever errors the page collected since the last call.
function checkErrors(page, name) {
    check(name + ": no console errors", page.errors.length === 0, page.errors.join("; "));
    page.errors = [];
}

// Starts Chromium, runs each test(page) on one page in order (a test that throws
// fails under its name; with stopOnThrow the rest are skipped, as they build on it),
// closes the browser, prints the summary and exits 1 when anything failed or when
// the whole run passed timeoutMs.
async function run(tests, timeoutMs, stopOnThrow) {
    const b = new Browser();
    const timer = setTimeout(() => {
        fail("browser", "timed out after " + timeoutMs / 1000 + "s; chromium said: " + b.stderr.slice(-500));
        b.proc.kill("SIGKILL");
        console.log(`${passed} passed, ${failed} failed`);
        process.exit(1);
    }, timeoutMs);
    try {
        const page = await Page.open(b);
        for (const t of tests) {
            try {
                await t(page);
            } catch (e) {
                fail(t.name, e.message + (page.errors.length ? "; errors: " + page.errors.join("; ") : ""));
                if (stopOnThrow) break;
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

module.exports = { Browser, Page, waitFor, ok, fail, check, checkErrors, run };

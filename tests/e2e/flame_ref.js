// flame_ref.js - an independent reading of folded stacks into the d3-flame-graph
// JSON that `heapwatch flame -format=json -minwidth=0` must print byte for byte.
//
// usage: node flame_ref.js [-reverse] [-weight] FILE   (one count column, or two: a diff)
//
// Deliberately naive: every line is walked down a tree of plain objects keyed by
// name, siblings are ordered by the bytes of their names (or heaviest first), and
// values are summed on the way, so it shares no code or idea with render/flame.c.
"use strict";
const fs = require("fs");

const args = process.argv.slice(2);
const reverse = args.includes("-reverse"), weight = args.includes("-weight");
const file = args.filter((a) => !a.startsWith("-"))[0];
const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
const rows = [];
let two = true;
for (const line of lines) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m2 = /^(.*?)\s+(-?\d+)\s+(-?\d+)\s*$/.exec(line), m1 = /^(.*?)\s+(-?\d+)\s*$/.exec(line);
    if (!m1) throw new Error("bad line " + line);
    if (!m2) two = false;
    rows.push({ m1, m2 });
}
const root = { name: "all", cur: 0, base: 0, kids: new Map() };
for (const { m1, m2 } of rows) {
    const stack = two ? m2[1] : m1[1];
    const cur = Number(two ? m2[3] : m1[2]), base = two ? Number(m2[2]) : 0;
    // `heapwatch fold` writes an empty stack as "<no stack>"; flame counts it in the
    // root only. Control characters show as U+FFFD, as in every heapwatch output.
    let frames = stack === "" || stack === "<no stack>" ? []
        : stack.split(";").map((f) => f.replace(/[\x00-\x1f\x7f-\x9f]/g, "\ufffd"));
    if (reverse) frames = frames.reverse();
    const add = (n) => { if (cur > 0) n.cur += cur; if (base > 0) n.base += base; };
    let node = root;
    add(node);
    for (const f of frames) {
        if (!node.kids.has(f)) node.kids.set(f, { name: f, cur: 0, base: 0, kids: new Map() });
        node = node.kids.get(f);
        add(node);
    }
}
function out(n) {
    let s = "{\"name\":" + JSON.stringify(n.name).replace(/</g, "\\u003c").replace(/>/g, "\\u003e")
        .replace(/&/g, "\\u0026") + ",\"value\":" + n.cur;
    if (two) s += ",\"delta\":" + (n.cur - n.base);
    const kids = [...n.kids.values()].filter((k) => k.cur > 0);
    kids.sort((a, b) => weight && a.cur !== b.cur ? b.cur - a.cur
        : Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    if (kids.length) s += ",\"children\":[" + kids.map(out).join(",") + "]";
    return s + "}";
}
process.stdout.write(out(root) + "\n");

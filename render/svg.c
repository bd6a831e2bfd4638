/* svg.c - the interactive SVG: one self-contained file (inline CSS and script, no
 * external requests) that looks right without its script, as in an <img>, and is
 * interactive when opened or embedded with <object>: tooltips, click to zoom, regex
 * search with "Matched: x%" of the current view, and the view kept in the URL.
 *
 * Size matters for big profiles, so a frame is one <g> holding a <title> (the name
 * and values), a <rect> and, only when a label fits, a <text>; coordinates are printed
 * with at most two decimals and shared attributes live in the style sheet. The script
 * finds the tree again from the document order (depth first) and each row's y. */
#include "svg.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* The script that makes the graph interactive. It reads its parameters from HW_CONF,
 * written just before it, and fits labels with the same advances as text_fit(). */
static const char svg_script[] =
    "(function () {\n"
    "    \"use strict\";\n"
    "    var C = HW_CONF;\n"
    "    var doc = document, frames = [], zoomed = 0, term = null;\n"
    "    var details = doc.getElementById(\"details\"), matched = "
    "doc.getElementById(\"matched\");\n"
    "    var unzoom = doc.getElementById(\"unzoom\"), searchbtn = doc.getElementById(\"search\");\n"
    "    var NS = \"http://www.w3.org/2000/svg\";\n"
    "\n"
    "    function width(s) {\n"
    "        var w = 0, i, c;\n"
    "        for (i = 0; i < s.length; i++) {\n"
    "            c = s.charCodeAt(i);\n"
    "            if (c >= 32 && c <= 126) w += C.adv[c - 32];\n"
    "            else if (c < 0xdc00 || c > 0xdfff) w += C.other;\n"
    "        }\n"
    "        return w;\n"
    "    }\n"
    "    function shortName(n) {\n"
    "        var end = n.search(/[(\\[ ]/), sl;\n"
    "        if (end < 0) end = n.length;\n"
    "        sl = end > 0 ? n.lastIndexOf(\"/\", end - 1) : -1;\n"
    "        return sl >= 0 && sl + 1 < n.length ? n.substring(sl + 1) : n;\n"
    "    }\n"
    "    /* The same fitting as text_fit() in render/text.c, with the same advances. */\n"
    "    function fit(name, w) {\n"
    "        var avail = w - 2 * C.lpad, base = name, s, cand, limit, x = 0, chars = 0, best = 0, "
    "i, k, c;\n"
    "        if (w < 4 * C.lpad) return \"\";\n"
    "        if (width(name) <= avail) return name;\n"
    "        if (!C.fullnames) {\n"
    "            s = shortName(name);\n"
    "            if (s !== name) {\n"
    "                cand = \"\\u2026/\" + s;\n"
    "                if (width(cand) <= avail) return cand;\n"
    "                base = s;\n"
    "            }\n"
    "        }\n"
    "        limit = avail - width(\"..\");\n"
    "        for (i = 0; i < base.length; i += k) {\n"
    "            c = base.charCodeAt(i);\n"
    "            k = c >= 0xd800 && c <= 0xdbff && i + 1 < base.length ? 2 : 1;\n"
    "            x += width(base.substr(i, k));\n"
    "            if (x > limit) break;\n"
    "            if (++chars >= 2) best = i + k;\n"
    "        }\n"
    "        return best ? base.substring(0, best) + \"..\" : \"\";\n"
    "    }\n"
    "    function num(v) {\n"
    "        return String(Math.round(v * 100) / 100);\n"
    "    }\n"
    "    function setLabel(f, w) {\n"
    "        var label = fit(f.name, w);\n"
    "        if (!f.text) {\n"
    "            if (label === \"\") return;\n"
    "            f.text = doc.createElementNS(NS, \"text\");\n"
    "            f.text.setAttribute(\"y\", f.ty);\n"
    "            f.g.appendChild(f.text);\n"
    "        }\n"
    "        f.text.textContent = label;\n"
    "    }\n"
    "    function place(f, x, w, parent) {\n"
    "        f.g.classList.remove(\"hide\");\n"
    "        f.g.classList.toggle(\"parent\", parent);\n"
    "        f.rect.setAttribute(\"x\", num(x));\n"
    "        f.rect.setAttribute(\"width\", num(w));\n"
    "        if (f.text || w >= 4 * C.lpad) {\n"
    "            setLabel(f, w);\n"
    "            if (f.text) f.text.setAttribute(\"x\", num(x + C.lpad));\n"
    "        }\n"
    "    }\n"
    "    function restore(f) {\n"
    "        f.g.classList.remove(\"hide\");\n"
    "        f.g.classList.remove(\"parent\");\n"
    "        f.rect.setAttribute(\"x\", f.x0);\n"
    "        f.rect.setAttribute(\"width\", f.w0);\n"
    "        if (f.text) {\n"
    "            f.text.setAttribute(\"x\", num(parseFloat(f.x0) + C.lpad));\n"
    "            f.text.textContent = f.label0;\n"
    "        }\n"
    "    }\n"
    "    function init() {\n"
    "        var gs = doc.getElementById(\"frames\").children, stack = [], i, g, rect, text, f, "
    "row;\n"
    "        for (i = 0; i < gs.length; i++) {\n"
    "            g = gs[i];\n"
    "            rect = g.getElementsByTagName(\"rect\")[0];\n"
    "            text = g.getElementsByTagName(\"text\")[0] || null;\n"
    "            row = Math.round((parseFloat(rect.getAttribute(\"y\")) - C.top) / C.fh);\n"
    "            f = {\n"
    "                g: g, rect: rect, text: text, idx: i,\n"
    "                title: g.getElementsByTagName(\"title\")[0].textContent,\n"
    "                depth: C.inverted ? row : C.maxdepth - row,\n"
    "                x0: rect.getAttribute(\"x\"), w0: rect.getAttribute(\"width\"),\n"
    "                fill0: rect.getAttribute(\"fill\"),\n"
    "                label0: text ? text.textContent : \"\",\n"
    "                ty: parseFloat(rect.getAttribute(\"y\")) + C.fh - 4\n"
    "            };\n"
    "            f.name = f.title.split(\"\\n\")[0];\n"
    "            f.ox = parseFloat(f.x0);\n"
    "            f.ow = parseFloat(f.w0);\n"
    "            while (stack.length && frames[stack[stack.length - 1]].depth >= f.depth)\n"
    "                frames[stack.pop()].end = i;\n"
    "            f.parent = stack.length ? stack[stack.length - 1] : -1;\n"
    "            g.setAttribute(\"data-i\", i);\n"
    "            stack.push(i);\n"
    "            frames.push(f);\n"
    "        }\n"
    "        while (stack.length) frames[stack.pop()].end = frames.length;\n"
    "    }\n"
    "    function frameOf(e) {\n"
    "        var t = e.target;\n"
    "        while (t && t !== doc && !(t.getAttribute && t.getAttribute(\"data-i\") !== null))\n"
    "            t = t.parentNode;\n"
    "        return t && t !== doc ? frames[+t.getAttribute(\"data-i\")] : null;\n"
    "    }\n"
    "    function pathOf(f) {\n"
    "        var names = [];\n"
    "        for (; f.parent >= 0; f = frames[f.parent]) names.unshift(f.name);\n"
    "        return names.join(\";\");\n"
    "    }\n"
    "    function findPath(p) {\n"
    "        var names = p === \"\" ? [] : p.split(\";\"), i = 0, k, j, f;\n"
    "        for (k = 0; k < names.length; k++) {\n"
    "            f = frames[i];\n"
    "            for (j = i + 1; j < f.end; j = frames[j].end)\n"
    "                if (frames[j].name === names[k]) break;\n"
    "            if (j >= f.end) return 0;\n"
    "            i = j;\n"
    "        }\n"
    "        return i;\n"
    "    }\n"
    "    function saveState() {\n"
    "        var q = [];\n"
    "        if (term !== null) q.push(\"s=\" + encodeURIComponent(term));\n"
    "        if (zoomed > 0) q.push(\"x=\" + encodeURIComponent(pathOf(frames[zoomed])));\n"
    "        try {\n"
    "            history.replaceState(null, \"\", location.pathname + (q.length ? \"?\" + "
    "q.join(\"&\") : \"\") + location.hash);\n"
    "        } catch (err) {\n"
    "            /* Some embeddings (sandboxed frames, data: URLs) refuse; the view still works. "
    "*/\n"
    "        }\n"
    "    }\n"
    "    function zoom(zi) {\n"
    "        var z = frames[zi], scale = (C.width - 2 * C.pad) / z.ow, anc = {}, i, f, p;\n"
    "        zoomed = zi;\n"
    "        for (p = z.parent; p >= 0; p = frames[p].parent) anc[p] = true;\n"
    "        for (i = 0; i < frames.length; i++) {\n"
    "            f = frames[i];\n"
    "            if (zi === 0) restore(f);\n"
    "            else if (i >= zi && i < z.end) place(f, C.pad + (f.ox - z.ox) * scale, f.ow * "
    "scale, false);\n"
    "            else if (anc[i]) place(f, C.pad, C.width - 2 * C.pad, true);\n"
    "            else f.g.classList.add(\"hide\");\n"
    "        }\n"
    "        unzoom.classList.toggle(\"hide\", zi === 0);\n"
    "        if (term !== null) search(term);\n"
    "        saveState();\n"
    "    }\n"
    "    function search(t) {\n"
    "        var re, i, f, sum = 0, view = frames[zoomed], hit = [], p, pct;\n"
    "        try {\n"
    "            re = new RegExp(t);\n"
    "        } catch (err) {\n"
    "            matched.textContent = \"Bad regexp: \" + t;\n"
    "            return;\n"
    "        }\n"
    "        term = t;\n"
    "        for (i = 0; i < frames.length; i++) {\n"
    "            f = frames[i];\n"
    "            hit[i] = re.test(f.name);\n"
    "            f.rect.setAttribute(\"fill\", hit[i] ? C.match : f.fill0);\n"
    "        }\n"
    "        /* Topmost matches only: a matched frame's subtree is already in its width. */\n"
    "        for (i = zoomed; i < view.end;) {\n"
    "            if (hit[i]) {\n"
    "                sum += frames[i].ow;\n"
    "                i = frames[i].end;\n"
    "            } else {\n"
    "                i++;\n"
    "            }\n"
    "        }\n"
    "        for (p = view.parent; p >= 0; p = frames[p].parent)\n"
    "            if (hit[p]) sum = view.ow;\n"
    "        pct = view.ow > 0 ? 100 * sum / view.ow : 0;\n"
    "        matched.textContent = \"Matched: \" + (pct >= 99.995 ? \"100\" : pct.toFixed(1)) + "
    "\"%\";\n"
    "        searchbtn.textContent = \"Reset Search\";\n"
    "        saveState();\n"
    "    }\n"
    "    function resetSearch() {\n"
    "        var i;\n"
    "        term = null;\n"
    "        for (i = 0; i < frames.length; i++) frames[i].rect.setAttribute(\"fill\", "
    "frames[i].fill0);\n"
    "        matched.textContent = \"\";\n"
    "        searchbtn.textContent = \"Search\";\n"
    "        saveState();\n"
    "    }\n"
    "    function askSearch() {\n"
    "        var t = window.prompt(\"Search for frames (regular expression):\", term === null ? "
    "\"\" : term);\n"
    "        if (t !== null && t !== \"\") search(t);\n"
    "    }\n"
    "\n"
    "    init();\n"
    "    searchbtn.classList.remove(\"hide\");\n"
    "    doc.getElementById(\"frames\").addEventListener(\"click\", function (e) {\n"
    "        var f = frameOf(e);\n"
    "        if (f) zoom(f.idx);\n"
    "    });\n"
    "    doc.getElementById(\"frames\").addEventListener(\"mouseover\", function (e) {\n"
    "        var f = frameOf(e);\n"
    "        if (f) details.textContent = f.title.replace(/\\n/g, \"  \\u00b7  \");\n"
    "    });\n"
    "    doc.getElementById(\"frames\").addEventListener(\"mouseout\", function () {\n"
    "        details.textContent = \" \";\n"
    "    });\n"
    "    unzoom.addEventListener(\"click\", function () { zoom(0); });\n"
    "    searchbtn.addEventListener(\"click\", function () {\n"
    "        if (term !== null) resetSearch();\n"
    "        else askSearch();\n"
    "    });\n"
    "    doc.addEventListener(\"keydown\", function (e) {\n"
    "        if ((e.ctrlKey || e.metaKey) && (e.key === \"f\" || e.key === \"F\") || e.key === "
    "\"F3\") {\n"
    "            e.preventDefault();\n"
    "            askSearch();\n"
    "        } else if (e.key === \"Escape\") {\n"
    "            if (term !== null) resetSearch();\n"
    "            else if (zoomed) zoom(0);\n"
    "        }\n"
    "    });\n"
    "    (function () {\n"
    "        var q = location.search.substring(1).split(\"&\"), i, kv, s = null, x = null;\n"
    "        for (i = 0; i < q.length; i++) {\n"
    "            kv = q[i].split(\"=\");\n"
    "            try {\n"
    "                if (kv[0] === \"s\") s = decodeURIComponent(kv.slice(1).join(\"=\"));\n"
    "                if (kv[0] === \"x\") x = decodeURIComponent(kv.slice(1).join(\"=\"));\n"
    "            } catch (err) {\n"
    "                /* A malformed escape in a hand-edited URL is ignored. */\n"
    "            }\n"
    "        }\n"
    "        if (x !== null) zoom(findPath(x));\n"
    "        if (s !== null && s !== \"\") search(s);\n"
    "    })();\n"
    "    window.hwFlame = {zoom: zoom, search: search, resetSearch: resetSearch, frames: frames,\n"
    "                      findPath: findPath, fit: fit};\n"
    "})();\n";

static const char svg_style[] =
    "<style type=\"text/css\"><![CDATA[\n"
    "text{font-family:'" TEXT_FONT "',sans-serif;font-size:12px;fill:#000}\n"
    "#title{font-size:17px;text-anchor:middle}\n"
    "#subtitle,#note{text-anchor:middle;fill:#444}\n"
    "#search,#matched{text-anchor:end}\n"
    "#frames rect{rx:2px;ry:2px}\n"
    "#frames g{cursor:pointer}\n"
    "#frames g:hover rect{stroke:#000;stroke-width:0.5px}\n"
    "#frames .n rect{stroke:#000;stroke-width:1px;stroke-dasharray:3 2}\n"
    "#frames .g rect{stroke:#555;stroke-width:1px;stroke-dasharray:1 2}\n"
    "#frames .parent{opacity:0.6}\n"
    "#unzoom,#search{cursor:pointer;fill:#036}\n"
    ".hide{display:none}\n"
    "]]></style>\n";

/* "%.2f" without trailing zeros: "10", "10.5", "10.25". */
/* v as printf's "%.2f" writes it (trailing zeros and a bare '.' dropped when trim),
 * without printf: a flame graph has tens of thousands of numbers and glibc's
 * floating-point printf was three quarters of an SVG render. Values near a rounding
 * tie, huge values, NaN and infinities go to snprintf, so the text is always
 * exactly printf's. Returns the length written into s (>= 48 bytes). */
static int
fmt_hundredths(char *s, double v, bool trim)
{
    char tmp[32];
    double r = nearbyint(v * 100.0);
    uint64_t u, ip;
    unsigned fp;
    int n = 0, k = 0;

    /* Near a tie, v * 100 may round the other way than v's exact value: ask printf. */
    if (!(r > -9.0e15 && r < 9.0e15) || fabs(fabs(v * 100.0 - r) - 0.5) < 1e-6) {
        n = snprintf(s, 48, "%.2f", v);
        if (n <= 0 || n >= 48)
            return -1;
        while (trim && s[n - 1] == '0' && strchr(s, '.') != NULL)
            s[--n] = '\0';
        if (trim && s[n - 1] == '.')
            s[--n] = '\0';
        if (n == 2 && s[0] == '-' && s[1] == '0') /* "-0.001" */
            s[0] = '0', s[1] = '\0', n = 1;
        return n;
    }
    u = (uint64_t)(r < 0 ? -r : r);
    ip = u / 100;
    fp = (unsigned)(u % 100);
    if (signbit(r) && !(trim && u == 0))
        s[n++] = '-';
    do
        tmp[k++] = (char)('0' + ip % 10);
    while ((ip /= 10) != 0);
    while (k > 0)
        s[n++] = tmp[--k];
    if (!trim || fp != 0) {
        s[n++] = '.';
        s[n++] = (char)('0' + fp / 10);
        if (!trim || fp % 10 != 0)
            s[n++] = (char)('0' + fp % 10);
    }
    s[n] = '\0';
    return n;
}

static enum hw_err
put_num(struct buf *b, double v)
{
    char s[48];
    int n = fmt_hundredths(s, v, true);

    if (n <= 0)
        return HW_BADDATA;
    return buf_append(b, s, (size_t)n);
}

static enum hw_err
put_value(struct buf *b, const struct flame_info *in, int64_t v)
{
    char s[64];
    const char *unit;

    enum hw_err err;

    units_label(v, in->unit, "auto", s, sizeof(s));
    if ((err = text_xml(b, s)) != HW_OK)
        return err;
    /* The exact figure too, when the label is scaled (and so rounded). The unit comes
     * from the profile, so it is escaped like a name. */
    if (units_scale(v, in->unit, "auto", &unit) != (double)v) {
        if ((err = buf_printf(b, " (%" PRId64 " ", v)) != HW_OK ||
            (err = text_xml(b, in->unit)) != HW_OK)
            return err;
        return buf_puts(b, ")");
    }
    return HW_OK;
}

/* ", 12.50%" */
static enum hw_err
put_percent(struct buf *b, double pct)
{
    char s[56] = ", ";
    int n = fmt_hundredths(s + 2, pct, false);

    s[2 + n] = '%';
    return buf_append(b, s, (size_t)n + 3);
}

static double
percent(int64_t part, int64_t whole)
{
    return whole != 0 ? 100.0 * (double)part / (double)whole : 0;
}

/* The tooltip: the name, then the values. The script takes the name from the first
 * line, so names never hold a newline (they are sanitized). */
static enum hw_err
put_tooltip(struct buf *b, const struct flame_info *in, const struct flame_frame *fr)
{
    enum hw_err err;
    int64_t delta = fr->cur - fr->base;

    if ((err = text_xml(b, fr->name)) != HW_OK || (err = buf_puts(b, "\n")) != HW_OK)
        return err;
    if (!in->diff) {
        if ((err = put_value(b, in, fr->value)) != HW_OK || (err = buf_puts(b, " ")) != HW_OK ||
            (err = text_xml(b, in->type)) != HW_OK)
            return err;
        return put_percent(b, percent(fr->value, in->total));
    }
    if ((err = buf_puts(b, "base ")) != HW_OK || (err = put_value(b, in, fr->base)) != HW_OK ||
        (err = buf_puts(b, ", new ")) != HW_OK || (err = put_value(b, in, fr->cur)) != HW_OK ||
        (err = buf_puts(b, "\ndelta ")) != HW_OK ||
        (err = buf_puts(b, delta > 0   ? "+"
                           : delta < 0 ? "-"
                                       : "")) != HW_OK ||
        (err = put_value(b, in, delta < 0 ? -delta : delta)) != HW_OK)
        return err;
    if (fr->base != 0)
        err = buf_printf(b, " (%+.2f%%)", percent(delta, fr->base));
    if (err == HW_OK && fr->flags & FLAME_NEW)
        err = buf_puts(b, " (new frame)");
    if (err == HW_OK && fr->flags & FLAME_GONE)
        err = buf_puts(b, " (vanished)");
    return err;
}

/* "\" height=\"15\" fill=\"#rrggbb\"/>" without printf. */
static enum hw_err
put_fill(struct buf *b, struct rgb c)
{
    static const char hex[] = "0123456789abcdef";
    char s[] = "\" height=\"15\" fill=\"#000000\"/>";
    char *p = strchr(s, '#') + 1;

    p[0] = hex[(c.r >> 4) & 15], p[1] = hex[c.r & 15];
    p[2] = hex[(c.g >> 4) & 15], p[3] = hex[c.g & 15];
    p[4] = hex[(c.b >> 4) & 15], p[5] = hex[c.b & 15];
    return buf_append(b, s, sizeof(s) - 1);
}

static enum hw_err
put_frame(struct buf *b, const struct flame *f, const struct flame_frame *fr)
{
    const struct flame_info *in = flame_info(f);
    double y = flame_y(f, fr->depth);
    unsigned mark = fr->w >= FLAME_MARK_MIN ? fr->flags : 0;
    enum hw_err err;

    if ((err = buf_puts(b, mark & FLAME_NEW    ? "<g class=\"n\"><title>"
                           : mark & FLAME_GONE ? "<g class=\"g\"><title>"
                                               : "<g><title>")) != HW_OK ||
        (err = put_tooltip(b, in, fr)) != HW_OK ||
        (err = buf_puts(b, "</title><rect x=\"")) != HW_OK || (err = put_num(b, fr->x)) != HW_OK ||
        (err = buf_puts(b, "\" y=\"")) != HW_OK || (err = put_num(b, nearbyint(y))) != HW_OK ||
        (err = buf_puts(b, "\" width=\"")) != HW_OK || (err = put_num(b, fr->w)) != HW_OK ||
        (err = put_fill(b, fr->color)) != HW_OK)
        return err;
    if (fr->label[0] != '\0') {
        if ((err = buf_puts(b, "<text x=\"")) != HW_OK ||
            (err = put_num(b, fr->x + FLAME_LABEL_PAD)) != HW_OK ||
            (err = buf_puts(b, "\" y=\"")) != HW_OK ||
            (err = put_num(b, nearbyint(y + FLAME_FRAME_HEIGHT - 4))) != HW_OK ||
            (err = buf_puts(b, "\">")) != HW_OK ||
            (err = text_xml(b, fr->label)) != HW_OK || (err = buf_puts(b, "</text>")) != HW_OK)
            return err;
    }
    return buf_puts(b, "</g>\n");
}

static enum hw_err
put_header(struct buf *b, const struct flame *f)
{
    const struct flame_info *in = flame_info(f);
    unsigned w = in->width, h = in->height;
    char note[FLAME_NOTE_MAX];
    enum hw_err err;

    if ((err = buf_printf(b,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                          "<svg version=\"1.1\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
                          "xmlns=\"http://www.w3.org/2000/svg\">\n",
                          w, h, w, h)) != HW_OK ||
        (err = buf_puts(b, svg_style)) != HW_OK ||
        (err = buf_printf(b,
                          "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"#f6f6f2\"/>\n"
                          "<text id=\"title\" x=\"%u\" y=\"24\">",
                          w, h, w / 2)) != HW_OK ||
        (err = text_xml(b, in->title)) != HW_OK ||
        (err = buf_printf(b, "</text>\n<text id=\"subtitle\" x=\"%u\" y=\"42\">", w / 2)) !=
            HW_OK ||
        (err = text_xml(b, in->subtitle)) != HW_OK ||
        (err = buf_printf(b, "</text>\n<text id=\"note\" x=\"%u\" y=\"58\">", w / 2)) != HW_OK)
        return err;
    flame_note(f, note, sizeof(note));
    if ((err = text_xml(b, note)) != HW_OK)
        return err;
    if ((err = buf_printf(b,
                          "</text>\n"
                          "<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"24\">Reset Zoom</text>\n"
                          "<text id=\"search\" class=\"hide\" x=\"%u\" y=\"24\">Search</text>\n"
                          "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
                          "<text id=\"matched\" x=\"%u\" y=\"%u\"></text>\n<g id=\"frames\">\n",
                          FLAME_PAD, w - FLAME_PAD, FLAME_PAD, h - 10, w - FLAME_PAD, h - 10)) !=
        HW_OK)
        return err;
    return HW_OK;
}

static enum hw_err
put_script(struct buf *b, const struct flame *f)
{
    const struct flame_info *in = flame_info(f);
    const struct flame_opts *o = flame_opts(f);
    const struct text_metrics *m = flame_metrics(f);
    enum hw_err err;
    size_t i;

    if ((err = buf_printf(b,
                          "<script type=\"text/ecmascript\"><![CDATA[\n"
                          "var HW_CONF = {width: %u, pad: %d, fh: %d, lpad: %d, top: %d, "
                          "maxdepth: %" PRIu32 ", inverted: %s, fullnames: %s, match: \"%s\",\n"
                          "other: %.3f, adv: [",
                          in->width, FLAME_PAD, FLAME_FRAME_HEIGHT, FLAME_LABEL_PAD, FLAME_TOP,
                          in->maxdepth, o->inverted ? "true" : "false",
                          o->fullnames ? "true" : "false", PALETTE_MATCH, m->other)) != HW_OK)
        return err;
    for (i = 0; i < TEXT_NADV; i++)
        if ((err = buf_printf(b, "%s%.3f", i ? "," : "", m->adv[i])) != HW_OK)
            return err;
    if ((err = buf_puts(b, "]};\n")) != HW_OK || (err = buf_puts(b, svg_script)) != HW_OK)
        return err;
    return buf_puts(b, "]]></script>\n");
}

enum hw_err
svg_render(const struct flame *f, struct buf *out)
{
    const struct flame_frame *fr = flame_frames(f);
    size_t i, n = flame_info(f)->nframes;
    enum hw_err err;

    if ((err = put_header(out, f)) != HW_OK)
        return err;
    for (i = 0; i < n; i++)
        if ((err = put_frame(out, f, &fr[i])) != HW_OK)
            return err;
    if ((err = buf_puts(out, "</g>\n")) != HW_OK || (err = put_script(out, f)) != HW_OK)
        return err;
    return buf_puts(out, "</svg>\n");
}

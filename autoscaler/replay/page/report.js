// Draws the report's charts as SVG from the page-data JSON that fluxscale simulate wrote.
// Each chart container gets data-marks (how many points, bars or lines it drew) and the
// body data-rendered="true" once every chart is drawn, so a headless browser can check
// the page; a failure sets data-error instead.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  const IDLE = [["booting", "booting", "#9ecae1"], ["draining", "draining", "#fdae6b"],
    ["heldForPending", "held for a pending job that cannot start yet", "#fd8d3c"],
    ["belowBusy", "idle below a busy higher rank", "#d62728"],
    ["releasable", "idle at the top (scale-down window)", "#bdbdbd"]];

  function el(parent, name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function svg(id, w, h) {
    const s = el(document.getElementById(id), "svg", {width: w, height: h, viewBox: `0 0 ${w} ${h}`});
    return s;
  }
  function color(i) { return COLORS[i % COLORS.length]; }
  function human(s) {
    if (s >= 86400) return (s / 86400).toFixed(1) + "d";
    if (s >= 3600) return (s / 3600).toFixed(1) + "h";
    if (s >= 60) return (s / 60).toFixed(1) + "m";
    return s.toFixed(0) + "s";
  }
  function ticks(lo, hi, n) {
    const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
    const mult = [1, 2, 5, 10].find(m => (hi - lo) / (step * m) <= n) || 10;
    const out = [];
    for (let v = Math.ceil(lo / (step * mult)) * step * mult; v <= hi + 1e-9; v += step * mult) out.push(v);
    return out;
  }
  function axes(s, box, xs, ys, fx, fy, xl, yl) {
    const g = el(s, "g", {class: "axis"});
    for (const v of xs) {
      el(g, "line", {x1: fx(v), x2: fx(v), y1: box.t, y2: box.b, class: "grid"});
      el(g, "text", {x: fx(v), y: box.b + 14, "text-anchor": "middle"}, xl(v));
    }
    for (const v of ys) {
      el(g, "line", {x1: box.l, x2: box.r, y1: fy(v), y2: fy(v), class: "grid"});
      el(g, "text", {x: box.l - 4, y: fy(v) + 4, "text-anchor": "end"}, yl(v));
    }
    el(g, "rect", {x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t, fill: "none", stroke: "#999"});
  }
  function legend(s, x, y, items) {
    items.forEach(([label, c], i) => {
      el(s, "rect", {x: x, y: y + i * 16 - 9, width: 10, height: 10, fill: c});
      el(s, "text", {x: x + 14, y: y + i * 16}, label);
    });
  }

  function frontier(d) {
    const rows = d.report.policies, busy = d.report.lowerBoundNodeHours;
    const s = svg("frontier", 1060, 380), box = {l: 70, r: 640, t: 15, b: 340};
    const xr = rows.map(r => r.nodeHours / busy), yr = rows.map(r => r.meanWaitSeconds / 60);
    // A policy that leaves jobs unfinished (static-min) can wait days: keep the axis to the
    // ones that finish everything and pin the others to the top edge, marked off scale.
    // The axis spans those waits only (not from 0), as policies often differ by seconds.
    const fin = yr.filter((_, i) => rows[i].unfinished === 0), ys = fin.length ? fin : yr;
    const lo = Math.min(...ys), hi = Math.max(...ys), pad = Math.max((hi - lo) * 0.15, 0.5);
    const y0 = Math.max(0, lo - pad), y1 = hi + pad;
    const x0 = Math.min(1, ...xr) * 0.97, x1 = Math.max(...xr) * 1.03;
    const fx = v => box.l + (v - x0) / (x1 - x0) * (box.r - box.l);
    const fy = v => box.b - (v - y0) / (y1 - y0) * (box.b - box.t);
    axes(s, box, ticks(x0, x1, 8), ticks(y0, y1, 6), fx, fy, v => v.toFixed(2) + "x", v => +v.toFixed(2) + "m");
    el(s, "text", {x: (box.l + box.r) / 2, y: box.b + 32, "text-anchor": "middle"}, "node-hours / busy node-hours");
    el(s, "text", {x: 14, y: (box.t + box.b) / 2, transform: `rotate(-90 14 ${(box.t + box.b) / 2})`, "text-anchor": "middle"}, "mean wait (minutes)");
    let marks = 0;
    rows.forEach((r, i) => {
      const c = color(i), x = fx(xr[i]), off = yr[i] > y1, y = fy(Math.min(Math.max(yr[i], y0), y1));
      if (off) el(s, "text", {x: x + 7, y: y + 12, fill: c}, `off scale: ${human(r.meanWaitSeconds)}`);
      const dot = el(s, "circle", {cx: x, cy: y, r: 5, fill: r.bound ? "white" : c, stroke: c, "stroke-width": 2, class: "point"});
      el(dot, "title", {}, `${r.policy}: ${xr[i].toFixed(3)}x, mean wait ${human(r.meanWaitSeconds)}, ${r.killed} killed`);
      marks++;
    });
    legend(s, 660, 25, rows.map((r, i) => [`${r.policy}${r.killed ? ` (${r.killed} killed)` : ""}`, color(i)]));
    document.getElementById("frontier").dataset.marks = marks;
  }

  function breakdown(d) {
    const rows = d.report.policies;
    // Each bar has its label on the line above, so long sweep names stay whole.
    const h = 30 + rows.length * 40 + IDLE.length * 16 + 30;
    const s = svg("breakdown", 1000, h), box = {l: 10, r: 930, t: 10, b: 10 + rows.length * 40};
    const total = r => r.busyNodeHours + IDLE.reduce((a, [k]) => a + r.idleNodeHours[k], 0);
    const xmax = Math.max(...rows.map(total)) * 1.02;
    const fx = v => box.l + v / xmax * (box.r - box.l);
    let marks = 0;
    rows.forEach((r, i) => {
      const y = box.t + i * 40 + 14;
      el(s, "text", {x: box.l, y: y - 3}, r.policy);
      let at = 0;
      const parts = [["busy", r.busyNodeHours, "#31a354"]].concat(IDLE.map(([k, l, c]) => [l, r.idleNodeHours[k], c]));
      for (const [label, v, c] of parts) {
        if (v <= 0) continue;
        const bar = el(s, "rect", {x: fx(at), y: y, width: Math.max(fx(at + v) - fx(at), 0.5), height: 20, fill: c, class: "bar"});
        el(bar, "title", {}, `${r.policy}: ${label} ${v.toFixed(0)} node-hours`);
        at += v;
        marks++;
      }
      el(s, "text", {x: Math.min(fx(at) + 4, box.r - 30), y: y + 15}, `${(at / d.report.lowerBoundNodeHours).toFixed(3)}x`);
    });
    legend(s, box.l, box.b + 24, [["busy", "#31a354"]].concat(IDLE.map(([, l, c]) => [l, c])));
    document.getElementById("breakdown").dataset.marks = marks;
  }

  function waitCDF(d) {
    const s = svg("cdf", 1060, 340), box = {l: 60, r: 640, t: 15, b: 300};
    let wmax = 60;
    for (const c of d.cdf) if (c.wait.length) wmax = Math.max(wmax, c.wait[c.wait.length - 1]);
    // Waits span seconds to days: a log axis from 1 s, with waits under 1 s drawn at 1 s.
    const lx = v => Math.log10(Math.max(v, 1)), x1 = lx(wmax) * 1.02;
    const fx = v => box.l + lx(v) / x1 * (box.r - box.l), fy = v => box.b - v * (box.b - box.t);
    const xt = [1, 10, 60, 600, 3600, 36000, 86400, 864000].filter(v => lx(v) <= x1);
    axes(s, box, xt, [0, 0.25, 0.5, 0.75, 1], fx, fy, human, v => (100 * v).toFixed(0) + "%");
    el(s, "text", {x: (box.l + box.r) / 2, y: box.b + 32, "text-anchor": "middle"}, "wait (log scale)");
    let marks = 0;
    d.cdf.forEach((c, i) => {
      if (!c.wait.length) return;
      let pts = `${fx(0)},${fy(0)}`;
      c.wait.forEach((w, k) => { pts += ` ${fx(w)},${fy(k ? c.frac[k - 1] : 0)} ${fx(w)},${fy(c.frac[k])}`; });
      el(s, "polyline", {points: pts, fill: "none", stroke: color(i), "stroke-width": 1.5, class: "line"});
      marks++;
    });
    legend(s, 660, 25, d.cdf.map((c, i) => [c.name, color(i)]));
    document.getElementById("cdf").dataset.marks = marks;
  }

  function timelines(d) {
    const ph = 130, gap = 40, max = d.report.maxSize, n = d.timeline.length;
    const s = svg("timeline", 900, 20 + n * (ph + gap) + 30);
    const span = d.toSeconds - d.fromSeconds;
    let marks = 0;
    d.timeline.forEach((t, i) => {
      const box = {l: 60, r: 880, t: 20 + i * (ph + gap), b: 20 + i * (ph + gap) + ph};
      const fx = b => box.l + b / (span / d.bucketSeconds) * (box.r - box.l);
      const fy = v => box.b - Math.min(v, max) / max * ph;
      const days = ticks(d.fromSeconds / 86400, d.toSeconds / 86400, 8);
      const bx = day => fx((day * 86400 - d.fromSeconds) / d.bucketSeconds);
      axes(s, box, [], [0, max / 2, max], bx, fy, v => v, v => v.toFixed(0));
      for (const day of days) el(s, "text", {x: bx(day), y: box.b + 14, "text-anchor": "middle"}, `${+day.toFixed(2)}d`);
      el(s, "text", {x: box.l, y: box.t - 5, "font-weight": "bold"}, t.name);
      if (!t.mean.length) return;
      let band = "";
      t.max.forEach((v, b) => { band += `${fx(b)},${fy(v)} ${fx(b + 1)},${fy(v)} `; });
      for (let b = t.min.length - 1; b >= 0; b--) band += `${fx(b + 1)},${fy(t.min[b])} ${fx(b)},${fy(t.min[b])} `;
      el(s, "polygon", {points: band, fill: "#c6dbef", stroke: "none", class: "band"});
      const line = (vals, c, dash) => {
        let pts = "";
        vals.forEach((v, b) => { pts += `${fx(b)},${fy(v)} ${fx(b + 1)},${fy(v)} `; });
        el(s, "polyline", {points: pts, fill: "none", stroke: c, "stroke-width": 1.2, "stroke-dasharray": dash, class: "line"});
      };
      line(t.demand, "#ff7f0e", "3 2");
      line(t.busy, "#31a354", "");
      line(t.mean, "#1f77b4", "");
      marks += 4;
    });
    const lg = [["mean size", "#1f77b4"], ["size min-max", "#c6dbef"], ["busy", "#31a354"], ["demand", "#ff7f0e"]];
    lg.forEach(([l, c], k) => {
      const x = 60 + k * 160, y = 20 + n * (ph + gap) + 5;
      el(s, "rect", {x: x, y: y - 9, width: 10, height: 10, fill: c});
      el(s, "text", {x: x + 14, y: y}, l);
    });
    document.getElementById("timeline").dataset.marks = marks;
  }

  try {
    const d = JSON.parse(document.getElementById("page-data").textContent);
    frontier(d);
    breakdown(d);
    waitCDF(d);
    timelines(d);
    document.body.dataset.rendered = "true";
  } catch (e) {
    document.body.dataset.error = String(e && e.stack || e);
  }
})();

#include "report/html_page.h"

namespace imgfeat::report {
namespace {

constexpr const char* kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)HTML";

constexpr const char* kStyle = R"HTML(</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #ddd}
.note{color:#666;font-size:13px}.big{font-size:20px;font-weight:600}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
#map{border:1px solid #ccc;background:#fff;cursor:crosshair;width:100%;max-width:960px}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #888;padding:4px 6px;font-size:12px;display:none;max-width:260px;box-shadow:0 2px 6px #0003}
#tip img{display:block;margin-top:4px}.legend span{display:inline-block;margin-right:12px}
.thumbs{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 10px}.thumbs figure{margin:0;font-size:11px;color:#555;text-align:center;max-width:90px;overflow-wrap:anywhere}
.sw{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:4px;vertical-align:-1px}
</style></head><body><main>
<h1>imgfeat report</h1><div id="subtitle" class="note"></div>
<h2>The run</h2><table id="run"></table>
<div class="grid"><div><h2>Images per label</h2><div id="labels"></div></div>
<div><h2>Errors</h2><div id="errors"></div></div></div>
<h2>Map of the images</h2><div id="mapnote" class="note"></div><div id="legend" class="legend"></div>
<canvas id="map" width="960" height="600"></canvas>
<h2>Feature quality: k-nearest-neighbour labels</h2><div id="knn"></div>
<h2>Near-duplicates and Train/Test leakage</h2><div id="leakage"></div>
<h2>Distance preservation of the reduction</h2><div id="distortion"></div>
<div id="tip"></div>
<script type="application/json" id="report-data">)HTML";

constexpr const char* kScript = R"HTML(</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("report-data").textContent);
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const fmt = (x, d = 0) => x == null || Number.isNaN(x) ? "n/a" : Number(x).toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
const pct = x => fmt(100 * x, 1) + "%";
const SVG = "http://www.w3.org/2000/svg";

function runTable() {
  const r = D.run, rows = [];
  $("subtitle").textContent = D.output;
  if (!r) { $("run").innerHTML = "<tr><td>No _imgfeat.json: the run did not finish.</td></tr>"; return; }
  rows.push(["input", r.input], ["model", r.model], ["reduction", r.reduction],
            ["images listed", fmt(r.images_listed)], ["rows written", fmt(D.rows)],
            ["errors", fmt(r.errors)], ["time", fmt(r.seconds, 1) + " s"],
            ["images / s", fmt(r.images_per_second, 1)], ["finished", r.created], ["imgfeat", r.version]);
  $("run").innerHTML = rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
}

function labelBars() {
  const L = D.labels, w = 440, bh = 18, max = Math.max(1, ...L.map(l => l.count));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", L.length * (bh + 4) + 4);
  svg.innerHTML = L.map((l, i) => {
    const y = i * (bh + 4) + 2, bw = Math.max(1, (w - 200) * l.count / max);
    return `<text x="120" y="${y + 13}" text-anchor="end" font-size="12">${esc(l.name || "(no label)")}</text>` +
      `<rect x="126" y="${y}" width="${bw}" height="${bh}" fill="${l.color}"/>` +
      `<text x="${130 + bw}" y="${y + 13}" font-size="12">${fmt(l.count)}</text>`;
  }).join("");
  $("labels").appendChild(svg);
}

function errorTable() {
  const G = D.error_groups;
  if (!G.length) { $("errors").innerHTML = "<p>None: every listed image gave a row.</p>"; return; }
  $("errors").innerHTML = `<p>${fmt(D.errors_total)} files gave no row, grouped by reason:</p>` + G.map(g =>
    `<details><summary><b>${fmt(g.count)}</b> &times; ${esc(g.stage)}: ${esc(g.reason)}</summary><table>` +
    g.paths.map(p => `<tr><td>${esc(p)}</td></tr>`).join("") +
    (g.count > g.paths.length ? `<tr><td class="note">and ${fmt(g.count - g.paths.length)} more</td></tr>` : "") +
    "</table></details>").join("");
}

function drawMap() {
  const M = D.map, cv = $("map"), ctx = cv.getContext("2d"), n = M.x.length, pad = 16;
  $("mapnote").textContent = (D.sampled ? `A random sample of ${fmt(n)} of the ${fmt(D.rows)} rows (seed ${D.seed}) is drawn. ` : `All ${fmt(n)} rows are drawn. `) +
    `PCA of the ${fmt(D.dim)} output features: axis 1 holds ${pct(M.explained[0])} of the variance, axis 2 ${pct(M.explained[1])}. ` +
    `Hover over a point for its file` + (M.thumbs_shown ? ` (and a thumbnail, for ${fmt(M.thumbs_shown)} sampled images` + (M.thumbs_missing ? `; ${fmt(M.thumbs_missing)} could not be read from their paths any more` : "") + ")" : "") + ".";
  $("legend").innerHTML = D.labels.map(l => `<span><i class="sw" style="background:${l.color}"></i>${esc(l.name || "(no label)")}</span>`).join("");
  const ext = a => a.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
  const [mnx, mxx] = ext(M.x), [mny, mxy] = ext(M.y);
  const sx = v => pad + (v - mnx) / ((mxx - mnx) || 1) * (cv.width - 2 * pad);
  const sy = v => cv.height - pad - (v - mny) / ((mxy - mny) || 1) * (cv.height - 2 * pad);
  const px = new Float32Array(n), py = new Float32Array(n);
  const r = n > 20000 ? 1.2 : n > 2000 ? 2 : 3;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, cv.height);
  ctx.globalAlpha = n > 20000 ? 0.4 : 0.75;
  for (let i = 0; i < n; i++) {
    px[i] = sx(M.x[i]); py[i] = sy(M.y[i]);
    ctx.fillStyle = D.labels[M.c[i]].color;
    ctx.beginPath(); ctx.arc(px[i], py[i], r, 0, 2 * Math.PI); ctx.fill();
  }
  ctx.globalAlpha = 1;
  cv.dataset.points = n;
  cv.points = {px, py};  // screen positions, for the hover and for tests
  const tip = $("tip");
  cv.addEventListener("mousemove", e => {
    const b = cv.getBoundingClientRect(), mx = (e.clientX - b.left) * cv.width / b.width, my = (e.clientY - b.top) * cv.height / b.height;
    let best = -1, bd = 64;
    for (let i = 0; i < n; i++) { const d = (px[i] - mx) ** 2 + (py[i] - my) ** 2; if (d < bd) { bd = d; best = i; } }
    if (best < 0) { tip.style.display = "none"; return; }
    const th = M.thumbs[best];
    tip.innerHTML = `<b>${esc(M.name[best])}</b><br>${esc(D.labels[M.c[best]].name || "(no label)")}` + (th ? `<img src="${th}" alt="">` : "");
    tip.style.left = (e.clientX + 14) + "px"; tip.style.top = (e.clientY + 14) + "px"; tip.style.display = "block";
  });
  cv.addEventListener("mouseleave", () => { tip.style.display = "none"; });
}

function knnSection() {
  const K = D.knn;
  if (!K) { $("knn").innerHTML = "<p>Not measured: fewer than 2 rows.</p>"; return; }
  const how = K.method === "train/test" ? `each of the ${fmt(K.queries)} images of the Test folders against the ${fmt(K.references)} of the Train folders`
    : `each of the ${fmt(K.queries)} images against all the others (leave-one-out: the paths show no Train/Test folders)`;
  let h = `<p><span class="big" id="knn-accuracy">${pct(K.accuracy)}</span> of the labels are right ` +
    `(95% Wilson interval ${pct(K.low)} to ${pct(K.high)}; ${fmt(K.correct)} of ${fmt(K.queries)}): the label most of the ${K.k} nearest ` +
    `neighbours (cosine distance) carry, ${how}` + (D.sampled ? `, within the random sample of ${fmt(D.analysed)} rows` : "") + ".</p>";
  h += "<table><tr><th>true \\ predicted</th>" + K.classes.map(c => `<th>${esc(c || "(no label)")}</th>`).join("") + "</tr>";
  K.classes.forEach((c, i) => {
    h += `<tr><th>${esc(c || "(no label)")}</th>` + K.classes.map((_, j) => {
      const v = K.confusion[i * K.classes.length + j];
      return `<td class="n" style="${v && i !== j ? "background:#fdd" : v ? "background:#dfd" : ""}">${fmt(v)}</td>`;
    }).join("") + "</tr>";
  });
  $("knn").innerHTML = h + "</table>";
}

function thumb(src, caption) {
  return `<figure>${src ? `<img src="${src}" alt="" width="64">` : "<div>(missing)</div>"}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function leakageSection() {
  const L = D.leakage, G = D.duplicates;
  let h = "";
  if (!L) {
    h += "<p>Train/Test leakage is measured when the paths show Train and Test folders; these do not.</p>";
  } else {
    h += `<p><span class="big" id="leaked-share">${pct(L.test ? L.leaked / L.test : 0)}</span> of the ${fmt(L.test)} Test images ` +
      `(${fmt(L.leaked)}) have a near-copy in Train: their nearest Train image has a cosine of ${L.threshold} or more. ` +
      "Such an image is classified by its copy, so the accuracy above measures how well the features remember more than how well they generalise" +
      (D.sampled ? ` (within the random sample of ${fmt(D.analysed)} rows)` : "") + ".</p>";
    if (L.clean) {
      h += `<p>Without them: <span class="big" id="knn-accuracy-clean">${pct(L.clean.accuracy)}</span> of the labels of the other ` +
        `${fmt(L.clean.queries)} Test images are right (95% Wilson interval ${pct(L.clean.low)} to ${pct(L.clean.high)}; ${fmt(L.clean.correct)} of ${fmt(L.clean.queries)}), ` +
        `by the same vote of the ${L.k} nearest Train images, the near-copies left out of the Test side.</p>`;
    } else {
      h += `<p id="knn-accuracy-clean">Every Test image has a near-copy in Train: no accuracy is left to measure without them.</p>`;
    }
    if (L.pairs.length) {
      h += `<p class="note">The closest Test/Train pairs (Test left, Train right, cosine below):</p><div class="thumbs" id="leak-pairs">` +
        L.pairs.map(p => `<div>${thumb(p.test_thumb, p.test)}${thumb(p.train_thumb, p.train)}<div class="note">${fmt(p.cosine, 4)}</div></div>`).join("") + "</div>";
    }
  }
  if (!G) {
    h += "<p>Groups of near-duplicates over all rows: run <code>imgfeat neighbours OUTPUT</code>, then this report again.</p>";
  } else {
    h += `<p><span class="big" id="duplicate-groups">${fmt(G.groups)}</span> groups of near-duplicates hold ${fmt(G.rows)} of the ${fmt(D.rows)} rows ` +
      `(from _duplicates.parquet: rows linked by a cosine of ${G.threshold} or more, directly or through others). The largest:</p>`;
    for (const g of G.shown) {
      h += `<div class="note">group ${g.group}: ${fmt(g.size)} images</div><div class="thumbs">` + g.items.map(i => thumb(i.thumb, i.name)).join("") + "</div>";
    }
  }
  $("leakage").innerHTML = h;
}

function distortionSection() {
  const T = D.distortion;
  if (!T) { $("distortion").innerHTML = "<p>This output has no _distortion.parquet (made by an older imgfeat, or by a run that wrote no rows).</p>"; return; }
  if (!T.pairs) { $("distortion").innerHTML = `<p>No pair of distinct images in the recorded sample (${fmt(T.rows)} rows).</p>`; return; }
  const w = 900, h = 220, pad = 30, H = T.histogram, max = Math.max(1, ...H.counts);
  const x = v => pad + (v - H.low) / (H.high - H.low) * (w - 2 * pad);
  const bw = (w - 2 * pad) / H.counts.length;
  let s = `<rect x="${x(T.bound_low)}" y="10" width="${x(T.bound_high) - x(T.bound_low)}" height="${h - pad - 10}" fill="#e8f4e8"/>`;
  s += H.counts.map((c, i) => `<rect x="${pad + i * bw + 0.5}" y="${h - pad - (h - pad - 10) * c / max}" width="${Math.max(1, bw - 1)}" height="${(h - pad - 10) * c / max}" fill="#4e79a7"/>`).join("");
  for (const [v, name] of [[T.bound_low, "\u221a(1\u2212\u03b5)"], [T.bound_high, "\u221a(1+\u03b5)"], [1, "1"]]) {
    s += `<line x1="${x(v)}" x2="${x(v)}" y1="10" y2="${h - pad}" stroke="${v === 1 ? "#999" : "#2a2"}" stroke-dasharray="4 3"/>` +
      `<text x="${x(v)}" y="${h - pad + 14}" text-anchor="middle" font-size="11">${name} = ${fmt(v, 3)}</text>`;
  }
  s += `<text x="${w / 2}" y="${h - 2}" text-anchor="middle" font-size="11">distance after / distance before, ${fmt(H.low, 3)} to ${fmt(H.high, 3)}; bars: pairs, tallest ${fmt(max)}</text>`;
  const promise = T.reducer === "srp" ? "" : T.reducer === "pca" ? " PCA keeps the directions of most variance and makes no Johnson-Lindenstrauss promise: its ratios are at most 1 and may fall below the band." : " Without a reduction every ratio is 1.";
  $("distortion").innerHTML = `<p><span class="big" id="distortion-share">${pct(T.within)}</span> of ${fmt(T.pairs)} pairs keep their distance within the ` +
    `Johnson-Lindenstrauss bound for \u03b5 = ${T.eps}: the ratio of the Euclidean distance after the reduction (${esc(T.reducer)}, ${fmt(D.dim)} components) to the distance before it ` +
    `(${fmt(T.input_dim)} features) lies in [\u221a(1\u2212\u03b5), \u221a(1+\u03b5)] = [${fmt(T.bound_low, 4)}, ${fmt(T.bound_high, 4)}] ` +
    `(the bound on squared distances, 1 \u00b1 \u03b5, taken as a square root). The pairs are every pair of ${fmt(T.rows)} rows drawn at random (seed ${T.seed}) during the run` +
    (T.identical ? `; ${fmt(T.identical)} pairs of identical features are left out` : "") + `. Median ratio ${fmt(T.median, 4)}.${promise}</p>` +
    `<svg width="${w}" height="${h}" id="distortion-plot">${s}</svg>`;
}

for (const f of [runTable, labelBars, errorTable, drawMap, knnSection, leakageSection, distortionSection]) f();
document.body.dataset.rendered = "1";
</script></main></body></html>
)HTML";

}  // namespace

std::string RenderHtmlPage(const std::string& title, const std::string& data_json) {
  std::string escaped_title;
  for (char c : title) {
    if (c == '<')
      escaped_title += "&lt;";
    else if (c == '&')
      escaped_title += "&amp;";
    else
      escaped_title += c;
  }
  return std::string(kHead) + escaped_title + kStyle + data_json + kScript;
}

}  // namespace imgfeat::report

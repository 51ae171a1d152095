/**
 * The ring page: one HTML document with its style and script inline, so a
 * director serves it with nothing to build or fetch. The script listens to
 * /ring/events (server-sent events; the browser reconnects by itself) and
 * redraws from each snapshot (web/ring-snapshot.ts). Every value is put in
 * the page as text, never as markup. Elements carry data-* attributes so
 * scripts and tests can read the page as an operator reads it.
 */
export const RING_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mail-director ring</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
  body { margin: 0; padding: 0.75rem; }
  h1 { font-size: 1.15rem; margin: 0 0 0.25rem; }
  h2 { font-size: 1rem; margin: 1.1rem 0 0.4rem; }
  #conn { font-size: 0.85rem; color: #5b6475; }
  #conn[data-state="lost"] { color: #b42318; font-weight: 600; }
  .grid { display: grid; gap: 0.5rem; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }
  .card { background: #fff; border-radius: 0.5rem; padding: 0.6rem 0.75rem; border-left: 0.35rem solid #98a2b3; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card[data-health="up"], .card[data-live="true"] { border-left-color: #12b76a; }
  .card[data-health="down"], .card[data-live="false"] { border-left-color: #d92d20; }
  .card[data-health="pending"] { border-left-color: #f79009; }
  .card .name { font-weight: 600; }
  .card .meta { font-size: 0.85rem; color: #5b6475; overflow-wrap: anywhere; }
  .badge { display: inline-block; font-size: 0.75rem; padding: 0 0.4rem; border-radius: 0.6rem; background: #eaecf0; margin-right: 0.2rem; }
  .badge.down { background: #fee4e2; color: #b42318; } .badge.up { background: #d1fadf; color: #05603a; }
  ul { margin: 0; padding-left: 1.1rem; font-size: 0.9rem; }
  li { margin: 0.15rem 0; overflow-wrap: anywhere; }
  .empty { color: #5b6475; font-size: 0.9rem; }
  #banner { display: none; background: #fee4e2; color: #b42318; padding: 0.4rem 0.6rem; border-radius: 0.4rem; margin: 0.4rem 0; }
  #banner[data-on="true"] { display: block; }
  #plan table { border-collapse: collapse; font-size: 0.9rem; margin-top: 0.4rem; }
  #plan td, #plan th { padding: 0.1rem 0.6rem; text-align: right; }
  #plan td:first-child, #plan th:first-child { text-align: left; }
</style>
</head>
<body>
<h1>Ring as seen by <span id="director">…</span></h1>
<div id="conn" data-state="connecting">connecting…</div>
<div id="banner" data-on="false"></div>
<h2>Backends</h2>
<div id="backends" class="grid"></div>
<h2>Directors</h2>
<div id="directors" class="grid"></div>
<h2>Plan a weight change</h2>
<form id="plan-form">
  <label>backend <input id="plan-backend" name="backend" size="8" required></label>
  <label>weight <input id="plan-weight" name="weight" type="number" min="0" max="10000" size="6" required></label>
  <button type="submit">plan (nothing changes)</button>
</form>
<div id="plan" data-state="none"></div>
<h2>Moves and held logins</h2>
<ul id="moves"></ul>
<h2>Recent events</h2>
<ul id="events"></ul>
<script>
"use strict";
(function () {
  var conn = document.getElementById("conn");
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function time(ms) { return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC"; }
  function seconds(ms) { return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s"; }
  function fill(id, nodes, emptyText) {
    var box = document.getElementById(id);
    box.replaceChildren();
    if (nodes.length === 0) box.appendChild(el("div", { "class": "empty" }, emptyText));
    nodes.forEach(function (n) { box.appendChild(n); });
  }
  function draw(s) {
    document.getElementById("director").textContent = s.director;
    var banner = document.getElementById("banner");
    var warn = s.fenced ? "This director is cut off from the ring's majority: it holds no logins." : s.draining ? "This director is draining (SIGTERM): it takes no new sessions." : "";
    banner.textContent = warn; banner.setAttribute("data-on", warn ? "true" : "false");
    fill("backends", s.backends.map(function (b) {
      var c = el("div", { "class": "card", "data-backend": b.id, "data-health": b.health, "data-weight": b.weight, "data-sessions": b.sessions });
      c.appendChild(el("div", { "class": "name" }, b.id + " — " + b.health + (b.admin !== "none" ? " (operator: " + b.admin + ")" : "")));
      c.appendChild(el("div", { "class": "meta" }, b.host + (b.tag ? " · tag " + b.tag : "") + " · weight " + b.weight));
      c.appendChild(el("div", { "class": "meta" }, b.sessions + " sessions · " + b.usersPlaced + " users"));
      var views = el("div", { "class": "meta" });
      Object.keys(b.views).sort().forEach(function (d) { views.appendChild(el("span", { "class": "badge " + b.views[d], "data-view": d }, d + ": " + b.views[d])); });
      c.appendChild(views);
      if (b.users) c.appendChild(el("div", { "class": "meta", "data-users": "" }, b.users.join(", ")));
      return c;
    }), "no backends");
    fill("directors", s.directors.map(function (d) {
      var c = el("div", { "class": "card", "data-director": d.id, "data-live": d.live });
      c.appendChild(el("div", { "class": "name" }, d.id + (d.self ? " (this page)" : "") + " — " + (d.live ? "alive" : "not answering")));
      c.appendChild(el("div", { "class": "meta" }, d.address));
      c.appendChild(el("div", { "class": "meta" }, d.self ? "clock " + s.clock : "heard " + seconds(d.lastHeardMs) + " ago · view lag " + seconds(d.lagMs)));
      return c;
    }), "no directors");
    fill("moves", s.moves.map(function (m) {
      return el("li", { "data-move-to": m.to, "data-elsewhere": m.sessionsElsewhere },
        (m.user !== undefined ? m.user : "a user") + " → " + m.to + " · " + (m.sessionsElsewhere > 0 ? m.sessionsElsewhere + " sessions elsewhere still ending" : "done") + " · " + seconds(m.ageMs) + " ago");
    }), "none in progress");
    fill("events", s.events.map(function (e) {
      return el("li", { "data-event": e.kind }, time(e.atMs) + " " + e.text);
    }), "nothing yet");
    conn.textContent = "live · " + time(s.atMs) + " · " + s.entries + " ring entries";
    conn.setAttribute("data-state", "live");
  }
  // The plan is the director's (GET /ring/plan, ring/plan.ts): the page only asks and draws it.
  function drawPlan(p) {
    var box = document.getElementById("plan");
    box.replaceChildren();
    box.setAttribute("data-state", p.error ? "error" : "done");
    if (p.error) { box.appendChild(el("div", { "class": "empty" }, p.error)); return; }
    box.setAttribute("data-moved", p.moved);
    box.appendChild(el("div", { "class": "meta" }, p.users + " ring users with live sessions · " + p.moved + " would move" +
      (p.keptBySessions > 0 ? " (" + p.keptBySessions + " kept by their sessions until they end)" : "") + " · nothing changed"));
    var t = el("table");
    var head = el("tr");
    ["backend", "before", "after"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    t.appendChild(head);
    p.shares.forEach(function (sh) {
      var r = el("tr", { "data-share": sh.backendId, "data-before": sh.before, "data-after": sh.after });
      [sh.backendId, sh.before, sh.after].forEach(function (v) { r.appendChild(el("td", null, v)); });
      t.appendChild(r);
    });
    box.appendChild(t);
    if (p.moves) box.appendChild(el("div", { "class": "meta", "data-users": "" }, p.moves.map(function (m) { return m.user + " " + m.from + "→" + m.to; }).join(", ")));
  }
  document.getElementById("plan-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = new URLSearchParams(location.search);
    q.set("weight", document.getElementById("plan-backend").value + ":" + document.getElementById("plan-weight").value);
    document.getElementById("plan").setAttribute("data-state", "asking");
    fetch("/ring/plan?" + q.toString()).then(function (r) { return r.json(); }).then(drawPlan, function (e) { drawPlan({ error: String(e) }); });
  });
  var source = new EventSource("/ring/events" + location.search);
  source.addEventListener("snapshot", function (ev) { draw(JSON.parse(ev.data)); });
  source.onerror = function () { conn.textContent = "connection lost, retrying…"; conn.setAttribute("data-state", "lost"); };
})();
</script>
</body>
</html>
`;

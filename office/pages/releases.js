// The release pages' only script: it tells the server the browser's time
// zone (used from the next page on: a form keeps the zone it was shown
// in), counts down to a lift, and keeps the live delivery view current.
// Without it every page still works, in UTC and as of its loading.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("office_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "office_tz=" + encodeURIComponent(zone) + "; path=/office; SameSite=Lax; max-age=31536000";
    }
  } catch (e) { /* no zone: the server shows UTC */ }

  // Pages leave the audience count to this script once they know it runs.
  if (document.cookie.indexOf("office_js=1") < 0) {
    document.cookie = "office_js=1; path=/office; SameSite=Lax; max-age=31536000";
  }
  var pending = document.querySelector("#audience[data-src]");
  if (pending) countAudience(pending);

  // countAudience fetches a draft's audience and its publish sentence,
  // which the page left out so as not to wait for them; publishing can be
  // confirmed once they are shown.
  function countAudience(section) {
    var note = document.getElementById("audience-pending");
    function failed() {
      section.removeAttribute("aria-busy");
      note.textContent = note.getAttribute("data-failed") + " ";
      var a = document.createElement("a");
      a.href = "?count=1";
      a.textContent = note.getAttribute("data-retry");
      note.appendChild(a);
    }
    if (!window.fetch) { failed(); return; }
    fetch(section.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
      .then(function (a) {
        var t = document.createElement("template");
        t.innerHTML = a.audience;
        section.replaceWith(t.content);
        var sentence = document.querySelector("#publish-sentence strong");
        if (sentence) sentence.textContent = a.publish;
        var confirm = document.getElementById("confirm"), button = document.getElementById("do-publish");
        if (a.nobody && button) {
          button.disabled = true;
          var why = document.createElement("p");
          why.className = "why";
          why.id = "why-publish";
          why.textContent = a.why;
          button.setAttribute("aria-describedby", "why-publish");
          button.parentNode.after(why);
        } else if (confirm) {
          confirm.disabled = false;
        }
      })
      .catch(failed);
  }

  var live = document.getElementById("live");
  if (!live) return;
  var progress = document.getElementById("progress");
  var countdown = document.getElementById("countdown");
  var lift = live.getAttribute("data-lift");

  function tick() {
    if (!countdown || !lift) return;
    var s = Math.round((Date.parse(lift) - Date.now()) / 1000);
    if (s < 0) s = 0;
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    countdown.textContent = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  if (countdown && lift) { tick(); setInterval(tick, 1000); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var labels = {};
  try { labels = JSON.parse(live.getAttribute("data-labels")); } catch (e) { /* keys then */ }
  function label(key) {
    return labels[key] || key;
  }
  function render(state) {
    lift = state.embargo_until || "";
    live.setAttribute("data-status", state.status);
    var box = document.createDocumentFragment();
    if (!state.dispatches.length) box.appendChild(el("p", "", label("none")));
    state.dispatches.forEach(function (d) {
      var div = el("div", "dispatch");
      div.setAttribute("data-variant", d.variant);
      var h = el("h3", "", label("variant_" + d.variant) + " ");
      h.appendChild(el("span", "pct", d.percent + "%"));
      div.appendChild(h);
      var p = el("p", "counts", label("total") + ": ");
      p.appendChild(el("span", "total", String(d.total)));
      Object.keys(d.by_status).sort().forEach(function (s) {
        p.appendChild(document.createTextNode(" · "));
        p.appendChild(el("span", "st", label("dstatus_" + s) + ": " + d.by_status[s]));
      });
      div.appendChild(p);
      var l = el("p", "langs-count");
      Object.keys(d.by_language).sort().forEach(function (k) {
        l.appendChild(el("span", "lc", k + ": " + d.by_language[k] + " "));
      });
      div.appendChild(l);
      box.appendChild(div);
    });
    progress.replaceChildren(box);
    var line = document.getElementById("countdown-line");
    if (line && state.status !== "embargoed") line.hidden = true;
  }
  if (!window.EventSource) return;
  var es = new EventSource(live.getAttribute("data-events"));
  es.addEventListener("progress", function (ev) {
    render(JSON.parse(ev.data));
  });
})();

// The editor's script: formatting buttons, a preview of each body as its
// message shows it, the audience panel counted again as the audience
// changes, autosave of a saved draft, and a warning before leaving with
// changes not saved. The server does all the work (the preview is its
// Markdown renderer and sanitizer, the counts its audience statements);
// without the script the form saves, and the page shows the preview and
// the panel as of its loading.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch || !window.URLSearchParams) return;

  var autosaveURL = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  var panel = document.getElementById("audience-panel");
  var changes = 0; // changes made since the page was loaded
  var savedAt = 0; // the value of changes the last save saw

  function dirty() { return changes !== savedAt; }
  function mark() { form.setAttribute("data-dirty", dirty() ? "true" : "false"); }
  if (form.getAttribute("data-unsaved") === "true") changes = 1;
  mark();

  function debounce(fn, ms) {
    var t = null;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  // The form as it would be posted, without the button that posts it.
  function fields(extra) {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) {
      if (k !== "op" && typeof v === "string") p.append(k, v);
    });
    if (extra) Object.keys(extra).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }
  function token() {
    var t = form.querySelector("input[name=csrf]");
    return t ? t.value : "";
  }
  function post(url, body, signal) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", signal: signal,
      headers: { "Accept": "text/html, application/json" } });
  }

  // Previews: one per translation, a moment after typing stops. Only the
  // latest answer is shown.
  var previewSeq = {};
  function preview(area) {
    var box = document.getElementById(area.getAttribute("data-preview"));
    if (!box) return;
    var id = area.id, seq = (previewSeq[id] || 0) + 1;
    previewSeq[id] = seq;
    var body = new URLSearchParams();
    body.set("csrf", token());
    body.set("lang", box.getAttribute("data-lang"));
    body.set("markdown", area.value);
    post(form.getAttribute("data-markdown"), body).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.text();
    }).then(function (html) {
      // Sanitized by the server, as the message's body is.
      if (previewSeq[id] === seq) box.innerHTML = html;
    }).catch(function () { /* the last preview stays */ });
  }
  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-preview]"), function (area) {
    var later = debounce(function () { preview(area); }, 350);
    area.addEventListener("input", later);
  });

  // Formatting buttons insert Markdown at the cursor, around what is
  // selected, or a placeholder the officer types over.
  function insert(area, kind, text) {
    var v = area.value, s = area.selectionStart, e = area.selectionEnd;
    var sel = v.slice(s, e) || text;
    var lineStart = v.lastIndexOf("\n", s - 1) + 1;
    var before = v.slice(0, s), out, pick;
    function block(str) {
      // A block starts on a line of its own, after a blank line.
      var pre = before.length === 0 || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      return pre + str + "\n\n";
    }
    function prefix(p, numbered) {
      return sel.split("\n").map(function (l, i) { return (numbered ? (i + 1) + ". " : p) + l; }).join("\n");
    }
    switch (kind) {
      case "heading":
        if (s === lineStart && e === s) { out = "## " + sel; pick = [3, 3 + sel.length]; break; }
        out = block("## " + sel); pick = [out.indexOf(sel), out.indexOf(sel) + sel.length]; break;
      case "bold":
        out = "**" + sel + "**"; pick = [2, 2 + sel.length]; break;
      case "link":
        out = "[" + sel + "](https://)"; pick = [sel.length + 3, sel.length + 11]; break;
      case "bullets":
        out = block(prefix("- ")); pick = [out.length - 2, out.length - 2]; break;
      case "numbers":
        out = block(prefix("", true)); pick = [out.length - 2, out.length - 2]; break;
      case "quote":
        out = block(prefix("> ")); pick = [out.length - 2, out.length - 2]; break;
      case "table":
        out = block("| " + text + " 1 | " + text + " 2 |\n|---|---|\n|  |  |");
        pick = [out.indexOf("|  |") + 2, out.indexOf("|  |") + 2]; break;
      default:
        return;
    }
    area.value = before + out + v.slice(e);
    area.focus();
    area.setSelectionRange(s + pick[0], s + pick[1]);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  Array.prototype.forEach.call(form.querySelectorAll(".md-toolbar"), function (bar) {
    var area = document.getElementById(bar.getAttribute("data-for"));
    if (!area) return;
    bar.hidden = false;
    var buttons = bar.querySelectorAll("button");
    bar.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-md]");
      if (b) insert(area, b.getAttribute("data-md"), b.getAttribute("data-text"));
    });
    // Arrow keys move along the toolbar, as in any toolbar.
    bar.addEventListener("keydown", function (ev) {
      var i = Array.prototype.indexOf.call(buttons, document.activeElement);
      if (i < 0) return;
      var rtl = getComputedStyle(bar).direction === "rtl";
      var step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, Home: -i, End: buttons.length - 1 - i }[ev.key];
      if (step === undefined) return;
      ev.preventDefault();
      buttons[(i + step + buttons.length) % buttons.length].focus();
    });
  });

  // The audience panel, counted again for what the form now holds.
  var audienceSeq = 0, counting = null;
  function countAudience() {
    if (!panel) return;
    var seq = ++audienceSeq;
    // A count no longer wanted is cancelled, and with it its query.
    if (counting && window.AbortController) counting.abort();
    counting = window.AbortController ? new AbortController() : null;
    panel.setAttribute("aria-busy", "true");
    post(form.getAttribute("data-audience"), fields(), counting && counting.signal).then(function (res) {
      return res.text().then(function (html) {
        if (seq !== audienceSeq) return;
        var type = res.headers.get("Content-Type") || "";
        // A refusal (an expired session) is a whole page, not a panel.
        if (type.indexOf("text/html") === 0 && (res.ok || res.status === 422)) panel.innerHTML = html;
      });
    }).catch(function () { /* the last count stays */ }).then(function () {
      if (seq === audienceSeq) panel.removeAttribute("aria-busy");
    });
  }
  var recount = debounce(countAudience, 300);
  // A page shown without its count (the server leaves it to us) counts now.
  if (panel && panel.querySelector("[data-pending]")) countAudience();
  var audienceFields = /^(regions|countries|topics|embargo_until|embargo_missions|embargo_verified|original_language)$/;

  // Autosave: a few seconds after the last change, and at least every
  // fifteen seconds while changes keep coming.
  var timer = null, firstUnsaved = 0, saving = false, stopped = !autosaveURL;
  function say(text) { if (status) status.textContent = text; }
  function save() {
    timer = null;
    if (stopped || saving || !dirty()) return;
    saving = true;
    var seen = changes;
    say(form.getAttribute("data-saving"));
    post(autosaveURL, fields()).then(function (res) {
      return res.json().then(function (a) {
        if (res.ok) {
          var stamp = document.getElementById("stamp");
          if (stamp && a.stamp) stamp.value = a.stamp;
          savedAt = seen;
          firstUnsaved = 0;
        }
        if (a.stop) stopped = true;
        say(a.message);
      });
    }).catch(function () {
      say(form.getAttribute("data-failed"));
    }).then(function () {
      saving = false;
      mark();
      // Changes made while saving are saved next; a refused save is not
      // tried again until something changes.
      if (changes !== seen && !stopped) schedule();
    });
  }
  function schedule() {
    if (stopped) return;
    var now = Date.now();
    if (!firstUnsaved) firstUnsaved = now;
    clearTimeout(timer);
    timer = setTimeout(save, Math.max(0, Math.min(3000, firstUnsaved + 15000 - now)));
  }

  function changed(ev) {
    changes++;
    mark();
    schedule();
    var name = ev.target && ev.target.name;
    if (name && audienceFields.test(name)) recount();
  }
  function ticked(ev) { return ev.target.type === "checkbox" || ev.target.type === "radio"; }
  // Text says "input" as it is typed; a checkbox says "change" (and in
  // some browsers "input" too, which is not counted twice).
  form.addEventListener("input", function (ev) { if (!ticked(ev)) changed(ev); });
  form.addEventListener("change", function (ev) { if (ticked(ev)) changed(ev); });
  form.addEventListener("submit", function () {
    savedAt = changes;
    stopped = true;
    clearTimeout(timer);
    mark();
  });
  window.addEventListener("beforeunload", function (ev) {
    if (!dirty()) return;
    ev.preventDefault();
    ev.returnValue = "";
  });
})();

// Preselects the browser's time zone on the subscribe form while it still
// shows the default; the form works the same without it.
(function () {
  var select = document.getElementById("timezone");
  if (!select || select.value !== "UTC" || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.value = zone; return; }
  }
})();

// Progressive enhancement only: every form and link works without this file.
// htmx (vendor/htmx) sends the session's CSRF token with the requests it makes.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});
// A form with data-confirm asks first (e.g. declining a match).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});

// Progressive enhancement of the profile editor: a skill suggestion, when chosen, fills its
// field. Without this file the typed words are sent and the API resolves them.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-fill-skill]");
  if (!button) { return; }
  var box = button.closest(".suggestions");
  var input = box && document.querySelector('[aria-describedby="' + box.id + '"]');
  if (input) {
    input.value = button.getAttribute("data-fill-skill");
    box.innerHTML = "";
    input.focus();
  }
});

// A case's file: the legal-step form asks for the cause only when the cause is recorded, and
// for the new start date only for an extension (without this script both are simply shown).
(function () {
  "use strict";
  const form = document.getElementById("form-record");
  if (!form) {
    return;
  }
  const kind = form.querySelector('select[name="kind"]');
  const cause = form.querySelector('[data-for="cause"]');
  const until = form.querySelector('[data-for="extension"]');
  function update() {
    cause.hidden = kind.value !== "cause";
    until.hidden = kind.value !== "extension";
  }
  kind.addEventListener("change", update);
  update();
})();

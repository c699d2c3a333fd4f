// The outcome form of a collection task: the promise's date and amount are asked only when
// the outcome is "promised" (hidden and left out of the post otherwise). Without this
// script every field shows and the service refuses a promise given with another outcome.
(function () {
  "use strict";

  function setUp(form) {
    const promise = form.querySelector("[data-promise]");
    if (!promise) return;
    const sync = function () {
      const chosen = form.querySelector("input[name=outcome]:checked");
      const hasError = promise.querySelector(".field-error") !== null;
      const shown = hasError || (chosen !== null && chosen.value === "promised");
      promise.hidden = !shown;
      promise.querySelectorAll("input").forEach(function (input) {
        input.disabled = !shown;
      });
    };
    form.addEventListener("change", function (event) {
      if (event.target.name === "outcome") {
        // An error shown for an earlier choice no longer applies.
        promise.querySelectorAll(".field-error").forEach(function (error) { error.remove(); });
        sync();
      }
    });
    sync();
  }

  document.querySelectorAll("[data-outcome-form]").forEach(setUp);
})();

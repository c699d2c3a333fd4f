// The route sheet (billing/reading/entry.html), typed with the keyboard alone: Enter in a
// read's value input submits its row (the form's own submit, which htmx sends), and when
// the row comes back saved the focus moves to the next row still to read, so the reader
// types digits, Enter, digits, Enter... A refused value keeps the focus on its row with the
// value selected, ready to be typed again. Clicking "save" behaves the same way.
(() => {
  "use strict";

  const VALUE_INPUT = "[data-read-value]";

  // The first input still to read after `row`, else the first one above it (the reader
  // skipped a meter), else none: the route is done.
  const nextInput = (row) => {
    const inputs = Array.from(row.closest("table").querySelectorAll(VALUE_INPUT));
    const after = inputs.find(
      (input) => row.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING,
    );
    return after || inputs[0] || null;
  };

  document.addEventListener("htmx:afterSettle", (event) => {
    const row = event.target;
    if (!(row instanceof HTMLTableRowElement) || !row.closest("#route-sheet")) return;
    // Only move a focus the swap took away (or htmx gave back to the same input): the
    // reader may have gone on to another row meanwhile.
    const active = document.activeElement;
    if (active && active !== document.body && !row.contains(active)) return;
    const refused = row.querySelector(VALUE_INPUT);
    if (refused) {
      refused.focus();
      refused.select();
      return;
    }
    const next = nextInput(row);
    if (next) {
      next.focus();
    } else {
      const counter = document.getElementById("read-counter");
      if (counter) counter.focus();
    }
  });
})();

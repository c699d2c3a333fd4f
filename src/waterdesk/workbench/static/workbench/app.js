// Small behaviours of the staff pages, bound by data attributes: the Content-Security-Policy
// allows no inline script (no onclick=, no hx-on), so they live here.
//   data-clear-target="ID"     on click, empty the element with that id
//   data-enter-stays           Enter in this field does not submit its form
//   data-announce-text         in content that htmx swaps in: its text is read out through
//                              the page's status region (#live-status), e.g. "3 customers found"
// and, on every page:
//   - a form that posts is sent once: until its answer arrives, another click or Enter does
//     nothing and its buttons are disabled (the services are idempotent too);
//   - after a refused form the focus goes to the first field marked invalid (its error is
//     read with it), scrolled into view; without one, to the error message;
//   - a table that scrolls sideways in its frame (.table-wrap, on a phone) takes the focus,
//     so that the keyboard can scroll it too.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-clear-target]");
  if (button) {
    const target = document.getElementById(button.dataset.clearTarget);
    if (target) target.replaceChildren();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.closest("[data-enter-stays]")) {
    event.preventDefault();
  }
});

// --- one submission per form ------------------------------------------------------------

function isPostForm(form) {
  const method = (form.getAttribute("method") || "get").toLowerCase();
  return method === "post" || form.hasAttribute("hx-post");
}

function setBusy(form, busy) {
  if (busy) {
    form.dataset.submitting = "true";
  } else {
    delete form.dataset.submitting;
  }
  for (const button of form.querySelectorAll("button, input[type=submit]")) {
    if (busy) {
      if (button.disabled) continue;
      button.dataset.busyDisabled = "true";
      button.disabled = true;
    } else if (button.dataset.busyDisabled) {
      delete button.dataset.busyDisabled;
      button.disabled = false;
    }
  }
}

// Capture phase: ahead of htmx, which sends hx-post forms from its own submit listener.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !isPostForm(form)) return;
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.dataset.submitting = "true";
    // Disabled after the browser (or htmx) has read the form: a disabled submit button
    // would leave its own name and value out of the request.
    window.setTimeout(() => {
      if (form.dataset.submitting === "true") setBusy(form, true);
    }, 0);
  },
  true,
);

// htmx answers without replacing the page: the form may be sent again.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt && event.detail.elt.closest("form");
  if (form && form.dataset.submitting === "true") setBusy(form, false);
});

// Back to a page the browser kept (history): its forms were left waiting.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-submitting]")) setBusy(form, false);
});

// --- focus after a refused form ----------------------------------------------------------

function openAround(element) {
  for (let details = element.closest("details"); details; details = details.parentElement.closest("details")) {
    details.open = true;
  }
}

function focusFirstProblem(root) {
  const field = root.querySelector('[aria-invalid="true"]:not([type="hidden"]):not([disabled])');
  const target = field || root.querySelector('[role="alert"]');
  if (!target) return false;
  openAround(target);
  if (!field && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "center" });
  return true;
}

document.addEventListener("DOMContentLoaded", () => {
  focusFirstProblem(document.getElementById("main") || document.body);
});

// --- htmx swaps: refused rows keep the focus, results are announced ----------------------

document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  if (!(target instanceof Element)) return;
  // An outerHTML swap replaced the target: look at its successor (same id).
  const scope = target.isConnected ? target : target.id && document.getElementById(target.id);
  if (!scope) return;
  if (scope.querySelector('[aria-invalid="true"]')) focusFirstProblem(scope);
  const summary = scope.querySelector("[data-announce-text]");
  const region = document.getElementById("live-status");
  if (summary && region) {
    // A new text node each time: the same words twice are read twice.
    region.replaceChildren(document.createTextNode(summary.textContent.trim()));
  }
});

// --- tables wider than the screen ----------------------------------------------------------

// A frame that scrolls is a tab stop (arrow keys scroll it); one that fits is none.
function markScrollingTables() {
  for (const frame of document.querySelectorAll(".table-wrap")) {
    if (frame.scrollWidth > frame.clientWidth) {
      frame.setAttribute("tabindex", "0");
    } else if (frame.getAttribute("tabindex") === "0") {
      frame.removeAttribute("tabindex");
    }
  }
}

document.addEventListener("DOMContentLoaded", markScrollingTables);
document.addEventListener("htmx:afterSettle", markScrollingTables);
window.addEventListener("resize", markScrollingTables);

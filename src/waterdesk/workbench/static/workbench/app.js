// Small behaviours of the staff pages, bound by data attributes: the Content-Security-Policy
// allows no inline script (no onclick=, no hx-on), so they live here.
//   data-clear-target="ID"     on click, empty the element with that id
//   data-enter-stays           Enter in this field does not submit its form
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

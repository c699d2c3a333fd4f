// The counter's pay form: the amount follows the chosen bills, the change follows the cash
// tendered, and only the fields of the chosen method are shown. The result page opens the
// receipt at once (once per payment).
(function () {
  "use strict";

  function cents(text) {
    var value = Number(String(text || "").trim());
    return Number.isFinite(value) ? Math.round(value * 100) : null;
  }

  function yuan(value) {
    return (value / 100).toFixed(2);
  }

  function setUpPayForm(form) {
    var unpaidNode = document.getElementById("bill-unpaid");
    var unpaid = unpaidNode ? JSON.parse(unpaidNode.textContent) : {};
    var amount = form.querySelector("#id_amount");
    var tendered = form.querySelector("#id_tendered");
    var change = form.querySelector("#change-due");

    function showChange() {
      var paid = cents(amount.value);
      var given = cents(tendered && tendered.value);
      change.textContent = paid !== null && given !== null && given >= paid ? yuan(given - paid) : "—";
    }

    function followBills() {
      var total = 0;
      form.querySelectorAll("input[name=bills]:checked").forEach(function (box) {
        total += cents(unpaid[box.value]) || 0;
      });
      if (total > 0) {
        amount.value = yuan(total);
      }
      showChange();
    }

    function showMethodFields() {
      var chosen = form.querySelector("input[name=method]:checked");
      var method = chosen ? chosen.value : "cash";
      form.querySelectorAll("[data-method-field]").forEach(function (block) {
        block.hidden = block.dataset.methodField.split(" ").indexOf(method) < 0;
      });
    }

    form.querySelectorAll("input[name=bills]").forEach(function (box) {
      box.addEventListener("change", followBills);
    });
    form.querySelectorAll("input[name=method]").forEach(function (radio) {
      radio.addEventListener("change", showMethodFields);
    });
    amount.addEventListener("input", showChange);
    if (tendered) {
      tendered.addEventListener("input", showChange);
    }
    showMethodFields();
    showChange();
    // A second click while the first is on its way is not sent again (the token would
    // make it harmless anyway).
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  function openReceipt(link) {
    var key = "receipt-opened-" + link.dataset.openAtOnce;
    try {
      if (window.sessionStorage.getItem(key)) {
        return;
      }
      window.sessionStorage.setItem(key, "1");
    } catch (error) {
      // No storage: open it anyway.
    }
    window.open(link.href, "_blank", "noopener");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("pay-form");
    if (form) {
      setUpPayForm(form);
    }
    var receipt = document.querySelector("[data-open-at-once]");
    if (receipt) {
      openReceipt(receipt);
    }
  });
})();

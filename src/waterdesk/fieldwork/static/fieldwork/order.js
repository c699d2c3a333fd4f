// The crew's order page (fieldwork/order.html). Plain JS, no library; the forms work
// without it (the Content-Security-Policy allows no inline script, so it lives here):
//   form[data-step=arrive]   on "到达现场", asks the phone for its position (a few seconds
//                            at most) and sends it in the hidden latitude/longitude; without
//                            a position the arrival is sent all the same.
//   [data-signature-pad]     the customer signs on a canvas with a finger, a pen or the
//                            mouse (pointer events); the drawing goes into the hidden field
//                            named by data-signature-field as a PNG data URL; "清除重签"
//                            empties both. A signature sent back with a refused form is
//                            drawn again.
"use strict";

(function () {
  const GEO_WAIT_MS = 8000;

  // --- arrival: the phone's position --------------------------------------------------

  function setUpArrival(form) {
    const latitude = form.querySelector("input[name=latitude]");
    const longitude = form.querySelector("input[name=longitude]");
    const status = form.querySelector("[data-geo-status]");
    if (!latitude || !longitude || !("geolocation" in navigator)) return;

    let asked = false;
    form.addEventListener("submit", (event) => {
      if (asked || latitude.value) return; // the second time round: let it go
      event.preventDefault();
      asked = true;
      if (status) status.textContent = form.dataset.geoWaiting || "正在获取位置…";
      let sent = false;
      const send = () => {
        if (sent) return;
        sent = true;
        form.submit(); // no submit event: app.js's one-submission guard stays as it is
      };
      const timer = window.setTimeout(send, GEO_WAIT_MS);
      navigator.geolocation.getCurrentPosition(
        (position) => {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          window.clearTimeout(timer);
          send();
        },
        () => {
          window.clearTimeout(timer);
          send();
        },
        { enableHighAccuracy: true, timeout: GEO_WAIT_MS - 500, maximumAge: 60000 },
      );
    });
  }

  // --- the signature pad ----------------------------------------------------------------

  function setUpSignaturePad(pad) {
    const canvas = pad.querySelector("canvas");
    const field = document.getElementById(pad.dataset.signatureField);
    const clear = pad.querySelector("[data-signature-clear]");
    const status = pad.querySelector("[data-signature-status]");
    if (!canvas || !field || !canvas.getContext) return;
    const context = canvas.getContext("2d");
    const signedText = pad.dataset.signedText || "已签名。";
    const emptyText = pad.dataset.emptyText || "尚未签名。";
    let stroke = null; // the pointer drawing now and its last point
    let marked = Boolean(field.value); // something has been drawn

    function pen() {
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
    }

    function redraw(dataUrl, width, height) {
      const picture = new Image();
      picture.addEventListener("load", () => context.drawImage(picture, 0, 0, width, height));
      picture.src = dataUrl;
    }

    // The canvas's pixels follow its size on the screen (sharp lines on a dense screen);
    // a drawing already made is kept when the phone turns.
    function fit() {
      const box = canvas.getBoundingClientRect();
      if (!box.width || !box.height) return;
      const ratio = window.devicePixelRatio || 1;
      const kept = field.value; // the drawing as last saved (after each stroke)
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      pen();
      if (kept) redraw(kept, box.width, box.height);
    }

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function show() {
      if (status) status.textContent = marked ? signedText : emptyText;
    }

    function save() {
      field.value = marked ? canvas.toDataURL("image/png") : "";
      show();
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== undefined && event.button > 0) return; // the left button or a touch
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      stroke = { id: event.pointerId, last: point(event) };
    });

    canvas.addEventListener("pointermove", (event) => {
      if (!stroke || stroke.id !== event.pointerId) return;
      event.preventDefault();
      const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      context.beginPath();
      context.moveTo(stroke.last.x, stroke.last.y);
      for (const move of moves.length ? moves : [event]) {
        const next = point(move);
        context.lineTo(next.x, next.y);
        stroke.last = next;
      }
      context.stroke();
      marked = true;
    });

    function finish(event) {
      if (!stroke || stroke.id !== event.pointerId) return;
      stroke = null;
      save();
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("lostpointercapture", finish);

    if (clear) {
      clear.addEventListener("click", () => {
        context.clearRect(0, 0, canvas.width, canvas.height);
        marked = false;
        save();
      });
    }

    fit();
    show();
    let resizing = null;
    window.addEventListener("resize", () => {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(fit, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-step=arrive]").forEach(setUpArrival);
    document.querySelectorAll("[data-signature-pad]").forEach(setUpSignaturePad);
  });
})();

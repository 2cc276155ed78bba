// The shell of both portals: a table that scrolls sideways inside its DSFR frame (on a narrow
// screen, at 200 % zoom) can be scrolled with the keyboard (WCAG 2.1.1). Its scrolling box
// takes the focus, named after the table's caption, while it overflows, and gives it up when
// its content fits, so that a table that fits costs no tab stop.
(function () {
  "use strict";
  var SCROLLERS = ".fr-table__container, .fr-table > table";

  function nameOf(box) {
    var table = box.tagName === "TABLE" ? box : box.querySelector("table");
    var caption = table && table.querySelector("caption");
    var text = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
    return text ? "Tableau défilant : " + text : "Tableau défilant";
  }

  function update() {
    var boxes = document.querySelectorAll(SCROLLERS);
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.classList.add("shell-scroll-region");
          if (box.tagName !== "TABLE") {
            box.setAttribute("role", "region");
            box.setAttribute("aria-label", nameOf(box));
          }
        }
      } else if (box.classList.contains("shell-scroll-region") && !box.contains(document.activeElement)) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        box.classList.remove("shell-scroll-region");
      }
    }
  }

  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      update();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("load", update);
  window.addEventListener("resize", later);
})();

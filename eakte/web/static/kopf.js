/* The header's menu button: under 700 px the navigation, quick search and sign-out fold
   behind it. Loaded in <head> so that the fold happens before the first paint; without
   this script the button stays hidden and the menu open (eakte.css). */
(function () {
  "use strict";

  var narrow = window.matchMedia("(max-width: 43.75rem)");
  document.documentElement.classList.add("mit-skript");

  function setUp() {
    var button = document.querySelector(".menueknopf");
    var menu = document.getElementById("kopf-menue");
    if (!button || !menu) { return; }

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("offen", open);
    }

    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && narrow.matches && menu.classList.contains("offen")) {
        show(false);
        button.focus();
      }
    });
    narrow.addEventListener("change", function () { show(false); });
    show(false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

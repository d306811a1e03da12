/* A link in a form's error summary puts the focus into its field, not only scrolls there
   (browsers only scroll to a #fragment). The first wrong field is focused on load by
   `autofocus`, which needs no script. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".fehlerliste a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });
}());

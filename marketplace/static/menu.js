// Progressive enhancement: on a phone the menu folds behind a "Menu" button (GOV.UK service
// navigation pattern). Without JavaScript the button stays hidden and the links wrap into a
// compact row (app.css), so the menu is always usable.
(function () {
  var nav = document.querySelector("[data-app-menu]");
  var button = nav && nav.querySelector(".govuk-service-navigation__toggle");
  var list = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!list || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 40.0525em)");
  nav.classList.add("app-menu--enhanced");
  button.setAttribute("aria-expanded", "false");

  function show() {
    var open = button.getAttribute("aria-expanded") === "true";
    button.hidden = !phone.matches;
    list.hidden = phone.matches && !open;
  }

  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
    show();
  });
  if (phone.addEventListener) phone.addEventListener("change", show);
  show();
})();

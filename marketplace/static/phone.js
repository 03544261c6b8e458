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

// Search on a phone: the filters fold behind "Filters" above the results (open again when the
// search has an error to fix). On a wide screen they stay open beside the results.
(function () {
  var filters = document.querySelector("[data-app-filters]");
  if (!filters || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 40.0525em)");
  var row = filters.closest(".app-search");
  if (row) row.classList.add("app-search--enhanced");
  function fit() {
    if (!phone.matches) filters.open = true;
    else if (!filters.hasAttribute("data-app-keep-open")) filters.open = false;
  }
  if (phone.addEventListener) phone.addEventListener("change", fit);
  fit();
})();

// A table's scroll region is a tab stop only while it does scroll (keyboard users can then move
// it with the arrow keys); a table that fits does not add a stop. Without JavaScript every region
// stays focusable.
(function () {
  var regions = document.querySelectorAll(".app-table-scroll");
  if (!regions.length) return;
  function fit() {
    regions.forEach(function (region) {
      if (region.scrollWidth > region.clientWidth) region.setAttribute("tabindex", "0");
      else region.removeAttribute("tabindex");
    });
  }
  window.addEventListener("resize", fit);
  fit();
})();

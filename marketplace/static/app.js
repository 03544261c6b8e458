// Progressive enhancement only: every page works without JavaScript.
// GOV.UK error summary: move focus to the summary when the page loads, so screen-reader and
// keyboard users start at the problem; a link in it moves focus to the field it names.
document.querySelectorAll('[data-module="govuk-error-summary"]').forEach(function (summary) {
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#"]');
    var field = link && document.getElementById(link.hash.slice(1));
    if (!field) return;
    event.preventDefault();
    history.replaceState(null, "", link.hash);
    var label = document.querySelector('label[for="' + field.id + '"]') || field;
    label.scrollIntoView();
    field.focus({ preventScroll: true });
  });
});

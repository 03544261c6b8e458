// The card payment page (templates/payments/pay.html). Card details go from the browser to
// Stripe (Stripe.js, loaded from the configured address), never to us.
(function () {
  "use strict";
  var auto = document.querySelector("form[data-auto-submit]");
  if (auto) {
    auto.submit(); // back from Stripe: ask our server how the payment stands
    return;
  }
  var form = document.getElementById("card-payment-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var check = document.getElementById("card-payment-check");
  var button = document.getElementById("card-pay");
  var errorBox = document.getElementById("card-error");

  function showError(message) {
    errorBox.textContent = "Error: " + (message || "Check your card details and try again.");
    errorBox.hidden = false;
    document.getElementById("card-group").classList.add("govuk-form-group--error");
    button.disabled = false;
  }

  if (form.dataset.intentStatus === "requires_action") {
    // the bank asks the cardholder to confirm (3-D Secure), then our server checks the result
    stripe.confirmCardPayment(form.dataset.clientSecret).then(function () {
      check.submit();
    });
    return;
  }

  if (typeof stripe.confirmPayment === "function") {
    // Stripe.js proper: the Payment Element; Stripe sends the family back to the return URL
    var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
    elements.create("payment").mount("#card-element");
    button.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      stripe
        .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
        .then(function (result) {
          if (result.error) showError(result.error.message);
        });
    });
    return;
  }

  // A card field and a token, sent to our server, which confirms the payment (the Stripe.js
  // that a local Stripe-compatible server such as localstripe offers has no Payment Element).
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  button.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    stripe.createToken(card).then(function (result) {
      if (result.error || !result.token) {
        showError(result.error && result.error.message);
        return;
      }
      form.elements.token.value = result.token.id;
      form.submit();
    });
  });
})();

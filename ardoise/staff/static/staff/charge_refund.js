/* The refund form: "Max" fills the largest refund, ticking lines fills their sum (in the reader's
   decimal separator, which the Max button carries). Without JavaScript both go through the server. */
(function () {
  const max = document.getElementById("max");
  const amount = document.querySelector('#refund-form input[name="amount"]');
  if (!max || !amount) return;
  max.addEventListener("click", (event) => { event.preventDefault(); amount.value = max.dataset.max; });
  document.querySelectorAll('input[name="lines"]').forEach((box) => box.addEventListener("change", () => {
    let cents = 0;
    document.querySelectorAll('input[name="lines"]:checked').forEach((b) => { cents += parseInt(b.dataset.cents, 10); });
    amount.value = cents ? (cents / 100).toFixed(2).replace(".", max.dataset.decimalSeparator || ".") : "";
  }));
})();

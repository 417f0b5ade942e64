/* The new-sale form: lines appear as they are filled, Enter moves on, and a running total
   previews what the server computes exactly when the sale is saved. */
(function () {
  const form = document.getElementById("sale-form");
  const rows = Array.from(form.querySelectorAll("tr.line"));
  const options = {};
  document.querySelectorAll("#catalogue option").forEach(o => { options[o.value.toLowerCase()] = o.dataset; });
  const totalEl = document.getElementById("running-total");
  const overEl = document.getElementById("over-available");
  const money = new Intl.NumberFormat(document.documentElement.lang || undefined,
    { style: "currency", currency: document.getElementById("sale-summary").dataset.currency });
  function number(text) {
    const value = Number(String(text || "").trim().replace(/[\s\u00a0\u202f]/g, "").replace(",", "."));
    return Number.isFinite(value) ? value : null;
  }
  // A preview only: the server computes the total exactly (minor units) when the sale is saved.
  function recompute() {
    let cents = 0;
    rows.forEach(row => {
      const item = row.querySelector(".item").value.trim();
      if (!item) return;
      const data = options[item.toLowerCase()];
      const qtyText = row.querySelector(".quantity").value;
      const qty = qtyText.trim() ? number(qtyText) : 1;
      const priceText = row.querySelector(".price").value;
      const price = priceText.trim() ? number(priceText) : (data ? number(data.price) : null);
      if (qty === null || price === null || qty <= 0 || price < 0) return;
      cents += Math.round(qty * price * 100);
    });
    totalEl.textContent = money.format(cents / 100);
    const figures = document.querySelector("#customer-picker [data-available]");
    const available = figures && figures.dataset.available !== "" ? Number(figures.dataset.available) : null;
    overEl.hidden = available === null || cents <= available;
  }
  function filled(row) { return row.querySelector(".item").value.trim() !== ""; }
  function showUpTo(n) { rows.forEach((row, i) => { row.hidden = i > n && !filled(row); }); }
  let last = 0; rows.forEach((row, i) => { if (filled(row)) last = i + 1; });
  showUpTo(last);
  rows.forEach((row, i) => {
    const item = row.querySelector(".item"), qty = row.querySelector(".quantity");
    item.addEventListener("change", () => {
      const data = options[item.value.trim().toLowerCase()];
      row.querySelector(".price").placeholder = data ? data.price : "";
      row.querySelector(".vat").placeholder = data ? data.vat : "";
    });
    row.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (event.target === item) { qty.focus(); return; }
      const next = rows[i + 1];
      if (next) { next.hidden = false; next.querySelector(".item").focus(); }
    });
  });
  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);
  document.body.addEventListener("htmx:afterSettle", recompute);
  recompute();
})();

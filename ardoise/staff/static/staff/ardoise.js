/* Small behaviours of the back office, without inline script (the Content-Security-Policy allows
   scripts from this site only): a print button, a select that submits its form, a box that ticks
   every row. Each page works without them. */
document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) { event.preventDefault(); window.print(); }
  const all = event.target.closest("input[data-select-all]");
  if (all) document.querySelectorAll(all.dataset.selectAll).forEach((box) => { box.checked = all.checked; });
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-submit-on-change]");
  if (select && select.form) select.form.submit();
});

// The portal's few behaviours (no inline script: the Content-Security-Policy forbids it).
document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) { event.preventDefault(); window.print(); }
});

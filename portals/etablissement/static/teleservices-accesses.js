// "Tout cocher" of a division on the accesses screen. Without JavaScript the button submits
// and the server gives the whole division its accesses. With it, a division lying wholly on
// this page has its boxes ticked here, for the user to review and validate; a division that
// goes on over other pages is still left to the server (ticking this page alone would give
// less than the button says).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-tout-cocher]");
  if (!button || button.dataset.entiere !== "1") {
    return;
  }
  event.preventDefault();
  const division = button.dataset.toutCocher;
  const boxes = document.querySelectorAll(
    `input[name="choisis"][data-division="${division}"]:not(:disabled)`,
  );
  for (const box of boxes) {
    box.checked = true;
  }
  const status = document.getElementById("acces-statut");
  if (status) {
    status.textContent = `Division ${button.dataset.code} cochée : validez pour donner les accès.`;
  }
});

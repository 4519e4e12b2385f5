// Copy buttons: <button class="copy-button" data-copy="text">, e.g. next to long hashes.
// Their words come translated from <body data-text-*> (base.html).
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".copy-button");
  if (!button) return;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = document.body.dataset.textCopied;
  } catch {
    button.textContent = document.body.dataset.textSelectAndCopy;
  }
});

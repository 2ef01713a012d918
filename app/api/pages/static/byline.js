// Byline's page works without this script; with it, a few things take one step less.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Choosing a sort applies it: the button is there for those without scripts.
  for (const form of document.querySelectorAll("form.sort")) {
    const select = form.querySelector("select");
    const button = form.querySelector("button.apply");
    if (!select || !button) continue;
    button.hidden = true;
    select.addEventListener("change", () => form.requestSubmit());
  }
  // "/" goes to the search box, as on many sites, unless one is typing already.
  const box = document.getElementById("q");
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLElement &&
      (event.target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName));
    if (event.key === "/" && !typing && box && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
});

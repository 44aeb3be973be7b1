// Phone navigation: the menu folds behind a button once JavaScript runs; without it
// every link stays visible.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const header = document.querySelector(".topbar");
  if (!button || !header) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = header.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", String(open));
  });
});

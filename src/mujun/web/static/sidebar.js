// The current page's entry in the side navigation, scrolled into view when the navigation is
// taller than the window (an administrator's has some twenty entries: at 1440×900 the last
// ones, 审计日志 or 修改密码, lie below the fold, and the page would not show where one is).
(() => {
  const active = document.querySelector(".navbar-vertical .nav-item.active");
  const nav = active && active.closest(".navbar-collapse");
  if (!nav) return;
  const entry = active.getBoundingClientRect(), shown = nav.getBoundingClientRect();
  if (entry.top < shown.top || entry.bottom > shown.bottom) active.scrollIntoView({block: "center"});
})();

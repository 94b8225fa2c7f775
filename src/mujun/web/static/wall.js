// 大屏: full screen on a click (a browser asks for a gesture), and the figures read again every
// five minutes, as a wall screen is left running.
(() => {
  const button = document.getElementById("wall-fullscreen");
  button.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
  setInterval(() => window.location.reload(), 5 * 60 * 1000);
})();

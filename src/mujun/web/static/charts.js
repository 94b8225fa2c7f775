// Every page's charts (ECharts), drawn at once without animation where the reader's system
// asks for reduced motion (prefers-reduced-motion: WCAG 2.3.3), as a wall screen may.
window.drawChart = (element, theme = null) => {
  const chart = echarts.init(element, theme);
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    chart.setOption({animation: false});
  }
  return chart;
};

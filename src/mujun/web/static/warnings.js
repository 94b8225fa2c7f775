// 预警详情: the months compared (this year against the same months a year earlier, or the months
// in order), from the page's JSON block (#page-data).
(() => {
  const {chart} = JSON.parse(document.getElementById("page-data").textContent);
  const element = document.getElementById("evidence-chart");
  if (!chart || !element) {
    return;
  }
  // Tabler's red and grey: this year's figure against the year before.
  const shown = drawChart(element);
  shown.setOption({
    color: ["#d63939", "#9aa0ac"],
    grid: {left: 16, right: 16, top: 36, bottom: 36, containLabel: true},
    tooltip: {trigger: "axis", renderMode: "richText"},
    legend: {bottom: 0, data: chart.series.map(s => s.name)},
    xAxis: {type: "category", data: chart.months, axisLabel: {interval: 0}},
    yAxis: {type: "value", name: chart.unit, minInterval: 1},
    series: chart.series.map(s => ({name: s.name, type: "bar", data: s.data, barMaxWidth: 32})),
  });
  window.addEventListener("resize", () => shown.resize());
})();

// The complaint analysis charts: each [data-chart] box is drawn from the page's json_script
// data ("complaint-analysis-data") with the vendored ECharts, and shown only once drawn —
// without the script the tables below each box carry the same figures. No inline script
// or style attribute is used (the Content-Security-Policy forbids both); ECharts sets its
// styles through the DOM, which the policy allows.
(function () {
  "use strict";

  var COLOURS = ["#1d5fa8", "#c0392b", "#8a8f98", "#2e7d4f", "#b26a00", "#6b3fa0"];

  function barOption(series) {
    // The largest first from the top: a horizontal bar chart reads long labels best.
    var labels = series.labels.slice().reverse();
    var counts = series.counts.slice().reverse();
    return {
      color: COLOURS,
      animation: false,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: labels,
        axisLabel: { width: 140, overflow: "truncate" },
      },
      series: [{ type: "bar", data: counts, label: { show: true, position: "right" } }],
    };
  }

  function lineOption(series) {
    return {
      color: COLOURS,
      animation: false,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: series.labels, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", data: series.counts, areaStyle: { opacity: 0.15 } }],
    };
  }

  function pieOption(series) {
    return {
      color: COLOURS,
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [
        {
          type: "pie",
          radius: ["35%", "65%"],
          data: series.labels.map(function (label, index) {
            return { name: label, value: series.counts[index] };
          }),
        },
      ],
    };
  }

  var OPTIONS = { bar: barOption, line: lineOption, pie: pieOption };

  function draw() {
    var source = document.getElementById("complaint-analysis-data");
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var series = data[box.getAttribute("data-chart")];
      var make = OPTIONS[box.getAttribute("data-chart-type")] || barOption;
      var total = series ? series.counts.reduce(function (sum, n) { return sum + n; }, 0) : 0;
      if (!series || total === 0) {
        return; // nothing to draw: the table says so
      }
      box.hidden = false;
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(make(series));
      box.setAttribute("data-drawn", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

// The dashboard's charts, drawn with Chart.js from the page's JSON block
// (#dashboard-data). Each chart repeats a table that sits beside it, so the page
// reads the same without JavaScript; the canvases stay hidden until drawn.
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  var css = window.getComputedStyle(document.documentElement);
  // Series colours come from desk/static/dashboard.css (--chart-1 … --chart-4).
  var palette = [1, 2, 3, 4].map(function (n) {
    return css.getPropertyValue("--chart-" + n).trim() || "#611232";
  });

  if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    Chart.defaults.animation = false;
  }
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = css.getPropertyValue("--ink").trim() || "#1d1d1b";
  Chart.defaults.maintainAspectRatio = false;

  function datasets(chart, filled) {
    return chart.series.map(function (series, index) {
      var color = palette[index % palette.length];
      return {
        label: series.label,
        data: series.data,
        borderColor: color,
        backgroundColor: filled ? color : "transparent",
        borderWidth: 2,
        pointRadius: 2,
        tension: 0.2
      };
    });
  }

  function draw(id, type, chart, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !chart || chart.labels.length === 0) {
      return;
    }
    canvas.parentElement.hidden = false;
    new Chart(canvas, {
      type: type,
      data: { labels: chart.labels, datasets: datasets(chart, type === "bar") },
      options: Object.assign(
        {
          responsive: true,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: chart.series.length > 1 } }
        },
        options || {}
      )
    });
  }

  draw("chart-daily", "line", data.daily, { interaction: { mode: "index", intersect: false } });
  draw("chart-topics", "bar", data.topics, {
    indexAxis: "y",
    scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
  });
  draw("chart-csat", "bar", data.csat);
  draw("chart-agents", "bar", data.agents);
})();

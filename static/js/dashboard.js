/* Draws the dashboard's figures with Chart.js from the data the page carries (json_script
   "dashboard-charts"); every figure also has its table on the page. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || !window.Chart) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var root = document.documentElement;
  // Latin digits, as the tables print them, with the separators of the page's language.
  var locale = (root.lang || "fr") + "-u-nu-latn";
  var rtl = root.dir === "rtl";
  // Dark enough against white for graphics (WCAG 1.4.11), told apart by the legend too.
  var colours = ["#a4260e", "#0b4f8a", "#1e6b33", "#8a5300", "#6b3fa0", "#4f575e", "#00707a", "#7a2e0e"];
  var narrow = window.matchMedia("(max-width: 40rem)").matches;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1d2327";
  Chart.defaults.animation = false;

  // Long labels on several lines rather than cut: "Mine antipersonnel" and "Mine antipersonnel
  // improvisée" must stay apart on a phone.
  var lineLength = narrow ? 16 : 30;
  function wrap(label) {
    var lines = [""];
    label.split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (lines[last] && (lines[last] + " " + word).length > lineLength) {
        lines.push(word);
      } else {
        lines[last] = lines[last] ? lines[last] + " " + word : word;
      }
    });
    if (lines.length > 3) {
      lines = lines.slice(0, 3);
      lines[2] += "…";
    }
    return lines.length > 1 ? lines : lines[0];
  }

  function draw(canvas) {
    var spec = charts[canvas.getAttribute("data-figure")];
    if (!spec) {
      return;
    }
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: spec.decimals });
    var valueAxis = spec.horizontal ? "x" : "y";
    var labelAxis = spec.horizontal ? "y" : "x";
    var scales = {};
    scales[valueAxis] = {
      stacked: spec.stacked,
      beginAtZero: true,
      // Right to left: values grow leftwards, and the value axis stands on the right.
      reverse: rtl && spec.horizontal,
      position: rtl && !spec.horizontal ? "right" : undefined,
      // Counts step by whole numbers; areas keep the figure's decimals (2 at most in km²).
      ticks: { precision: spec.decimals, callback: function (value) { return numbers.format(value); } }
    };
    scales[labelAxis] = {
      stacked: spec.stacked,
      reverse: rtl && !spec.horizontal,
      position: rtl && spec.horizontal ? "right" : undefined,
      ticks: { autoSkip: !spec.horizontal, callback: function (value) { return wrap(String(this.getLabelForValue(value))); } }
    };
    if (spec.horizontal) {
      // Room for every label, whatever the number of rows and of lines a label takes.
      var lines = spec.labels.reduce(function (most, label) {
        var wrapped = wrap(label);
        return Math.max(most, typeof wrapped === "string" ? 1 : wrapped.length);
      }, 1);
      canvas.parentNode.style.height = Math.max(10, spec.labels.length * (1.1 + 0.9 * lines) + 4) + "rem";
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.data,
            backgroundColor: colours[index % colours.length],
            maxBarThickness: 28
          };
        })
      },
      options: {
        indexAxis: labelAxis,
        maintainAspectRatio: false,
        locale: locale,
        scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1, rtl: rtl, textDirection: rtl ? "rtl" : "ltr",
                    labels: { boxWidth: 14 } },
          tooltip: {
            rtl: rtl,
            textDirection: rtl ? "rtl" : "ltr",
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + numbers.format(item.raw);
              }
            }
          }
        }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-figure]"), draw);
})();

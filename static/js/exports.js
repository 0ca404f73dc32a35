/* "Your exports": every 2 s, asks the API how each unfinished export is doing
   (GET /api/v1/exports/<id>/) and writes its status, progress, rows and file link into its row,
   without reloading the page. Labels come from the page ("export-labels"), in its language.
   Without this script, the page's Refresh link shows the same. */
(function () {
  "use strict";
  var table = document.querySelector("[data-exports]");
  var source = document.getElementById("export-labels");
  if (!table || !source || !window.fetch) {
    return;
  }
  var labels = JSON.parse(source.textContent);
  var news = document.getElementById("export-news");
  // Latin digits with the separators of the page's language, as the server writes them.
  var numbers = new Intl.NumberFormat((document.documentElement.lang || "fr") + "-u-nu-latn");
  var EVERY_MS = 2000;

  function field(row, name) {
    return row.querySelector('[data-field="' + name + '"]');
  }

  function unfinished() {
    return Array.prototype.filter.call(table.querySelectorAll("tr[data-export-url]"), function (row) {
      var status = row.getAttribute("data-status");
      return status === "queued" || status === "running";
    });
  }

  function announce(row, status) {
    var message = labels[status];
    if (news && message) {
      news.textContent = message.replace("%(what)s", row.getAttribute("data-what") || "");
    }
  }

  function update(row, data) {
    var before = row.getAttribute("data-status");
    row.setAttribute("data-status", data.status);
    var status = field(row, "status");
    status.textContent = labels.statuses[data.status] || data.status;
    status.className = "export-status status-" + data.status;
    var percent = labels.percent.replace("{value}", numbers.format(data.progress));
    var progress = field(row, "progress");
    if (progress) {
      progress.value = data.progress;
      progress.textContent = percent;
      progress.hidden = data.status === "failed";
    }
    var text = field(row, "progress-text");
    if (text) {
      text.textContent = percent;
      text.hidden = data.status === "failed";
    }
    field(row, "rows").textContent = numbers.format(data.rows);
    var error = field(row, "error");
    error.textContent = data.error || "";
    error.hidden = !data.error;
    var file = field(row, "file");
    if (data.status === "done") {
      file.textContent = "";
      if (data.download) {
        var link = document.createElement("a");
        link.href = row.getAttribute("data-download-url");
        link.setAttribute("download", "");
        link.textContent = labels.download;
        // Which file, for a screen reader that lists the page's links.
        var which = document.createElement("span");
        which.className = "visually-hidden";
        which.textContent = ": " + (row.getAttribute("data-what") || "");
        link.appendChild(which);
        file.appendChild(link);
      } else {
        var expired = document.createElement("span");
        expired.className = "muted";
        expired.textContent = labels.expired;
        file.appendChild(expired);
      }
    } else if (data.status === "failed") {
      file.textContent = "–";
    }
    if (before !== data.status && (data.status === "done" || data.status === "failed")) {
      announce(row, data.status);
    }
  }

  function follow(row) {
    return fetch(row.getAttribute("data-export-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 404 || response.status === 403) {
        // Deleted, or the session ended: the Refresh link says what the server knows.
        row.removeAttribute("data-export-url");
        return;
      }
      if (!response.ok) {
        return;
      }
      return response.json().then(function (data) { update(row, data); });
    }).catch(function () {
      // A slow or lost connection: asked again next time.
    });
  }

  function finish() {
    var refresh = document.getElementById("exports-refresh");
    if (refresh) {
      refresh.parentNode.hidden = true;
    }
    table.setAttribute("data-followed", "done");
  }

  function poll() {
    Promise.all(unfinished().map(follow)).then(function () {
      if (unfinished().length) {
        window.setTimeout(poll, EVERY_MS);
      } else {
        finish();
      }
    });
  }

  window.setTimeout(poll, EVERY_MS);
})();

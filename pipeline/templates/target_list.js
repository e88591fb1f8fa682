(function () {
  var table = document.getElementById("list"), body = table.tBodies[0], page = +table.dataset.page;
  var rows = Array.prototype.map.call(body.rows, function (tr, i) {
    return {tr: tr, i: i, text: tr.textContent.toLowerCase()};
  });
  var tier = "all", query = "", limit = page, fmt = new Intl.NumberFormat("en-US");
  var shown = document.getElementById("shown"), more = document.getElementById("more");
  function apply() {
    var n = 0;
    rows.forEach(function (r) {
      var match = (tier === "all" || r.tr.dataset.tier === tier) && (!query || r.text.indexOf(query) >= 0);
      r.tr.hidden = !(match && n < limit);
      if (match) n++;
    });
    shown.textContent = fmt.format(Math.min(n, limit)) + " of " + fmt.format(n) + " rows shown";
    more.hidden = n <= limit;
  }
  more.addEventListener("click", function () { limit += page; apply(); });
  document.querySelectorAll("[data-filter]").forEach(function (b) {
    b.addEventListener("click", function () {
      tier = b.dataset.filter;
      limit = page;
      document.querySelectorAll("[data-filter]").forEach(function (o) {
        o.setAttribute("aria-pressed", o === b);
      });
      apply();
    });
  });
  document.getElementById("q").addEventListener("input", function (e) {
    query = e.target.value.trim().toLowerCase();
    limit = page;
    apply();
  });
  var collate = new Intl.Collator().compare;
  function key(r, col, numeric) {
    var td = r.tr.cells[col];
    if (!numeric) return td.textContent;
    return td.dataset.v ? parseFloat(td.dataset.v) : null;
  }
  document.querySelectorAll("#list thead th").forEach(function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var numeric = th.dataset.type === "num";
      var dir = th.dataset.dir ? (th.dataset.dir === "asc" ? "desc" : "asc") : th.dataset.first;
      document.querySelectorAll("#list thead th").forEach(function (o) { delete o.dataset.dir; });
      th.dataset.dir = dir;
      var sign = dir === "asc" ? 1 : -1;
      rows.forEach(function (r) { r.k = key(r, col, numeric); });
      rows.sort(function (a, b) {  // empty cells last in both directions, ties in rank order
        var x = a.k, y = b.k;
        if (x === null || x === "") return y === null || y === "" ? a.i - b.i : 1;
        if (y === null || y === "") return -1;
        var c = numeric ? x - y : collate(x, y);
        return c ? sign * c : a.i - b.i;
      });
      apply();
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r.tr); });
      body.appendChild(frag);
    });
  });
  apply();
})();

/* /digitise: the protocol photo beside the form of its schema. The schema's control relations
   are checked as one types (which relation fails, and by how much); the service checks them
   again and decides: two identical entries by different people make the protocol official,
   and when two disagree a third is asked for. Enter moves on, Ctrl+Enter submits. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, m = HC.m;
  var task = null, rules = [], groups = {};
  var CHOICE = ["candidate", "party", "against"];
  // The page's language for lines, relations and entry states; else the service's English.
  var L = HC.cfg.labels || { lines: {}, rules: {}, states: {} };

  function input(kind, name, label, box) {
    var id = kind + "-" + name;
    var l = document.createElement("label");
    l.htmlFor = id;
    l.appendChild(document.createTextNode(label));
    var i = document.createElement("input");
    i.id = id;
    i.type = "number";
    i.step = "1";
    i.inputMode = "numeric";
    i.dataset.kind = kind;
    i.dataset.name = name;
    l.appendChild(i);
    box.appendChild(l);
  }
  function reset(box, legend) {
    box.textContent = "";
    var l = document.createElement("legend");
    l.textContent = legend;
    box.appendChild(l);
  }
  function values() {
    var out = { lines: {}, votes: {} };
    Array.prototype.forEach.call(document.querySelectorAll("#entry-form input"), function (i) {
      if (i.value.trim() !== "") { out[i.dataset.kind === "line" ? "lines" : "votes"][i.dataset.name] = parseInt(i.value, 10); }
    });
    return out;
  }
  // A side's value, or null while one of its terms is not filled in.
  function side(terms, v) {
    var total = 0;
    for (var k = 0; k < terms.length; k++) {
      var sign = terms[k][0], name = terms[k][1], part = 0;
      if (groups[name]) {
        for (var j = 0; j < groups[name].length; j++) {
          var x = v.votes[groups[name][j]];
          if (x === undefined) { return null; }
          part += x;
        }
      } else if (v.lines[name] !== undefined) {
        part = v.lines[name];
      } else if (v.votes[name] !== undefined) {
        part = v.votes[name];
      } else {
        return null;
      }
      total += sign * part;
    }
    return total;
  }
  function check() {
    var v = values(), box = $("checks");
    box.textContent = "";
    rules.forEach(function (r) {
      var li = document.createElement("li"), state = "open", diff = 0;
      if (r.kind === "non_negative") {
        var all = Object.keys(v.lines).map(function (k) { return v.lines[k]; })
          .concat(Object.keys(v.votes).map(function (k) { return v.votes[k]; }));
        var neg = all.filter(function (x) { return x < 0; });
        state = neg.length ? "fail" : (all.length ? "pass" : "open");
        diff = neg.length ? Math.min.apply(null, neg) : 0;
      } else {
        var left = side(r.left, v), right = side(r.right, v);
        if (left !== null && right !== null) {
          diff = left - right;
          var tol = r.tolerance || 0;
          var bad = r.operator === "==" ? Math.abs(diff) > tol : r.operator === "<=" ? diff > tol : -diff > tol;
          state = bad ? "fail" : "pass";
        }
      }
      li.className = state;
      li.dataset.rule = r.id;
      var word = state === "pass" ? m("check_pass") : state === "fail" ? m("check_fail", { diff: (diff > 0 ? "+" : "") + diff }) : m("check_open");
      li.textContent = (L.rules[r.id] || r.description) + ": " + word;
      box.appendChild(li);
    });
  }
  function load() {
    task = null;
    $("third").hidden = true;
    return HC.api("GET", "/digitisation/next").then(function (r) {
      if (r.status === 204) {
        $("task-title").textContent = m("nothing_to_type");
        $("entry-form").hidden = true;
        HC.photo($("protocol-img"), null);
        return;
      }
      if (r.status !== 200) { HC.refused(r); return; }
      task = r.body;
      $("entry-form").hidden = false;
      var title = m("protocol_of", { id: task.photo_id, station: task.station_id, n: task.entries_so_far + 1 });
      $("task-title").textContent = title;
      $("protocol-img").alt = title;
      $("third").hidden = task.status !== "disputed";
      HC.photo($("protocol-img"), task.url);
      reset($("lines"), m("lines"));
      reset($("votes"), m("votes"));
      task.lines.forEach(function (l) { input("line", l.name, L.lines[l.name] || l.description, $("lines")); });
      task.options.forEach(function (o) { input("vote", o.id, o.name, $("votes")); });
      return HC.election(task.election_id).then(function (e) {
        var kinds = {};
        (e && e.options || []).forEach(function (o) { kinds[o.id] = o.kind; });
        var on = task.options.map(function (o) { return o.id; });
        groups = {
          "sum(choices)": on.filter(function (id) { return CHOICE.indexOf(kinds[id]) >= 0; }),
          "sum(ballot_options)": on.filter(function (id) { return CHOICE.indexOf(kinds[id]) >= 0 || kinds[id] === "invalid"; })
        };
        var schema = (e && e.protocol_schema) || "generic";
        return fetch("/consoles/rules/" + encodeURIComponent(schema)).then(function (x) { return x.json(); });
      }).then(function (found) {
        rules = found || [];
        check();
        var firstInput = document.querySelector("#entry-form input");
        if (firstInput) { firstInput.focus(); }
      });
    });
  }
  function submit() {
    if (!task) { return; }
    var v = values();
    HC.api("POST", "/digitisation/photos/" + task.photo_id + "/entries", v).then(function (r) {
      if (r.status !== 201) { HC.refused(r); return; }
      HC.alarm("");
      HC.say(m("entry_result", { status: L.states[r.body.status] || r.body.status, n: r.body.entries }) +
             (r.body.failed_rules.length ? " ✗ " + r.body.failed_rules.map(function (id) { return L.rules[id] || id; }).join("; ") : ""));
      load();
    });
  }
  HC.start = function () {
    var form = $("entry-form");
    form.addEventListener("input", check);
    form.addEventListener("focusin", function (ev) {  // not under the sticky relations box
      if (ev.target.tagName === "INPUT") { ev.target.scrollIntoView({ block: "center" }); }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
    form.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter" || ev.target.tagName !== "INPUT") { return; }
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) { submit(); return; }
      var all = Array.prototype.slice.call(form.querySelectorAll("input"));
      var next = all[all.indexOf(ev.target) + 1];
      (next || $("do-entry")).focus();
    });
    $("do-next").addEventListener("click", load);
    load();
  };
})();

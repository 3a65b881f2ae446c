/* The email studio: CodeMirror editors, a debounced live preview, problems at their line. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 350;
  // Django's JavaScript catalog (/jsi18n/) translates; without it, the English stays.
  var _ = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_match, name) { return values[name]; });
  }
  var editors = {};

  function fieldName(textarea) {
    return textarea.name;
  }

  function makeEditor(textarea) {
    var mode = textarea.dataset.codeEditor === "json" ? { name: "javascript", json: true } : "xml";
    var rows = parseInt(textarea.getAttribute("rows") || "12", 10);
    var cm = CodeMirror.fromTextArea(textarea, {
      mode: mode,
      lineNumbers: true,
      lineWrapping: true,
      tabSize: 2,
      indentUnit: 2,
      readOnly: textarea.disabled || textarea.readOnly,
    });
    cm.setSize(null, Math.max(120, rows * 20));
    cm.getWrapperElement().dataset.field = fieldName(textarea);
    editors[fieldName(textarea)] = cm;
    return cm;
  }

  var marks = [];

  /* A problem shown in its editor: the line tinted and the message under it. */
  function markProblem(problem) {
    var cm = editors[problem.field];
    if (!cm) return;
    var line = Math.max(0, Math.min(cm.lineCount() - 1, problem.line - 1));
    var handle = cm.addLineClass(line, "background", "studio-line-error");
    var widget = document.createElement("div");
    widget.className = "studio-line-problem";
    widget.dataset.line = problem.line;
    widget.textContent = format(_("Line %(line)s, column %(column)s: %(message)s"), problem);
    marks.push({ cm: cm, handle: handle, widget: cm.addLineWidget(line, widget) });
    cm.getWrapperElement().classList.add("has-problems");
  }

  function clearMarks() {
    marks.forEach(function (mark) {
      mark.cm.removeLineClass(mark.handle, "background", "studio-line-error");
      mark.widget.clear();
      mark.cm.getWrapperElement().classList.remove("has-problems");
    });
    marks = [];
  }

  /* Errors the server put under a field after a refused save ("line 4, column 5: ..."). */
  function markServerErrors() {
    Object.keys(editors).forEach(function (name) {
      var row = editors[name].getWrapperElement().closest(".field-line");
      if (!row) return;
      row.querySelectorAll(".errorlist li").forEach(function (item) {
        var match = /line (\d+), column (\d+): (.*)/.exec(item.textContent);
        if (match) markProblem({ field: name, line: +match[1], column: +match[2], message: match[3] });
      });
    });
    if (marks.length) {  // bring the first refused line into view
      var first = marks[0];
      first.cm.scrollIntoView({ line: first.cm.getLineNumber(first.handle), ch: 0 }, 120);
    }
  }

  function init() {
    if (typeof CodeMirror !== "undefined") {
      document.querySelectorAll("textarea[data-code-editor]").forEach(makeEditor);
      markServerErrors();
    }
    var root = document.getElementById("studio-preview");  // read-only viewers preview too
    if (root) new Studio(root).start();
  }

  function Studio(root) {
    this.root = root;
    this.url = root.dataset.previewUrl;
    this.form = root.closest("form");
    this.timer = null;
    this.sequence = 0;
    this.el = function (id) { return document.getElementById(id); };
  }

  Studio.prototype.start = function () {
    var self = this;
    Object.keys(editors).forEach(function (name) {
      editors[name].on("change", function (cm) {
        cm.save();
        self.schedule();
      });
    });
    this.form.querySelectorAll("input, select, textarea:not([data-code-editor])").forEach(function (input) {
      input.addEventListener("input", function () { self.schedule(); });
      input.addEventListener("change", function () { self.schedule(); });
    });
    this.root.querySelectorAll("[data-mode]").forEach(function (button) {
      button.addEventListener("click", function () { self.setOption("mode", button); });
    });
    this.root.querySelectorAll("[data-width]").forEach(function (button) {
      button.addEventListener("click", function () { self.setOption("width", button); });
    });
    this.el("studio-refresh").addEventListener("click", function () { self.render(); });
    window.addEventListener("resize", function () { self.fit(); });
    window.studio = this;
    this.render();
  };

  Studio.prototype.setOption = function (name, button) {
    var stage = this.el("studio-stage");
    stage.dataset[name] = button.dataset[name];
    this.root.querySelectorAll("[data-" + name + "]").forEach(function (other) {
      if (other.tagName === "BUTTON") other.classList.toggle("is-active", other === button);
    });
    this.root.dataset[name] = button.dataset[name];
    this.fit();
  };

  Studio.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.root.dataset.state = "pending";
    this.timer = setTimeout(function () { self.render(); }, DEBOUNCE_MS);
  };

  Studio.prototype.render = function () {
    var self = this;
    clearTimeout(this.timer);
    Object.keys(editors).forEach(function (name) { editors[name].save(); });
    var sequence = ++this.sequence;
    this.root.dataset.state = "loading";
    this.el("studio-status").textContent = _("Rendering…");
    var body = new FormData(this.form);
    body.set("rendered", this.shown ? "1" : "0");  // nothing on screen yet: send the saved one
    fetch(this.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(format(_("The preview answered %(status)s"), { status: response.status }));
        return response.json();
      })
      .then(function (data) {
        if (sequence === self.sequence) self.show(data);
      })
      .catch(function (error) {
        if (sequence !== self.sequence) return;
        self.root.dataset.state = "error";
        self.el("studio-status").textContent = error.message;
      });
  };

  Studio.prototype.show = function (data) {
    clearMarks();
    this.showProblems(data.problems);
    if (!data.ok) {
      this.root.dataset.state = "invalid";
      var causes = data.problems.filter(function (p) { return !p.cause; }).length;
      var label = format(ngettext("%(n)s problem", "%(n)s problems", causes), { n: causes });
      if (data.fallback) {
        this.paint(data.fallback);
        this.root.dataset.showing = "saved";
        this.savedVersion = data.fallback.version;
      }
      if (this.root.dataset.showing === "saved") {
        label += format(_(" — the preview shows the saved version (v%(n)s)"), { n: this.savedVersion });
      } else if (this.shown) {
        label += _(" — the preview shows your last edit that rendered");
      } else {
        this.root.dataset.showing = "nothing";
        label += _(" — nothing has rendered yet: fix the first problem to see the email");
      }
      this.el("studio-status").textContent = label;
      this.root.dataset.renders = String(parseInt(this.root.dataset.renders, 10) + 1);
      return;
    }
    this.paint(data);
    this.root.dataset.showing = "edit";
    this.root.dataset.state = "ok";
    this.el("studio-status").textContent =
      format(_("Up to date · %(kb)s KB of HTML"), { kb: (data.size / 1024).toFixed(1) });
    this.root.dataset.renders = String(parseInt(this.root.dataset.renders, 10) + 1);
  };

  /* Put a rendered email (the edit, or the saved version) in every pane. */
  Studio.prototype.paint = function (data) {
    this.shown = true;
    this.el("studio-frame-light").srcdoc = data.html.light;
    this.el("studio-frame-dark").srcdoc = data.html.dark;
    this.el("studio-frame-forced").srcdoc = data.html.forced;
    if (data.reference && this.el("studio-frame-reference")) {
      this.el("studio-frame-reference").srcdoc = data.reference;
    }
    this.el("studio-text").textContent = data.text;
    this.el("studio-subject").textContent = data.subject;
    this.el("studio-preheader").textContent = data.preheader;
    this.el("studio-sender").textContent = data.sender;
    this.showChecks(data.checks);
    this.fit();
  };

  /* Causes first; the problems a cause brings (a typo's consequences) folded under it. */
  Studio.prototype.showProblems = function (problems) {
    var list = this.el("studio-problems");
    var self = this;
    var cause = null;
    list.innerHTML = "";
    list.hidden = !problems.length;
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.dataset.field = problem.field;
      item.dataset.line = problem.line;
      var where = document.createElement("button");
      where.type = "button";
      where.textContent = format(_("%(field)s, line %(line)s:%(column)s"), problem);
      where.addEventListener("click", function () { self.focus(problem); });
      item.appendChild(where);
      item.appendChild(document.createTextNode(" " + problem.message));
      if (problem.cause && cause) {
        cause.folded.appendChild(item);
        var n = cause.folded.children.length;
        cause.summary.textContent = format(
          ngettext("%(n)s more problem follows from this", "%(n)s more problems follow from this", n), { n: n });
        return;
      }
      list.appendChild(item);
      markProblem(problem);
      var details = document.createElement("details");
      details.className = "studio-consequences";
      var summary = document.createElement("summary");
      var folded = document.createElement("ol");
      details.appendChild(summary);
      details.appendChild(folded);
      item.appendChild(details);
      cause = { folded: folded, summary: summary };
    });
    list.querySelectorAll("details.studio-consequences").forEach(function (details) {
      if (!details.querySelector("li")) details.remove();
    });
  };

  Studio.prototype.focus = function (problem) {
    var cm = editors[problem.field];
    if (!cm) return;
    cm.focus();
    cm.setCursor({ line: problem.line - 1, ch: problem.column - 1 });
    cm.scrollIntoView(null, 120);
  };

  var ICONS = { pass: "check_circle", warn: "warning", fail: "error" };

  Studio.prototype.showChecks = function (checks) {
    var list = this.el("studio-checks");
    list.innerHTML = "";
    checks.forEach(function (check) {
      var item = document.createElement("li");
      item.className = "studio-check is-" + check.status;
      item.dataset.check = check.key;
      item.dataset.status = check.status;
      var icon = document.createElement("span");
      icon.className = "material-symbols-outlined";
      icon.textContent = ICONS[check.status];
      var body = document.createElement("div");
      var title = document.createElement("div");
      title.textContent = check.title;
      body.appendChild(title);
      if (check.items.length) {
        var items = document.createElement("ul");
        check.items.slice(0, 8).forEach(function (text) {
          var li = document.createElement("li");
          li.textContent = text;
          items.appendChild(li);
        });
        body.appendChild(items);
      }
      item.appendChild(icon);
      item.appendChild(body);
      list.appendChild(item);
    });
  };

  /* Frames keep the email's real width (600, 375 or the pane's) and are zoomed to fit. */
  Studio.prototype.fit = function () {
    var stage = this.el("studio-stage");
    var width = stage.dataset.width;
    stage.querySelectorAll(".studio-viewport").forEach(function (viewport) {
      var frame = viewport.querySelector("iframe");
      var available = viewport.clientWidth || 1;
      var target = width === "full" ? available : parseInt(width, 10);
      var zoom = Math.min(1, available / target);
      frame.style.width = target + "px";
      frame.style.zoom = zoom;
    });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

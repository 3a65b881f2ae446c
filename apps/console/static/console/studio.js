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

  var ICONS = { pass: "check_circle", warn: "warning", fail: "error", pending: "hourglass_top" };
  var SPAM_POLL_MS = 1000, SPAM_POLL_TRIES = 90;

  /* The email QA's areas: a summary line each, then its findings (client support grouped
     per client, open where a client has an error; notes folded). */
  Studio.prototype.showChecks = function (checks) {
    var list = this.el("studio-checks");
    var self = this;
    var shown = this.paints = (this.paints || 0) + 1;  // polls stop once newer checks show
    list.innerHTML = "";
    checks.forEach(function (check) {
      list.appendChild(self.checkItem(check));
      if (check.status === "pending" && check.url) self.pollSpam(check.url, shown, 0);
    });
  };

  Studio.prototype.checkItem = function (check) {
    var item = document.createElement("li");
    item.className = "studio-check is-" + check.status;
    item.dataset.check = check.key;
    item.dataset.status = check.status;
    var icon = document.createElement("span");
    icon.className = "material-symbols-outlined";
    icon.textContent = ICONS[check.status] || "help";
    var body = document.createElement("div");
    body.className = "studio-check-body";
    var title = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = check.title;
    title.appendChild(strong);
    title.appendChild(document.createTextNode(" · " + check.summary));
    body.appendChild(title);
    if (check.groups) {
      check.groups.forEach(function (group) {
        var details = document.createElement("details");
        details.className = "studio-client is-" + group.status;
        details.dataset.client = group.client;
        details.open = group.status === "fail";
        var summary = document.createElement("summary");
        summary.textContent = format(ngettext("%(client)s: %(n)s feature", "%(client)s: %(n)s features",
          group.findings.length), { client: group.client, n: group.findings.length });
        details.appendChild(summary);
        details.appendChild(findingList(group.findings, false));
        body.appendChild(details);
      });
    } else if (check.findings.length) {
      body.appendChild(findingList(check.findings, true));
    }
    item.appendChild(icon);
    item.appendChild(body);
    return item;
  };

  function findingList(findings, foldNotes) {
    var wrapper = document.createElement("div");
    var shown = document.createElement("ul");
    shown.className = "studio-findings";
    var notes = document.createElement("ul");
    notes.className = "studio-findings";
    findings.forEach(function (finding) {
      var li = document.createElement("li");
      li.dataset.severity = finding.severity;
      li.className = "is-" + finding.severity;
      var where = finding.where && finding.where !== finding.message ? finding.where + ": " : "";
      li.textContent = where + finding.message;
      if (finding.detail) {
        var detail = document.createElement("div");
        detail.className = "studio-finding-detail";
        detail.textContent = finding.detail;
        li.appendChild(detail);
      }
      (foldNotes && finding.severity === "info" ? notes : shown).appendChild(li);
    });
    wrapper.appendChild(shown);
    if (notes.children.length) {
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = format(ngettext("%(n)s note", "%(n)s notes", notes.children.length),
        { n: notes.children.length });
      details.appendChild(summary);
      details.appendChild(notes);
      wrapper.appendChild(details);
    }
    return wrapper;
  }

  /* SpamAssassin runs on a consumer: ask until the score is there, while these checks show.
     data-spam-asking counts the asks in flight (tests wait for none before leaving). */
  Studio.prototype.pollSpam = function (url, shown, tries) {
    var self = this;
    if (shown !== this.paints) return;
    var root = this.root;
    root.dataset.spamAsking = String((+root.dataset.spamAsking || 0) + 1);
    function done() { root.dataset.spamAsking = String(+root.dataset.spamAsking - 1); }
    function spamItem() { return self.el("studio-checks").querySelector('[data-check="spam"]'); }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        if (!response.ok) throw new Error(format(_("The spam score answered %(status)s"), { status: response.status }));
        return response.json();
      })
      .then(function (answer) {
        done();
        if (shown !== self.paints) return;
        var current = spamItem();
        if (answer.state === "done" && current) {
          current.replaceWith(self.checkItem(answer.check));
        } else if (answer.state === "pending" && tries < SPAM_POLL_TRIES) {
          setTimeout(function () { self.pollSpam(url, shown, tries + 1); }, SPAM_POLL_MS);
        } else if (current) {
          current.querySelector(".studio-check-body div").textContent = answer.state === "gone"
            ? _("Spam score: the preview expired; render again")
            : _("Spam score: no consumer has scored it yet; is one running?");
        }
      })
      .catch(function (error) {
        done();
        var current = spamItem();
        if (shown === self.paints && current) {
          current.querySelector(".studio-check-body div").textContent = error.message;
        }
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

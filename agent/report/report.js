/*
 * report.js: draws grove's report from the JSON blob in #grove-data
 * (written by agent/report_*.c). Plain ES2017, no libraries, nothing fetched.
 *
 * A run page (data.kind == "run"): state and totals, the tree as SVG (a click
 * or the keyboard selects a node; the selection lives in the URL's #node-ID,
 * so a reload keeps it), the selected node's details, charts over time, the
 * node table and the configuration. A bench page (data.kind == "bench"): the
 * runs per competition, each linking to its own page.
 *
 * Texts (code, plan, output, review) come as runs into data.lines: [start,
 * count, start, count, ...] (agent/report_int.h says why).
 */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('grove-data').textContent);
  var main = document.getElementById('main');
  var STAGES = ['draft', 'improve', 'debug', 'crossover', 'ensemble'];

  /* ---- small helpers ---- */

  var ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  function escOne(c) { return ESC[c]; }
  function esc(s) {
    return String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g, escOne);
  }
  function text(runs) {
    if (!runs) return null;
    var out = [];
    for (var i = 0; i + 1 < runs.length; i += 2)
      for (var k = 0; k < runs[i + 1]; k++) out.push(D.lines[runs[i] + k]);
    return out.join('\n');
  }
  function num(v) { return typeof v === 'number' && isFinite(v); }
  function fmtScore(v, digits) { return num(v) ? v.toFixed(digits || 5) : '–'; }
  /* one formatter: toLocaleString makes a new one per call, which a 1,000-row
   * table pays a thousand times */
  var INT = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
  function fmtInt(v) { return num(v) ? INT.format(Math.round(v)) : '–'; }
  function fmtCost(v) { return num(v) ? '$' + v.toFixed(v < 1 ? 4 : 2) : 'unknown'; }
  function fmtDur(s) {
    if (!num(s)) return '–';
    if (s < 60) return s.toFixed(1) + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + ('0' + Math.round(s % 60)).slice(-2) + 's';
    return Math.floor(s / 3600) + 'h' + ('0' + Math.floor(s % 3600 / 60)).slice(-2) + 'm';
  }
  function fmtTime(t) { return num(t) ? new Date(t * 1000).toISOString().replace('.000', '') : '–'; }
  function el(tag, attrs, html) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (html !== undefined) e.innerHTML = html;
    return e;
  }
  function section(title, id) {
    var s = el('section', {id: id});
    s.appendChild(el('h2', {}, esc(title)));
    main.appendChild(s);
    return s;
  }
  function kv(rows) {
    return '<table class="kv">' + rows.filter(function (r) { return r; }).map(function (r) {
      return '<tr><td>' + esc(r[0]) + '</td><td>' + r[1] + '</td></tr>';
    }).join('') + '</table>';
  }

  /* ---- line diff (Myers, O((N+M)D)) ---- */

  function diffLines(a, b) {
    var n = a.length, m = b.length, max = n + m, off = max + 1;
    var v = new Int32Array(2 * max + 3), trace = [];
    for (var d = 0; d <= max; d++) {
      trace.push(v.slice());
      for (var k = -d; k <= d; k += 2) {
        var x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
          : v[off + k - 1] + 1;
        var y = x - k;
        while (x < n && y < m && a[x] === b[y]) { x++; y++; }
        v[off + k] = x;
        if (x >= n && y >= m) return backtrack(trace, a, b, off, d);
      }
    }
    return [];
  }
  function backtrack(trace, a, b, off, dEnd) {
    var x = a.length, y = b.length, ops = [];
    for (var d = dEnd; d > 0; d--) {
      var v = trace[d], k = x - y;
      var prevK = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? k + 1 : k - 1;
      var px = v[off + prevK], py = px - prevK;
      while (x > px && y > py) { ops.push([' ', a[--x]]); y--; }
      if (x === px) ops.push(['+', b[--y]]); else ops.push(['-', a[--x]]);
    }
    while (x > 0) { ops.push([' ', a[--x]]); y--; }
    return ops.reverse();
  }
  /* Unified diff with `ctx` lines of context, as HTML. */
  function diffHtml(oldText, newText, ctx) {
    var ops = diffLines(oldText.split('\n'), newText.split('\n'));
    var keep = new Uint8Array(ops.length), changed = 0;
    ops.forEach(function (op, i) {
      if (op[0] === ' ') return;
      changed++;
      for (var j = Math.max(0, i - ctx); j <= Math.min(ops.length - 1, i + ctx); j++) keep[j] = 1;
    });
    if (!changed) return '<span class="muted">(the same code as its parent)</span>';
    var out = [], ia = 0, ib = 0, gap = false;
    ops.forEach(function (op, i) {
      if (keep[i]) {
        if (gap || i === 0) out.push('<span class="hunk">@@ -' + (ia + 1) + ' +' + (ib + 1) + ' @@</span>');
        gap = false;
        var cls = op[0] === '+' ? 'add' : op[0] === '-' ? 'del' : '';
        var line = esc(op[0] + op[1]);
        out.push(cls ? '<span class="' + cls + '">' + line + '</span>' : line + '\n');
      } else {
        gap = true;
      }
      if (op[0] !== '+') ia++;
      if (op[0] !== '-') ib++;
    });
    return out.join('');
  }

  /* ---- the run ---- */

  function runPage() {
    var cfg = D.config || {}, st = D.status || {};
    var nodes = D.nodes || [], byId = {};
    var lower = !!cfg.lower_is_better;
    D.final = D.final || {};
    /* the final node: as the selection analysis names it, else the node whose
     * script best/solution.py is */
    if (D.analysis && num(D.analysis.final_node)) D.final.node = D.analysis.final_node;
    else if (D.finished && num(D.finished.final_node)) D.final.node = D.finished.final_node;
    if (!st.stop_reason && D.finished) st.stop_reason = D.finished.stop_reason;
    nodes.forEach(function (n) { byId[n.id] = n; n.kids = []; });
    (st.inflight || st.inflight_file || []).forEach(function (f) {
      if (byId[f.id] || st.state !== 'running') return;
      byId[f.id] = {id: f.id, stage: f.stage, parent: f.parent, inflight: true,
        created_at: f.created_at, kids: []};
      nodes.push(byId[f.id]);
    });
    nodes.sort(function (a, b) { return a.id - b.id; });
    nodes.forEach(function (n) { if (num(n.parent) && byId[n.parent]) byId[n.parent].kids.push(n.id); });
    var finalists = finalistSet(nodes);
    var ctx = {cfg: cfg, st: st, nodes: nodes, byId: byId, lower: lower, finalists: finalists,
      label: (cfg.scoring === 'self-report' ? 'self-reported ' : 'holdout ') + (cfg.metric || 'score')};

    header(ctx);
    totals(ctx);
    var grid = el('div', {class: 'grid'});
    var left = el('div', {class: 'panel', id: 'tree-panel'});
    var right = el('div', {class: 'panel', id: 'node'});
    grid.appendChild(left);
    grid.appendChild(right);
    section('Search tree', 'tree').appendChild(grid);
    drawTree(ctx, left);
    finalSelectionSection(ctx);
    selectionSection(ctx);
    charts(ctx);
    nodeTable(ctx);
    section('Configuration', 'config').appendChild(el('pre', {}, esc(JSON.stringify(cfg, null, 2))));

    var first = location.hash.match(/^#node-(\d+)$/);
    var start = first && byId[first[1]] ? +first[1] : num(D.best) ? D.best
      : nodes.length ? nodes[0].id : null;
    ctx.select = function (id, scroll) { select(ctx, id, scroll); };
    /* scrolled to once the page is laid out: scrolling now would force a
     * layout of the whole page in the middle of building it */
    if (start !== null) select(ctx, start, 'frame');
    keyboard(ctx);
    window.addEventListener('hashchange', function () {
      var m = location.hash.match(/^#node-(\d+)$/);
      if (m && byId[m[1]] && +m[1] !== ctx.sel) select(ctx, +m[1], true);
    });
    /* the page a running grove keeps in its folder is rewritten as it goes */
    if (st.state === 'running' && decodeURIComponent(location.pathname) === D.run_dir + '/report.html')
      setTimeout(function () { location.reload(); }, 10000);
  }

  /* Nodes of the final selection, where the run records them: a node.json
   * field (finalist / selection_rank), else the nodes re-run on the full data. */
  function finalistSet(nodes) {
    var set = {};
    nodes.forEach(function (n) {
      if (n.finalist || num(n.selection_rank) || num(n.hidden_score)) set[n.id] = 1;
    });
    ((D.final || {}).reruns || []).forEach(function (id) { set[id] = 1; });
    ((D.analysis || {}).nodes || []).forEach(function (e) { set[e.id] = 1; });
    ((D.selection || {}).finalists || []).forEach(function (e) { set[e.id] = 1; });
    return set;
  }

  function header(ctx) {
    var st = ctx.st, box = document.getElementById('state');
    var why = st.stop_reason || '';
    var line;
    if (st.state === 'running') {
      line = 'running: last update ' + fmtTime(st.updated_at) + (why ? ' (stopping: ' + why + ')' : '');
    } else if (st.state === 'finished') {
      line = 'finished: ' + (why || 'done') + (st.exit_code ? ' (exit code ' + st.exit_code + ')' : '');
    } else if (st.state === 'killed') {
      line = 'killed: its last status (' + fmtTime(st.updated_at) + ') said running, and no grove ' +
        'holds the run any more' + (why ? '; it was stopping: ' + why : '');
    } else {
      line = 'stopped: no status recorded (a grove older than this report, or killed before its first node)';
    }
    var inflight = (st.inflight || st.inflight_file || []).length;
    if (st.state !== 'finished' && st.state !== 'running' && inflight)
      line += '; ' + inflight + ' node(s) were in flight and are redone by `grove run --resume ' +
        (D.run_dir || 'RUN') + '`';
    box.innerHTML = '<span class="badge ' + esc(st.state) + '" id="run-state">' + esc(st.state) +
      '</span> <span class="why" id="stop-reason">' + esc(line) + '</span>';
  }

  function totals(ctx) {
    var n = ctx.nodes, done = n.filter(function (x) { return !x.inflight; });
    var buggy = done.filter(function (x) { return x.is_buggy; }).length;
    var sum = function (f) { return done.reduce(function (s, x) { return s + (num(x[f]) ? x[f] : 0); }, 0); };
    var costKnown = done.every(function (x) { return num(x.cost); });
    var t0 = Math.min.apply(null, n.map(function (x) { return x.created_at || Infinity; }));
    var t1 = Math.max.apply(null, done.map(function (x) { return x.finished_at || 0; }).concat([0]));
    var best = ctx.byId[D.best], grade = (D.final || {}).grade;
    var cards = [
      [fmtInt(done.length), 'nodes done' + (n.length > done.length ? ' (+' + (n.length - done.length) + ' in flight)' : '')],
      [fmtInt(buggy), 'buggy'],
      [best ? fmtScore(best.score) : '–', 'best ' + ctx.label + (best ? ' (node ' + best.id + ')' : '')],
    ];
    if (grade) {
      var medal = grade.gold_medal ? 'gold' : grade.silver_medal ? 'silver' : grade.bronze_medal ? 'bronze' : 'no medal';
      cards.push([grade.valid_submission ? fmtScore(grade.score) : 'invalid',
        'test score of the final submission (' + medal + (grade.above_median ? ', above median' : '') + ')']);
    }
    cards.push([fmtDur(isFinite(t0) && t1 > t0 ? t1 - t0 : NaN), 'search wall time']);
    cards.push([fmtDur(sum('exec_time')), 'script time']);
    cards.push([fmtInt(sum('tokens_in')) + ' / ' + fmtInt(sum('tokens_out')), 'tokens in / out']);
    cards.push([costKnown ? fmtCost(sum('cost')) : 'unknown', 'LLM cost']);
    var box = el('div', {class: 'cards', id: 'totals'});
    box.innerHTML = cards.map(function (c) { return '<div class="card"><b>' + esc(c[0]) + '</b><span>' + esc(c[1]) + '</span></div>'; }).join('');
    main.appendChild(box);
    var where = el('p', {class: 'muted'}, 'competition <b>' + esc(ctx.cfg.competition || '?') + '</b>, ' +
      esc(ctx.cfg.metric || 'score') + (ctx.lower ? ' (lower is better)' : ' (higher is better)') +
      ', coder ' + esc(ctx.cfg.model || '?') + ', run folder <span class="mono">' + esc(D.run_dir) + '</span>');
    main.appendChild(where);
  }

  /* ---- the tree: task on the left, depth to the right, one row per leaf ---- */

  function drawTree(ctx, box) {
    var roots = ctx.nodes.filter(function (n) { return !num(n.parent) || !ctx.byId[n.parent]; });
    var ROW = 22, COL = 104, X0 = 34, Y0 = 16, row = 0, pos = {}, edges = [], parts = [];
    function place(n, depth) {
      var ys = n.kids.map(function (k) { return place(ctx.byId[k], depth + 1); });
      var y = ys.length ? (ys[0] + ys[ys.length - 1]) / 2 : Y0 + ROW * row++;
      pos[n.id] = [X0 + COL * (depth + 1), y];
      return y;
    }
    roots.forEach(function (r) { place(r, 0); });
    var rootY = roots.length ? (pos[roots[0].id][1] + pos[roots[roots.length - 1].id][1]) / 2 : Y0;
    var maxDepth = 0;
    ctx.nodes.forEach(function (n) {
      var p = pos[n.id], q = num(n.parent) && pos[n.parent] ? pos[n.parent] : [X0, rootY];
      maxDepth = Math.max(maxDepth, p[0]);
      var mx = (p[0] + q[0]) / 2;
      edges.push('M' + q[0] + ' ' + q[1] + 'C' + mx + ' ' + q[1] + ' ' + mx + ' ' + p[1] + ' ' + p[0] + ' ' + p[1]);
    });
    ctx.nodes.forEach(function (n) {
      var p = pos[n.id], cls = ['node', n.stage];
      if (n.inflight) cls.push('inflight');
      else if (n.is_buggy) cls.push('buggy');
      else if (!num(n.score)) cls.push('noscore');
      if (n.id === D.best) cls.push('best');
      if (n.id === (D.final || {}).node) cls.push('final');
      else if (ctx.finalists[n.id]) cls.push('finalist');
      var ring = cls[cls.length - 1] === 'final' || cls[cls.length - 1] === 'finalist';
      var score = n.inflight ? 'running' : n.is_buggy ? 'buggy' : fmtScore(n.score, 4);
parts.push('<g class="' + cls.join(' ') + '" id="n-' + n.id + '" data-id="' + n.id +
        '" data-score="' + (num(n.score) ? n.score : '') + '" transform="translate(' + p[0] + ',' + p[1] + ')">' +
        (ring ? '<circle class="ring" r="9"></circle>' : '') + '<circle r="6"></circle>' +
        '<text x="10" y="4">' + n.id + ' ' + esc(score) + '</text></g>');
    });
    var w = maxDepth + COL, h = Y0 + ROW * Math.max(row, 1);
    box.innerHTML = '<div class="legend">' +
      '<span><i style="border-color:var(--draft)"></i>draft</span>' +
      '<span><i style="border-color:var(--improve)"></i>improve</span>' +
      '<span><i style="border-color:var(--debug)"></i>debug</span>' +
      '<span><i style="border-color:var(--crossover)"></i>crossover</span>' +
      '<span><i style="border-color:var(--ensemble)"></i>ensemble</span>' +
      '<span><i style="background:#cfe8d8"></i>scored</span>' +
      '<span><i style="background:var(--buggy)"></i>buggy</span>' +
      '<span><i style="background:var(--best)"></i>best</span>' +
      '<span><i style="border-color:var(--final)"></i>final / finalist</span>' +
      '<span><i style="border-color:var(--running);border-style:dashed"></i>in flight</span>' +
      '<span>keys: ←/→ siblings, ↑ parent, ↓ child, j/k next/previous id, b best</span></div>' +
      '<div id="tree-box" tabindex="0"><svg id="tree-svg" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '">' +
      '<path class="edge" d="' + edges.join('') + '"></path>' +
      '<g transform="translate(' + X0 + ',' + rootY + ')"><rect x="-6" y="-6" width="12" height="12" fill="#6a6f75"></rect>' +
      '<text x="0" y="20" text-anchor="middle">task</text></g>' + parts.join('') + '<circle id="halo" r="11"></circle></svg></div>';
    box.querySelector('svg').addEventListener('click', function (e) {
      var g = e.target.closest ? e.target.closest('.node') : null;
      if (g) ctx.select(+g.getAttribute('data-id'), false);
    });
  }

  function select(ctx, id, scroll) {
    var n = ctx.byId[id];
    if (!n) return;
    var old = document.querySelectorAll('.sel');
    for (var i = 0; i < old.length; i++) old[i].classList.remove('sel');
    var g = document.getElementById('n-' + id), tr = document.getElementById('row-' + id);
    if (g) g.classList.add('sel');
    var halo = document.getElementById('halo');
    if (g && halo) halo.setAttribute('transform', g.getAttribute('transform'));
    if (tr) tr.classList.add('sel');
    ctx.sel = id;
    if (location.hash !== '#node-' + id) history.replaceState(null, '', '#node-' + id);
    var into = function () { g.scrollIntoView({block: 'nearest', inline: 'nearest'}); };
    if (scroll && g && g.scrollIntoView) {
      if (scroll === 'frame') requestAnimationFrame(into); else into();
    }
    nodePanel(ctx, n);
  }

  function keyboard(ctx) {
    document.addEventListener('keydown', function (e) {
      if (e.target && /INPUT|TEXTAREA/.test(e.target.tagName)) return;
      var n = ctx.byId[ctx.sel];
      if (!n) return;
      var sibs = num(n.parent) && ctx.byId[n.parent] ? ctx.byId[n.parent].kids
        : ctx.nodes.filter(function (x) { return !num(x.parent) || !ctx.byId[x.parent]; }).map(function (x) { return x.id; });
      var i = sibs.indexOf(n.id), ids = ctx.nodes.map(function (x) { return x.id; }), j = ids.indexOf(n.id);
      var to = {
        ArrowUp: num(n.parent) ? n.parent : null,
        ArrowDown: n.kids.length ? n.kids[0] : null,
        ArrowLeft: i > 0 ? sibs[i - 1] : null,
        ArrowRight: i >= 0 && i + 1 < sibs.length ? sibs[i + 1] : null,
        j: j + 1 < ids.length ? ids[j + 1] : null,
        k: j > 0 ? ids[j - 1] : null,
        b: num(D.best) ? D.best : null,
      }[e.key];
      if (to === undefined || to === null || !ctx.byId[to]) return;
      e.preventDefault();
      ctx.select(to, true);
    });
  }

  /* ---- the selected node ---- */

  var KNOWN = ['id', 'step', 'stage', 'parent', 'score', 'self_score', 'is_buggy', 'bug_reason',
    'exception', 'summary', 'debug_depth', 'exec_time', 'model', 'tokens_in', 'tokens_out', 'cost',
    'created_at', 'created_at_iso', 'started_at', 'started_at_iso', 'finished_at', 'finished_at_iso',
    'code', 'plan', 'output', 'review', 'kids', 'inflight', 'members', 'weights'];

  function outputHtml(out) {
    var lines = out.split('\n'), HEAD = 40, TAIL = 40;
    if (lines.length <= HEAD + TAIL + 5) return '<pre id="node-output">' + esc(out) + '</pre>';
    return '<pre id="node-output">' + esc(lines.slice(0, HEAD).join('\n')) +
      '\n<span class="muted">… ' + (lines.length - HEAD - TAIL) + ' lines …</span>\n' +
      esc(lines.slice(-TAIL).join('\n')) + '</pre><details><summary>whole output (' +
      lines.length + ' lines)</summary><pre>' + esc(out) + '</pre></details>';
  }

  function scoresHtml(ctx, n) {
    var fin = D.final || {}, rows = [];
    rows.push(['search ' + ctx.label, n.is_buggy ? '<span class="bug">buggy</span>' : esc(fmtScore(n.score)) +
      (n.id === D.best ? ' <b>best</b>' : '')]);
    if (num(n.self_score)) rows.push(["the script's own claim", esc(fmtScore(n.self_score))]);
    Object.keys(n).forEach(function (k) {
      if (KNOWN.indexOf(k) < 0 && /score|holdout|test/.test(k) && (num(n[k]) || typeof n[k] === 'string'))
        rows.push([k.replace(/_/g, ' '), esc(num(n[k]) ? fmtScore(n[k]) : n[k])]);
    });
    if (n.id === fin.node && fin.grade) {
      var g = fin.grade;
      rows.push(['test (final submission)', g.valid_submission ? esc(fmtScore(g.score)) +
        (g.any_medal ? ' <b>' + (g.gold_medal ? 'gold' : g.silver_medal ? 'silver' : 'bronze') + '</b>' : '') +
        (g.above_median ? ', above median' : '') : '<span class="bug">invalid: ' + esc(g.error) + '</span>']);
    }
    ((D.selection || {}).finalists || []).forEach(function (e) {
      if (e.id !== n.id || D.selection.rule !== 'hidden') return;
      rows.push(['hidden holdout (final selection)', num(e.hidden_score) ? esc(fmtScore(e.hidden_score)) +
        (num(e.hidden_sd) ? ' ± ' + esc(fmtScore(e.hidden_sd, 4)) + ' (sd of ' + (e.hidden_runs || []).length + ' runs)' : '') +
        (e.id === D.selection.pick ? ' <b>pick</b>' : '') : '<span class="bug">' + esc(e.error || 'none') + '</span>']);
    });
    if (D.selection && n.id === D.selection.pick && D.selection.reason)
      rows.push(['why it was picked', esc(D.selection.reason)]);
    ((D.analysis || {}).nodes || []).forEach(function (e) {
      if (e.id !== n.id || n.id === fin.node) return;
      rows.push(['test (re-run on the full data, analysis only)', num(e.test_score) ? esc(fmtScore(e.test_score)) +
        (e.id === D.analysis.oracle_node ? ' <b>oracle</b>' : '') : '<span class="bug">' + esc(e.error || 'none') + '</span>']);
    });
    if (ctx.finalists[n.id]) rows.push(['selection', n.id === fin.node ? 'chosen for the final submission'
      : 'finalist (re-run on the full data)']);
    return kv(rows);
  }

  function nodePanel(ctx, n) {
    var box = document.getElementById('node'), parent = ctx.byId[n.parent];
    var title = 'node ' + n.id + ' · ' + esc(n.stage) + (num(n.parent) ? ' ← ' + n.parent : '') + ' · ' +
      (n.inflight ? 'in flight' : n.is_buggy ? '<span class="bug">buggy</span>' : esc(ctx.label) + ' ' + fmtScore(n.score));
    if (n.inflight) {
      box.innerHTML = '<h2 id="node-title">' + title + '</h2><p class="muted">started ' + fmtTime(n.created_at) +
        '; nothing is committed until its script has run and been scored.</p>';
      return;
    }
    var code = text(n.code) || '', pcode = parent ? text(parent.code) || '' : null;
    var wall = num(n.finished_at) && num(n.created_at) ? n.finished_at - n.created_at : NaN;
    var blend = n.stage === 'ensemble' && Array.isArray(n.members);
    var git = 'git -C ' + (D.run_dir || 'RUN') + ' show node/' + n.id + (blend ? ':recipe.json' : ':solution.py');
    var html = '<h2 id="node-title">' + title + '</h2>' +
      '<div class="gitline"><input id="node-git" readonly value="' + esc(git) + '" title="the node\'s script, from the run\'s git repository"></div>';
    if (n.is_buggy) html += '<h3>bug</h3><p class="bug" id="node-bug">' + esc(n.bug_reason || n.exception || 'failed') + '</p>';
    html += '<h3>scores</h3>' + scoresHtml(ctx, n);
    html += '<h3>time, tokens, cost</h3>' + kv([
      ['created', esc(fmtTime(n.created_at))], ['finished', esc(fmtTime(n.finished_at))],
      ['wall (LLM + script + scoring)', esc(fmtDur(wall))], ['script', esc(fmtDur(n.exec_time))],
      ['tokens in / out', esc(fmtInt(n.tokens_in) + ' / ' + fmtInt(n.tokens_out))],
      ['cost', esc(fmtCost(n.cost))], ['model', esc(n.model || '–')],
      n.debug_depth ? ['debug depth', esc(n.debug_depth)] : null]);
    var extra = Object.keys(n).filter(function (k) { return KNOWN.indexOf(k) < 0 && !/score|holdout|test/.test(k); });
    if (extra.length) html += '<h3>other fields</h3>' + kv(extra.map(function (k) {
      return [k, '<span class="mono">' + esc(JSON.stringify(n[k])) + '</span>'];
    }));
    if (blend) html += '<h3>blend (no script of its own)</h3>' + kv(n.members.map(function (m, i) {
      var w = (n.weights || [])[i];
      return ['node ' + m, esc('weight ' + (num(w) ? w.toFixed(3) : '?') + ', ' + ctx.label + ' ' +
        fmtScore((ctx.byId[m] || {}).score))];
    }));
    html += '<h3>plan</h3><pre id="node-plan" style="white-space:pre-wrap">' + esc(text(n.plan) || '') + '</pre>';
    if (!blend) html += '<h3>code</h3><div class="tabs"><button data-t="diff" class="' + (pcode !== null ? 'on' : '') + '">diff vs parent' +
      (parent ? ' (node ' + parent.id + ')' : '') + '</button><button data-t="code" class="' + (pcode === null ? 'on' : '') +
      '">solution.py</button></div><pre class="diff" id="node-code"></pre>';
    html += '<h3>output (head and tail)</h3>' + outputHtml(text(n.output) || '');
    html += '<h3>review</h3><pre id="node-review" style="white-space:pre-wrap">' + esc(text(n.review) || n.summary || '') + '</pre>';
    box.innerHTML = html;
    document.getElementById('node-git').addEventListener('focus', function (e) { e.target.select(); });
    var pre = document.getElementById('node-code');
    if (!pre) return; /* an ensemble: no script to show */
    function show(which) {
      pre.innerHTML = which === 'diff' && pcode !== null ? diffHtml(pcode, code, 3) : esc(code);
      var bs = box.querySelectorAll('.tabs button');
      for (var i = 0; i < bs.length; i++) bs[i].classList.toggle('on', bs[i].getAttribute('data-t') === which);
    }
    show(pcode !== null ? 'diff' : 'code');
    box.querySelector('.tabs').addEventListener('click', function (e) {
      if (e.target.getAttribute('data-t')) show(e.target.getAttribute('data-t'));
    });
  }

  /* The final selection (RUN/selection.json): the finalists' search and
   * hidden-holdout scores, the pick and why. */
  function finalSelectionSection(ctx) {
    var sel = D.selection;
    if (!sel || !sel.finalists) return;
    var hidden = sel.rule === 'hidden';
    var rows = sel.finalists.map(function (e) {
      return '<tr><td class="num">' + e.rank + '</td><td class="num"><a href="#node-' + e.id + '">' + e.id + '</a></td><td class="num">' +
        esc(fmtScore(e.search_score)) + '</td>' + (hidden ? '<td class="num">' + esc(num(e.hidden_score) ? fmtScore(e.hidden_score) : e.error || '–') +
        '</td>' : '') + '<td>' + (e.id === sel.pick ? 'pick' : '') + '</td></tr>';
    });
    var s = section('Final selection', 'final-selection');
    s.appendChild(el('div', {class: 'panel'}, '<p>' + (hidden ? 'the ' + esc(sel.k) + ' best nodes by search score, re-run on train + search holdout ' +
      'and graded on a hidden holdout of ' + esc(sel.hidden_rows) + ' rows that the search never saw: ' : 'by search score: ') +
      '<b id="selection-reason">' + esc(sel.reason || '') + '</b></p>' +
      '<table id="finalists"><thead><tr><th class="num">rank</th><th class="num">node</th><th class="num">search score</th>' +
      (hidden ? '<th class="num">hidden score</th>' : '') + '<th></th></tr></thead><tbody>' + rows.join('') + '</tbody></table>'));
  }

  /* The selection analysis (RUN/analysis.json), where the run made one: the
   * K best nodes by search score, graded on the test answers afterwards. */
  function selectionSection(ctx) {
    var a = D.analysis;
    if (!a || !a.nodes) return;
    var rows = a.nodes.map(function (e) {
      return '<tr><td class="num">' + e.rank + '</td><td class="num"><a href="#node-' + e.id + '">' + e.id + '</a></td><td class="num">' +
        esc(fmtScore(e.search_score)) + '</td><td class="num">' + esc(num(e.test_score) ? fmtScore(e.test_score) : e.error || '–') +
        '</td><td>' + (e.id === a.final_node ? 'final ' : '') + (e.id === a.oracle_node ? 'oracle' : '') + '</td></tr>';
    });
    var s = section('Selection analysis', 'selection');
    s.appendChild(el('div', {class: 'panel'}, '<p>the ' + esc(a.k) + ' best nodes by search score, re-run on the full data and graded on the test answers ' +
      '(after the search, never seen by it): final node ' + esc(a.final_node) + ' ' + esc(fmtScore(a.final_score)) + ', oracle node ' +
      esc(a.oracle_node) + ' ' + esc(fmtScore(a.oracle_score)) + ', regret <b id="regret">' + esc(fmtScore(a.regret)) + '</b>' +
      (num(a.regret_normalised) ? ' (' + esc(fmtScore(a.regret_normalised, 3)) + ' of the median-to-silver gap)' : '') + '</p>' +
      '<table><thead><tr><th class="num">rank</th><th class="num">node</th><th class="num">search score</th><th class="num">test score</th><th></th></tr></thead><tbody>' +
      rows.join('') + '</tbody></table>'));
  }

  /* ---- charts ---- */

  function svgOpen(id, w, h) {
    return '<svg id="' + id + '" viewBox="0 0 ' + w + ' ' + h + '" style="width:100%;max-width:' + w + 'px">';
  }
  function axes(w, h, pad, xmax, ymin, ymax, xlabel, yfmt) {
    var out = '<line class="axis" x1="' + pad + '" y1="' + (h - pad) + '" x2="' + (w - 8) + '" y2="' + (h - pad) + '"></line>' +
      '<line class="axis" x1="' + pad + '" y1="8" x2="' + pad + '" y2="' + (h - pad) + '"></line>';
    for (var i = 0; i <= 4; i++) {
      var y = 8 + (h - pad - 8) * i / 4, v = ymax - (ymax - ymin) * i / 4;
      out += '<line class="grid" x1="' + pad + '" x2="' + (w - 8) + '" y1="' + y + '" y2="' + y + '"></line>' +
        '<text x="' + (pad - 4) + '" y="' + (y + 3) + '" text-anchor="end">' + esc(yfmt(v)) + '</text>';
    }
    out += '<text x="' + (w - 8) + '" y="' + (h - pad + 14) + '" text-anchor="end">' + esc(xlabel + ' ' + fmtDur(xmax)) + '</text>' +
      '<text x="' + pad + '" y="' + (h - pad + 14) + '">0</text>';
    return out;
  }

  function charts(ctx) {
    var done = ctx.nodes.filter(function (n) { return !n.inflight && num(n.finished_at); })
      .sort(function (a, b) { return a.finished_at - b.finished_at; });
    var t0 = Math.min.apply(null, ctx.nodes.map(function (n) { return n.created_at || Infinity; }));
    var s = section('Over time', 'charts'), box = el('div', {class: 'charts'});
    s.appendChild(box);
    if (!done.length || !isFinite(t0)) { box.innerHTML = '<p class="muted">no node has finished yet</p>'; return; }
    var W = 460, H = 220, P = 48, xmax = Math.max(1, done[done.length - 1].finished_at - t0);
    var X = function (t) { return P + (W - P - 8) * (t - t0) / xmax; };

    var scored = done.filter(function (n) { return !n.is_buggy && num(n.score); });
    var ys = scored.map(function (n) { return n.score; });
    var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    var pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
    var Y = function (v) { return 8 + (H - P - 8) * (hi - v) / (hi - lo); };
    var best = null, path = [];
    var dots = scored.map(function (n) {
      if (best === null || (ctx.lower ? n.score < best : n.score > best)) {
        if (best !== null) path.push('L' + X(n.finished_at).toFixed(1) + ' ' + Y(best).toFixed(1));
        best = n.score;
        path.push((path.length ? 'L' : 'M') + X(n.finished_at).toFixed(1) + ' ' + Y(best).toFixed(1));
      }
      return '<circle class="dot" r="3.5" cx="' + X(n.finished_at).toFixed(1) + '" cy="' + Y(n.score).toFixed(1) +
        '" fill="var(--' + n.stage + ')"><title>node ' + n.id + ': ' + fmtScore(n.score) + '</title></circle>';
    });
    if (path.length) path.push('L' + (W - 8) + ' ' + Y(best).toFixed(1));
    box.appendChild(el('div', {class: 'panel chart'}, '<h3>' + esc(ctx.label) + ': each node and the best so far</h3>' +
      svgOpen('chart-score', W, H) + axes(W, H, P, xmax, lo, hi, 'time', function (v) { return v.toFixed(3); }) +
      '<path class="bestline" d="' + path.join('') + '"></path>' + dots.join('') + '</svg>'));

    var cumT = 0, cumC = 0, tk = [], cs = [], costKnown = true;
    done.forEach(function (n) {
      cumT += (n.tokens_in || 0) + (n.tokens_out || 0);
      if (num(n.cost)) cumC += n.cost; else costKnown = false;
      tk.push([n.finished_at, cumT]);
      cs.push([n.finished_at, cumC]);
    });
    function line(pts, max, cls) {
      var y = function (v) { return 8 + (H - P - 8) * (1 - v / (max || 1)); };
      return '<path class="' + cls + '" d="M' + P + ' ' + (H - P) + pts.map(function (p) {
        return 'L' + X(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1);
      }).join('') + '"></path>';
    }
    box.appendChild(el('div', {class: 'panel chart'}, '<h3>tokens (in + out), cumulative' + (cumT ? '' : ': none (the builtin coder uses no model)') + '</h3>' + svgOpen('chart-tokens', W, H) +
      axes(W, H, P, xmax, 0, cumT || 1, 'time', fmtInt) + line(tk, cumT, 'tokens') + '</svg>'));
    box.appendChild(el('div', {class: 'panel chart'}, '<h3>cost, cumulative' + (costKnown ? '' : ' (some nodes\' cost unknown)') + '</h3>' + svgOpen('chart-cost', W, H) +
      axes(W, H, P, xmax, 0, cumC || 1, 'time', function (v) { return '$' + v.toFixed(v < 1 ? 3 : 1); }) + line(cs, cumC, 'cost') + '</svg>'));
    box.appendChild(stageChart(done));
  }

  /* Time per stage: the scripts' run time and the rest of each node's wall
   * time (waiting on the model, scoring, review), summed per stage. */
  function stageChart(done) {
    var per = {};
    STAGES.forEach(function (s) { per[s] = {n: 0, exec: 0, other: 0, buggy: 0}; });
    done.forEach(function (n) {
      var p = per[n.stage] || (per[n.stage] = {n: 0, exec: 0, other: 0, buggy: 0});
      var wall = num(n.created_at) ? n.finished_at - n.created_at : 0;
      p.n++; p.buggy += n.is_buggy ? 1 : 0;
      p.exec += n.exec_time || 0;
      p.other += Math.max(0, wall - (n.exec_time || 0));
    });
    var keys = Object.keys(per), max = Math.max.apply(null, keys.map(function (k) { return per[k].exec + per[k].other; }).concat([1]));
    var W = 460, rowH = 34, out = '';
    keys.forEach(function (k, i) {
      var p = per[k], y = 10 + i * rowH, sx = 230 * p.exec / max, so = 230 * p.other / max;
      out += '<text x="0" y="' + (y + 13) + '">' + esc(k) + ' (' + p.n + ', ' + p.buggy + ' buggy)</text>' +
        '<rect x="130" y="' + y + '" width="' + sx.toFixed(1) + '" height="18" fill="var(--' + (STAGES.indexOf(k) >= 0 ? k : 'running') + ')"></rect>' +
        '<rect x="' + (130 + sx).toFixed(1) + '" y="' + y + '" width="' + so.toFixed(1) + '" height="18" fill="#c9cdd2"></rect>' +
        '<text x="' + (136 + sx + so).toFixed(1) + '" y="' + (y + 13) + '">' + esc(fmtDur(p.exec) + ' script + ' + fmtDur(p.other) + ' other') + '</text>';
    });
    return el('div', {class: 'panel chart'}, '<h3>time per stage (script; LLM, scoring and waiting in grey)</h3>' + svgOpen('chart-stages', W, 20 + keys.length * rowH) + out + '</svg>');
  }

  function nodeTable(ctx) {
    var rows = ctx.nodes.map(function (n) {
      var score = n.inflight ? 'running' : n.is_buggy ? 'buggy' : fmtScore(n.score);
      return '<tr id="row-' + n.id + '" data-id="' + n.id + '" class="' + (n.is_buggy ? 'buggy' : '') + '">' +
        '<td class="num">' + n.id + (n.id === D.best ? ' ★' : '') + '</td><td>' + esc(n.stage) + '</td><td class="num">' +
        (num(n.parent) ? n.parent : '') + '</td><td class="num score">' + esc(score) + '</td><td class="num">' +
        esc(fmtDur(n.exec_time)) + '</td><td class="num">' + esc(fmtInt((n.tokens_in || 0) + (n.tokens_out || 0))) +
        '</td><td class="num">' + esc(num(n.cost) ? fmtCost(n.cost) : '–') + '</td><td>' +
        esc(n.is_buggy ? n.bug_reason || n.exception || '' : '') + '</td></tr>';
    });
    var s = section('Nodes', 'nodes');
    var best = ctx.byId[D.best];
    s.appendChild(el('p', {id: 'best-node'}, best ? 'best node: <b>' + best.id + '</b>, ' + esc(ctx.label) + ' ' +
      esc(fmtScore(best.score)) : 'no node has a valid score yet'));
    var box = el('div', {class: 'panel', id: 'nodes-box'}, '<table id="nodes-table"><thead><tr><th class="num">id</th><th>stage</th>' +
      '<th class="num">parent</th><th class="num">' + esc(ctx.label) + '</th><th class="num">script</th><th class="num">tokens</th>' +
      '<th class="num">cost</th><th>bug</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>');
    s.appendChild(box);
    box.addEventListener('click', function (e) {
      var tr = e.target.closest ? e.target.closest('tr[data-id]') : null;
      if (tr) ctx.select(+tr.getAttribute('data-id'), true);
    });
  }

  /* ---- a bench ---- */

  function rate(rs, f) {
    var n = rs.filter(f).length;
    return n + '/' + rs.length + (rs.length ? ' (' + (100 * n / rs.length).toFixed(0) + '%)' : '');
  }
  function mean(xs) {
    xs = xs.filter(num);
    return xs.length ? xs.reduce(function (a, b) { return a + b; }, 0) / xs.length : NaN;
  }
  function medal(r) { return !!(r.grade && r.grade.any_medal); }
  function aboveMedian(r) { return !!(r.grade && r.grade.above_median); }
  function testScore(r) { return r.grade && r.grade.valid_submission ? r.grade.score : NaN; }
  function regret(r) { return r.analysis ? r.analysis.regret : NaN; }

  function groupRow(cls, label, rs) {
    return '<tr class="' + cls + '"><td colspan="3"><b>' + esc(label) + '</b> · ' + rs.length + ' runs</td><td class="num">' +
      esc(fmtScore(mean(rs.map(testScore)))) + ' mean</td><td class="num">' + esc(rate(rs, medal)) + ' medal</td><td class="num">' +
      esc(rate(rs, aboveMedian)) + ' above median</td><td class="num">' + esc(fmtScore(mean(rs.map(regret)))) + ' mean regret</td></tr>';
  }

  function benchPage() {
    document.getElementById('state').innerHTML = '<span class="why">' + esc(D.bench_dir || '') + '</span>';
    var runs = D.runs || [], splits = {};
    runs.forEach(function (r) {
      var sp = splits[r.split || 'other'] = splits[r.split || 'other'] || {};
      (sp[r.competition] = sp[r.competition] || []).push(r);
    });
    var box = el('div', {class: 'cards', id: 'totals'});
    box.innerHTML = [[runs.length, 'runs'], [runs.filter(function (r) { return r.grade && r.grade.valid_submission; }).length, 'valid submissions'],
      [rate(runs, medal), 'runs with a medal'], [rate(runs, aboveMedian), 'above median'],
      [fmtScore(mean(runs.map(regret))), 'mean selection regret']]
      .map(function (c) { return '<div class="card"><b>' + esc(c[0]) + '</b><span>' + esc(c[1]) + '</span></div>'; }).join('');
    main.appendChild(box);
    var s = section('Runs per split and competition', 'bench-table'), rows = [];
    Object.keys(splits).sort().forEach(function (sp) {
      var comps = splits[sp], all = [].concat.apply([], Object.keys(comps).map(function (c) { return comps[c]; }));
      rows.push(groupRow('split', 'split ' + sp, all));
      Object.keys(comps).sort().forEach(function (c) {
        rows.push(groupRow('comp', c, comps[c]));
        comps[c].forEach(function (r) {
          var g = r.grade, a = r.analysis;
          var m = !g ? '–' : g.gold_medal ? 'gold' : g.silver_medal ? 'silver' : g.bronze_medal ? 'bronze' : 'none';
          rows.push('<tr class="run" data-run="' + esc(r.name) + '"><td><a href="' + esc(r.page) + '">' + esc(r.name) + '</a></td><td>seed ' +
            esc(r.seed) + '</td><td>' + esc(r.state) + (r.stop_reason ? ': ' + esc(r.stop_reason) : '') + '</td><td class="num">' +
            (g && g.valid_submission ? esc(fmtScore(g.score)) : g ? 'invalid' : 'not graded') + '</td><td class="num">' + esc(m) +
            (g && g.above_median ? ', above median' : '') + '</td><td class="num">' + esc(r.nodes) + ' nodes, best ' +
            esc(fmtScore(r.best_score)) + '</td><td class="num">' + (a ? 'oracle ' + esc(fmtScore(a.oracle_score)) + ', regret ' +
            esc(fmtScore(a.regret)) : esc(r.selection || '')) + '</td></tr>');
        });
      });
    });
    s.appendChild(el('div', {class: 'panel'}, '<table id="bench-runs"><thead><tr><th>run</th><th>seed</th><th>state</th><th class="num">test score</th>' +
      '<th class="num">medal</th><th class="num">search</th><th class="num">selection</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>'));
  }

  window.addEventListener('error', function (e) {
    var p = document.getElementById('error') || el('p', {id: 'error', class: 'warn'});
    p.style.display = 'block';
    p.textContent = 'This page failed to draw: ' + e.message;
    document.body.insertBefore(p, document.body.firstChild);
  });
  document.getElementById('title').textContent = document.title;
  if (D.kind === 'bench') benchPage(); else runPage();
  document.getElementById('foot').textContent = 'grove ' + (D.grove_version || '') + ', written ' +
    fmtTime(D.generated_at) + '. This page is self-contained: it loads nothing from the network.';
  /* for the tests and the benchmark: milliseconds from navigation to a laid
   * out page (the parse of the page and its data, the script, the layout) */
  void document.body.offsetHeight;
  document.body.setAttribute('data-render-ms', performance.now().toFixed(1));
  document.body.setAttribute('data-ready', '1');
})();
